"""Calibrate each eSpeak voice's speaking rate from real synthesized durations; writes nlp/data/speaking_rates.json.

Synthesizes the spoken form (normalize_for_speech) of the sample bulletins' sentences, one at a time and
in runs of consecutive sentences (like a summary), with tts.render_speech for each espeak voice, and fits
seconds = a*syllables + b*sentences + c*pauses + d by least squares. Prints the fit as JSON.

    python bench/calibrate_rate.py [--voices espeak-vi-north,...] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

# bench/ holds scripts named like project packages (bench/tts.py): import the packages, not them.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "bulletins"
OUT = REPO / "nlp" / "data" / "speaking_rates.json"
VOICES = ("espeak-vi-north", "espeak-vi-central", "espeak-vi-south")


def samples() -> list[list[str]]:
    """Texts to synthesize: every sentence alone, and runs of 2 to 6 consecutive sentences."""
    from nlp.clean import clean_text
    from nlp.sentences import split_sentences

    out: list[list[str]] = []
    for path in sorted(DATA.glob("*.json")):
        sentences = split_sentences(clean_text(json.loads(path.read_text(encoding="utf-8"))["body"]))
        out += [[s] for s in sentences]
        start, size = 0, 2
        while start + size <= len(sentences):
            out.append(sentences[start : start + size])
            start += size
            size = size % 6 + 2
    return out


def measure(voice: str, texts: list[list[str]]) -> tuple[np.ndarray, np.ndarray, float]:
    """Feature rows (syllables, sentences, pauses, 1) and mastered durations for one voice."""
    from nlp.duration import spoken_counts
    from nlp.normalize import normalize_for_speech
    from tts import render_speech

    rows, durations = [], []
    started = time.perf_counter()
    for sentences in texts:
        counts = [spoken_counts(s) for s in sentences]
        spoken = " ".join(normalize_for_speech(s) for s in sentences)
        durations.append(render_speech(spoken, voice=voice).duration_s)
        rows.append([sum(c[0] for c in counts), len(sentences), sum(c[1] for c in counts), 1.0])
    return np.array(rows, dtype=float), np.array(durations), time.perf_counter() - started


def fit(rows: np.ndarray, durations: np.ndarray) -> dict:
    """Least-squares coefficients and the fit's error on the same samples."""
    coefficients, *_ = np.linalg.lstsq(rows, durations, rcond=None)
    predicted = rows @ coefficients
    error = np.abs(predicted - durations) / durations
    multi = rows[:, 1] > 1
    return {
        "seconds_per_syllable": round(float(coefficients[0]), 5),
        "seconds_per_sentence": round(float(coefficients[1]), 4),
        "seconds_per_pause": round(float(coefficients[2]), 4),
        "seconds_fixed": round(float(coefficients[3]), 4),
        "syllables_per_second": round(float(rows[:, 0].sum() / durations.sum()), 3),
        "samples": len(durations),
        "mean_abs_error_pct": round(float(error.mean() * 100), 2),
        "mean_abs_error_pct_multi_sentence": round(float(error[multi].mean() * 100), 2)
        if multi.any()
        else None,
        "max_abs_error_pct_multi_sentence": round(float(error[multi].max() * 100), 2)
        if multi.any()
        else None,
        "seconds_synthesized": round(float(durations.sum()), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default=",".join(VOICES))
    parser.add_argument("--dry-run", action="store_true", help="print the fit without writing the JSON file")
    args = parser.parse_args()
    texts = samples()
    result = {
        "about": "Speaking rate per voice, fitted by bench/calibrate_rate.py on mastered audio from "
        "tts.render_speech: seconds = seconds_per_syllable*syllables + seconds_per_sentence*sentences "
        "+ seconds_per_pause*pauses(, ; :) + seconds_fixed, syllables counted on normalize_for_speech().",
        "voices": {},
    }
    for voice in args.voices.split(","):
        rows, durations, elapsed = measure(voice, texts)
        result["voices"][voice] = fit(rows, durations) | {"synthesis_seconds": round(elapsed, 1)}
    if not args.dry_run:
        OUT.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
