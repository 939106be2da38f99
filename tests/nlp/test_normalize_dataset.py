"""The shared normalization set (shared/data/normalization.tsv) reads at 95% or better."""

from __future__ import annotations

import re
from pathlib import Path

from nlp.normalize import normalize_for_speech

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "normalization.tsv"


def spoken_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def test_shared_normalization_set_reads_at_least_95_percent() -> None:
    rows = [line.split("\t") for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 50
    failures = [
        (written, expected, got)
        for written, expected, *_ in rows
        if spoken_key(got := normalize_for_speech(written)) != spoken_key(expected)
    ]
    rate = 1 - len(failures) / len(rows)
    assert rate >= 0.95, "\n".join(f"{w!r}: expected {e!r}, got {g!r}" for w, e, g in failures)
