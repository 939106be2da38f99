"""The shared normalization set, NeMo's Vietnamese cases and the held-out sentences read at 95% or better."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

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


def _bench() -> ModuleType:
    """bench/normalize_eval.py, which holds the held-out sets and the convention-tolerant scorer."""
    path = Path(__file__).resolve().parents[2] / "bench" / "normalize_eval.py"
    spec = importlib.util.spec_from_file_location("normalize_eval", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("normalize_eval", module)
    spec.loader.exec_module(module)
    return module


def _tolerant_failures(bench: ModuleType, cases: list) -> list[str]:
    return [
        f"{c.cls}: {c.written!r}: expected {c.expected!r}, got {got!r}"
        for c in cases
        if not bench.matches(got := normalize_for_speech(c.written), c.expected, tolerant=True)
    ]


def test_nemo_text_processing_cases_read_at_95_percent_allowing_documented_conventions() -> None:
    bench = _bench()
    cases = bench.nemo_cases()
    failures = _tolerant_failures(bench, cases)
    assert 1 - len(failures) / len(cases) >= 0.95, "\n".join(failures)


def test_held_out_administrative_sentences_read_at_95_percent() -> None:
    bench = _bench()
    cases = bench.heldout_cases()
    failures = _tolerant_failures(bench, cases)
    assert 1 - len(failures) / len(cases) >= 0.95, "\n".join(failures)
