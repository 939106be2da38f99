"""Summaries of the sample bulletins: key-fact recall, duration error vs target, time per summary.

Per bulletin and overall: share of key_facts kept (bench/keyfacts.py), the estimated duration's
error vs target_seconds, and, when tts is importable, the measured duration of the script's spoken form
synthesized with tts.render_speech (mastered audio). For the e-board text: the share of bulletins whose
e-board keeps an action, a place to go, a deadline and a phone number when the draft has one, and the
e-board lines that show a date without the event it dates. Prints JSON.

    python bench/summarize_eval.py [--voice espeak-vi-north] [--no-audio]
    python bench/summarize_eval.py --table   # key-fact recall per voice and set, e-board shares per set
    python bench/summarize_eval.py --ceiling # per set: recall kept beside the best any choice could reach

The ceiling separates the two limits of an extractive script: the best choice among the summarizer's
own readings of the sentences (sentence_options, the same duration estimate and fill ceiling) keeps
the "ceiling" share of key facts; the summarizer keeps "kept". A wide gap means the value of sentences
is what loses facts, not the length. Found by beam search over the sentences in order, ranked by the
key facts the partial script keeps (bench/keyfacts.py), so it is a lower bound of the true best.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# bench/ holds scripts named like project packages (bench/tts.py): import the packages, not them.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # bench.keyfacts
BULLETINS = REPO.parent / "shared" / "data" / "bulletins"


def measured_seconds(script: str, voice: str) -> float | None:
    """Seconds of mastered audio for the script's spoken form, or None without tts."""
    try:
        from tts import render_speech
    except ImportError:
        return None
    from nlp.normalize import normalize_for_speech

    return float(render_speech(normalize_for_speech(script), voice=voice).duration_s)


SETS = {
    "development": BULLETINS,
    "heldout": REPO / "bench" / "data" / "bulletins_heldout",
    "test": REPO / "bench" / "data" / "bulletins_test",
}
VOICES = ("espeak-vi-north", "espeak-vi-central", "espeak-vi-south")


def recall_table() -> dict:
    """Key-fact recall and worst estimated length error per voice and set, e-board shares per set.

    The e-board shares count the bulletins whose board keeps an action, a place to go, a deadline and a
    number to call when the draft has one, and the board lines showing a date without its event.
    """
    from bench.keyfacts import dates_without_event, eboard_keeps, key_fact_kept
    from nlp.clean import clean_text
    from nlp.sentences import split_sentences
    from nlp.summary import summarize

    recall: dict[str, dict[str, str]] = {}
    worst: dict[str, dict[str, float]] = {}
    boards: dict[str, dict[str, str]] = {}
    for name, folder in SETS.items():
        bulletins = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
        kinds: dict[str, list[bool]] = {"actions": [], "places": [], "deadlines": [], "phones": []}
        bare_dates = 0
        for voice in VOICES:
            kept = total = 0
            errors = []
            for bulletin in bulletins:
                target = float(bulletin["target_seconds"])
                summary = summarize(
                    bulletin["body"], target_seconds=target, title=bulletin["title"], voice=voice
                )
                kept += sum(key_fact_kept(fact, summary.script) for fact in bulletin["key_facts"])
                total += len(bulletin["key_facts"])
                errors.append(abs(summary.estimated_seconds - target) / target)
                if voice == VOICES[0]:  # the e-board does not depend on the voice
                    found = eboard_keeps(split_sentences(clean_text(bulletin["body"])), summary.eboard)
                    for kind, ok in found.items():
                        if ok is not None:
                            kinds[kind].append(ok)
                    bare_dates += len(dates_without_event(summary.eboard))
            recall.setdefault(voice, {})[name] = f"{kept}/{total} = {kept / total:.3f}"
            worst.setdefault(voice, {})[name] = round(100 * max(errors), 2)
        boards[name] = {kind: f"{sum(oks)}/{len(oks)}" for kind, oks in kinds.items()}
        boards[name]["dates_without_event"] = bare_dates
    return {"key_fact_recall": recall, "max_abs_estimated_error_pct": worst, "eboard_kept": boards}


