"""Summaries of the sample bulletins: key-fact recall, duration error vs target, time per summary.

Per bulletin and overall: share of key_facts kept (bench/keyfacts.py), the estimated duration's
error vs target_seconds, and, when tts is importable, the measured duration of the script's spoken form
synthesized with tts.render_speech (mastered audio). For the e-board text: the share of bulletins whose
e-board keeps an action, a place to go, a deadline and a phone number when the draft has one, and the
e-board lines that show a date without the event it dates. Prints JSON.

    python bench/summarize_eval.py [--voice espeak-vi-north] [--no-audio]
    python bench/summarize_eval.py --table   # key-fact recall per voice and set, e-board shares per set
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
    args = parser.parse_args()
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
