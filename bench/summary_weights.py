"""Learn the summarizer's sentence-value weights from annotated bulletins (coordinate search on key-fact recall).

Training objective: key facts kept (bench/keyfacts.py) on the training bulletins (bench/data/bulletins_train,
written for this) plus the sample bulletins, whose ≥ 90% the tests keep. Each pass tries every weight of
nlp/sentence_value.py at a few multiples of its value and keeps a change only when the training recall
rises. The held-out bulletins are only reported, for choosing between runs; the test bulletins are never
read here. Prints JSON: the weights before and after and the recall of each set.

    python bench/summary_weights.py [--voice espeak-vi-north [--voice espeak-vi-south]] [--passes 2]
        [--only CONTACT_BONUS [--only FACT_WEIGHTS.PHONE]]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # bench.keyfacts

DATA = REPO / "bench" / "data"
SAMPLE = REPO.parent / "shared" / "data" / "bulletins"
SCALAR_WEIGHTS = (
    "CUE_FACTOR",
    "WORD_VALUE",
    "LEAD_BONUS",
    "LEAD_DECAY",
    "ITEM_BONUS",
    "CENTRALITY_WEIGHT",
    "TITLE_WEIGHT",
    "CONTACT_BONUS",
    "BOILERPLATE_FACTOR",
    "LIST_ANNOUNCEMENT_FACTOR",
)
MULTIPLES = (0.5, 0.75, 1.25, 1.5, 2.0)


def load(folder: Path) -> list[dict]:
    """The bulletins of a folder."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def recall(bulletins: list[dict], voices: str | tuple[str, ...]) -> tuple[int, int]:
    """Key facts kept and key facts in all, summarizing each bulletin to its target at each voice's rate."""
    from bench.keyfacts import key_fact_kept
    from nlp.summary import summarize

    kept = total = 0
    for voice in (voices,) if isinstance(voices, str) else voices:
        for bulletin in bulletins:
            script = summarize(
                bulletin["body"],
                target_seconds=bulletin["target_seconds"],
                title=bulletin["title"],
                voice=voice,
            ).script
            kept += sum(key_fact_kept(fact, script) for fact in bulletin["key_facts"])
            total += len(bulletin["key_facts"])
    return kept, total


def weights() -> dict[str, float]:
    """The current weights of nlp/sentence_value.py, fact weights by label."""
    import nlp.sentence_value as value

    current = {name: getattr(value, name) for name in SCALAR_WEIGHTS}
    current.update({f"FACT_WEIGHTS.{label}": w for label, w in value.FACT_WEIGHTS.items()})
    return current


def set_weight(name: str, new: float) -> None:
    """Set one weight of nlp/sentence_value.py in this process."""
    import nlp.sentence_value as value

    if name.startswith("FACT_WEIGHTS."):
        value.FACT_WEIGHTS[name.split(".", 1)[1]] = new
    else:
        setattr(value, name, new)


def cache_costs() -> None:
    """Memoise what does not depend on the weights (durations, entities, cues), so a pass takes seconds.

    The e-board text does not enter the key-fact recall of the script: it is left out here.
    """
    import nlp.sentence_value as value
    import nlp.summary as summary

    summary.sentence_seconds = functools.lru_cache(maxsize=None)(summary.sentence_seconds)
    value.find_entities = functools.lru_cache(maxsize=None)(value.find_entities)
    value.cue_weight = functools.lru_cache(maxsize=None)(value.cue_weight)
    summary.eboard_text = lambda *args, **kwargs: ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--voice", action="append", help="a voice whose recall counts (repeat for several; default north)"
    )
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--only", action="append", help="tune only this weight (repeat for several)")
    args = parser.parse_args()
    voices = tuple(args.voice or ["espeak-vi-north"])
    cache_costs()
    train = load(DATA / "bulletins_train") + load(SAMPLE)
    heldout = load(DATA / "bulletins_heldout")
    start = weights()
    best = recall(train, voices)
    report = {"voices": voices, "start": {"train": best, "heldout": recall(heldout, voices)}}
    changes = []
    for _ in range(args.passes):
        improved = False
        for name, value in weights().items():
            if args.only and name not in args.only:
                continue
            for multiple in MULTIPLES:
                set_weight(name, round(value * multiple, 4))
                trial = recall(train, voices)
                if trial[0] > best[0]:
                    best, value, improved = trial, round(value * multiple, 4), True
                    changes.append({"weight": name, "value": value, "train": trial})
                set_weight(name, value)
        if not improved:
            break
    report["changes"] = changes
    report["weights"] = {k: v for k, v in weights().items() if v != start[k]}
    report["end"] = {"train": best, "heldout": recall(heldout, voices)}
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