def ceiling_facts(bulletin: dict, voice: str, beam: int = 60) -> tuple[int, tuple[str, ...]]:
    """The most key facts a script made of the summarizer's readings keeps within the target's fill ceiling.

    Returns the count and the readings of that script, in order.
    """
    from functools import cache

    from bench.keyfacts import fact_overlap, key_fact_kept
    from nlp.clean import clean_text
    from nlp.duration import DURATION_TOLERANCE, sentence_seconds, speaking_rate
    from nlp.fit import FILL_CEILING
    from nlp.sentences import split_sentences
    from nlp.shorten import sentence_options

    rate = speaking_rate(voice)
    facts = bulletin["key_facts"]
    options = sentence_options(split_sentences(clean_text(bulletin["body"])))
    target = float(bulletin["target_seconds"])
    whole = sum(sentence_seconds(group[0], rate) for group in options) + rate.seconds_fixed
    if whole <= target * (1 + DURATION_TOLERANCE):  # read whole, as the summarizer does
        texts = tuple(group[0] for group in options)
        return sum(key_fact_kept(fact, " ".join(texts)) for fact in facts), texts
    budget = target * FILL_CEILING - rate.seconds_fixed

    @cache
    def kept(texts: tuple[str, ...]) -> tuple[int, float]:
        """Facts kept, then how much of the others is said already (a fact may need two sentences)."""
        script = " ".join(texts)
        whole = sum(key_fact_kept(fact, script) for fact in facts)
        return whole, sum(sum(fact_overlap(fact, script)[:2]) for fact in facts)

    states: list[tuple[tuple[str, ...], float]] = [((), 0.0)]
    for group in options:
        grown = list(states)
        for texts, seconds in states:
            for text in group:
                cost = seconds + sentence_seconds(text, rate)
                if cost <= budget:
                    grown.append(((*texts, text), cost))
        grown.sort(key=lambda state: (-kept(state[0])[0], -kept(state[0])[1], state[1]))
        states = grown[:beam]
    best = max(states, key=lambda state: kept(state[0]))[0]
    return kept(best)[0], best


def ceiling_table(voice: str) -> dict:
    """Per set: key facts the summarizer keeps beside the most any choice of its readings could keep."""
    from bench.keyfacts import key_fact_kept
    from nlp.summary import summarize

    table = {}
    for name, folder in {**SETS, "training": REPO / "bench" / "data" / "bulletins_train"}.items():
        kept = best = total = 0
        for path in sorted(folder.glob("*.json")):
            bulletin = json.loads(path.read_text(encoding="utf-8"))
            script = summarize(
                bulletin["body"],
                target_seconds=float(bulletin["target_seconds"]),
                title=bulletin["title"],
                voice=voice,
            ).script
            kept_here = sum(key_fact_kept(fact, script) for fact in bulletin["key_facts"])
            kept += kept_here
            # the summarizer's own choice is one of the choices: the beam is a lower bound of the best
            best += max(ceiling_facts(bulletin, voice)[0], kept_here)
            total += len(bulletin["key_facts"])
        table[name] = {
            "kept": f"{kept}/{total} = {kept / total:.3f}",
            "ceiling": f"{best}/{total} = {best / total:.3f}",
        }
    return {"voice": voice, "recall_and_ceiling": table}


