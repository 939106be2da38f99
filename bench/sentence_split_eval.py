"""Sentence-split accuracy on the sample bulletins against the hand-checked gold: bantin vs underthesea.

Prints JSON: per splitter, boundary precision/recall/F1 (a boundary = character offset where a sentence
ends, whitespace ignored), share of gold sentences reproduced exactly, and bulletins split perfectly.

    python bench/sentence_split_eval.py
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BULLETINS = REPO.parent / "shared" / "data" / "bulletins"
GOLD = REPO / "tests" / "nlp" / "data" / "sentences_gold.json"


def boundaries(sentences: list[str]) -> set[int]:
    """Offsets (in the text with all whitespace removed) where each sentence ends."""
    ends, offset = set(), 0
    for sentence in sentences:
        offset += len(re.sub(r"\s+", "", sentence))
        ends.add(offset)
    return ends


def underthesea_splitter() -> Callable[[str], list[str]] | str:
    """underthesea's sent_tokenize per paragraph, or why it is missing."""
    try:
        from underthesea import sent_tokenize
    except ImportError as exc:
        return f"underthesea is not installed ({exc}); pip install underthesea==9.5.0"

    def split(text: str) -> list[str]:
        return [s for p in re.split(r"\n\s*\n", text) if p.strip() for s in sent_tokenize(p.strip())]

    return split


def underthesea_whole_text() -> Callable[[str], list[str]] | str:
    """underthesea's sent_tokenize on the whole body (no paragraph help)."""
    try:
        from underthesea import sent_tokenize
    except ImportError as exc:
        return f"underthesea is not installed ({exc})"
    return sent_tokenize


def evaluate_hard_cases(split: Callable[[str], list[str]], cases: list[list[str]]) -> dict:
    """Paragraphs with abbreviations, numbers, dates, document numbers and quotes split exactly right."""
    right = [split(" ".join(case)) == case for case in cases]
    return {"hard_cases_right": f"{sum(right)}/{len(cases)}"}


def evaluate(split: Callable[[str], list[str]], gold: dict[str, list[str]]) -> dict:
    """Boundary precision/recall/F1, exact sentence match and perfect bulletins for one splitter."""
    true_positive = predicted_total = gold_total = exact = perfect = 0
    started = time.perf_counter()
    per_bulletin = {}
    for bulletin_id, expected in gold.items():
        body = json.loads((BULLETINS / f"{bulletin_id}.json").read_text(encoding="utf-8"))["body"]
        predicted = [" ".join(s.split()) for s in split(body)]
        hit = boundaries(predicted) & boundaries(expected)
        true_positive += len(hit)
        predicted_total += len(predicted)
        gold_total += len(expected)
        exact += sum((Counter(predicted) & Counter(expected)).values())
        perfect += predicted == expected
        per_bulletin[bulletin_id] = {
            "gold": len(expected),
            "predicted": len(predicted),
            "boundaries_right": len(hit),
        }
    elapsed = time.perf_counter() - started
    precision = true_positive / predicted_total if predicted_total else 0.0
    recall = true_positive / gold_total if gold_total else 0.0
    return {
        "boundary_precision": round(precision, 4),
        "boundary_recall": round(recall, 4),
        "boundary_f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        "exact_sentences": f"{exact}/{gold_total}",
        "exact_sentence_share": round(exact / gold_total, 4),
        "perfect_bulletins": f"{perfect}/{len(gold)}",
        "seconds_total": round(elapsed, 3),
        "per_bulletin": per_bulletin,
    }


def main() -> int:
    from nlp.sentences import split_sentences

    data = json.loads(GOLD.read_text(encoding="utf-8"))
    gold, hard_cases = data["bulletins"], data["hard_cases"]
    split_sentences("Khởi động.")  # build the cached pipeline outside the timing
    result: dict = {"gold": str(GOLD.relative_to(REPO)), "bulletins": len(gold), "splitters": {}}
    result["splitters"]["bantin"] = evaluate(split_sentences, gold) | evaluate_hard_cases(
        split_sentences, hard_cases
    )
    for name, factory in (
        ("underthesea", underthesea_splitter),
        ("underthesea_whole_text", underthesea_whole_text),
    ):
        splitter = factory()
        if isinstance(splitter, str):
            result["splitters"][name] = {"missing": splitter}
        else:
            result["splitters"][name] = evaluate(splitter, gold) | evaluate_hard_cases(splitter, hard_cases)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