def main() -> int:
    from bench.keyfacts import dates_without_event, eboard_keeps, key_fact_kept
    from nlp.clean import clean_text
    from nlp.sentences import split_sentences
    from nlp.summary import summarize

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", default="espeak-vi-north")
    parser.add_argument("--no-audio", action="store_true", help="skip synthesis (estimates only)")
    parser.add_argument(
        "--data",
        type=Path,
        default=BULLETINS,
        help="folder of bulletin JSON files (default: the development set; bench/data/bulletins_heldout "
        "holds 12 written independently of the summarizer)",
    )
    parser.add_argument(
        "--table",
        action="store_true",
        help="key-fact recall per voice and set (development, held-out, test) and e-board shares per set",
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="per set: key facts kept beside the most any choice of the summarizer's readings keeps in the budget",
    )
    args = parser.parse_args()
    if args.ceiling:
        print(json.dumps(ceiling_table(args.voice), ensure_ascii=False, indent=2))
        return 0
    if args.table:
        print(json.dumps(recall_table(), ensure_ascii=False, indent=2))
        return 0
    summarize("Khởi động bộ tách câu.", target_seconds=5)  # build the cached pipeline outside the timing
    rows, kept_total, facts_total = [], 0, 0
    board_kinds: dict[str, list[bool]] = {"actions": [], "places": [], "deadlines": [], "phones": []}
    bare_dates: list[str] = []
    for path in sorted(args.data.glob("*.json")):
        bulletin = json.loads(path.read_text(encoding="utf-8"))
        target = float(bulletin["target_seconds"])
        started = time.perf_counter()
        summary = summarize(
            bulletin["body"], target_seconds=target, title=bulletin["title"], voice=args.voice
        )
        elapsed = time.perf_counter() - started
        kept = [key_fact_kept(fact, summary.script) for fact in bulletin["key_facts"]]
        kept_total += sum(kept)
        facts_total += len(kept)
        keeps = eboard_keeps(split_sentences(clean_text(bulletin["body"])), summary.eboard)
        for kind, kept_kind in keeps.items():
            if kept_kind is not None:
                board_kinds[kind].append(kept_kind)
        bare = dates_without_event(summary.eboard)
        bare_dates += bare
        measured = None if args.no_audio else measured_seconds(summary.script, args.voice)
        rows.append(
            {
                "id": bulletin["id"],
                "target_seconds": target,
                "estimated_seconds": summary.estimated_seconds,
                "estimated_error_pct": round(100 * (summary.estimated_seconds - target) / target, 2),
                "measured_seconds": round(measured, 2) if measured is not None else None,
                "measured_error_pct": round(100 * (measured - target) / target, 2)
                if measured is not None
                else None,
                "key_facts_kept": f"{sum(kept)}/{len(kept)}",
                "missed_facts": [f for f, ok in zip(bulletin["key_facts"], kept, strict=True) if not ok],
                "sentences": len(summary.sentences),
                "eboard_chars": len(summary.eboard),
                "eboard": summary.eboard,
                "eboard_missing": [kind for kind, kept_kind in keeps.items() if kept_kind is False],
                "eboard_dates_without_event": bare,
                "summary_seconds": round(elapsed, 3),
            }
        )
    measured_errors = [abs(r["measured_error_pct"]) for r in rows if r["measured_error_pct"] is not None]
    overall = {
        "bulletins": len(rows),
        "voice": args.voice,
        "key_fact_recall": round(kept_total / facts_total, 4),
        "key_facts_kept": f"{kept_total}/{facts_total}",
        "max_abs_estimated_error_pct": max(abs(r["estimated_error_pct"]) for r in rows),
        "max_abs_measured_error_pct": max(measured_errors) if measured_errors else None,
        "mean_abs_measured_error_pct": round(sum(measured_errors) / len(measured_errors), 2)
        if measured_errors
        else None,
        "within_10pct_measured": f"{sum(e <= 10 for e in measured_errors)}/{len(measured_errors)}"
        if measured_errors
        else None,
        "eboard_kept": {
            kind: f"{sum(kept_kind)}/{len(kept_kind)}" for kind, kept_kind in board_kinds.items()
        },
        "eboard_dates_without_event": len(bare_dates),
        "mean_summary_seconds": round(sum(r["summary_seconds"] for r in rows) / len(rows), 3),
        "max_summary_seconds": max(r["summary_seconds"] for r in rows),
    }
    print(json.dumps({"overall": overall, "per_bulletin": rows}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
