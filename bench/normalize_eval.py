"""Score bantin's spoken-form normalizer and the offline PyPI normalizers on the same rows; print JSON.

Rows: ../shared/data/normalization.tsv (input, expected) and, with --held-out, the held-out cases of
tests/nlp/test_normalize.py. A row passes on an exact match after lower-casing and collapsing
whitespace and punctuation. A normalizer that is not installed is reported as such.

    python bench/normalize_eval.py [--held-out] [--failures N] [--seconds S]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

Normalizer = Callable[[str], str]


def spoken_key(text: str) -> str:
    """Lower case, punctuation and whitespace collapsed."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def load_rows(held_out: bool) -> dict[str, list[tuple[str, str]]]:
    """The shared TSV rows and, on request, the held-out test cases."""
    lines = (DATA / "normalization.tsv").read_text(encoding="utf-8").splitlines()
    sets = {"normalization.tsv": [tuple(line.split("\t")[:2]) for line in lines if line.strip()]}
    if held_out:
        from tests.nlp.test_normalize import HELD_OUT_GROUPS

        sets["held_out"] = [row for rows in HELD_OUT_GROUPS.values() for row in rows]
    return sets  # type: ignore[return-value]


def bantin_normalizer() -> Normalizer:
    from nlp.normalize import normalize_for_speech

    return normalize_for_speech


def sea_g2p_normalizer() -> Normalizer:
    from sea_g2p import Normalizer as SeaNormalizer

    return SeaNormalizer().normalize  # type: ignore[return-value]


def g2p_hamster_normalizer() -> Normalizer:
    from g2p_hamster.t0 import pipeline

    return lambda text: pipeline.normalize(text)["read_string"]


def vietnormalizer_normalizer() -> Normalizer:
    from vietnormalizer import VietnameseNormalizer

    return VietnameseNormalizer().normalize


def vinorm_normalizer() -> Normalizer:
    from vinorm import TTSnorm

    return TTSnorm


NORMALIZERS: dict[str, tuple[Callable[[], Normalizer], str]] = {
    "bantin": (bantin_normalizer, "this project, Apache-2.0"),
    "sea-g2p": (sea_g2p_normalizer, "Apache-2.0"),
    "g2p-hamster": (g2p_hamster_normalizer, "Apache-2.0; text via t0.pipeline.normalize(s)['read_string']"),
    "vietnormalizer": (vietnormalizer_normalizer, "MIT"),
    "vinorm": (
        vinorm_normalizer,
        "non-commercial licence; writes temp files in site-packages; not a dependency",
    ),
}


def quiet_call(normalize: Normalizer, text: str) -> str:
    """Call a normalizer, hiding what it prints; an exception becomes the row's output."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            return str(normalize(text))
        except Exception as exc:  # a competitor crashing on a row fails that row only
            return f"<error {type(exc).__name__}: {exc}>"


def score(normalize: Normalizer, rows: list[tuple[str, str]], show: int) -> dict[str, object]:
    """Pass rate, failing rows and mean time per row."""
    failures = []
    start = time.perf_counter()
    for written, expected in rows:
        got = quiet_call(normalize, written)
        if spoken_key(got) != spoken_key(expected):
            failures.append({"input": written, "expected": expected, "got": got.strip()})
    elapsed = time.perf_counter() - start
    return {
        "rows": len(rows),
        "passed": len(rows) - len(failures),
        "rate": round(1 - len(failures) / len(rows), 4),
        "ms_per_row": round(1000 * elapsed / len(rows), 3),
        "failures": failures[:show],
    }


def bulletin_lines() -> list[str]:
    """Every non-empty line of the development bulletins."""
    lines = []
    for path in sorted((DATA / "bulletins").glob("*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))["body"]
        lines.extend(line for line in body.splitlines() if line.strip())
    return lines


def lines_per_second(normalize: Normalizer, lines: list[str], seconds: float) -> dict[str, float]:
    """Throughput on bulletin lines (paragraphs), after one warm-up pass."""
    for line in lines:
        normalize(line)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for line in lines:
            normalize(line)
        done += len(lines)
    elapsed = time.perf_counter() - start
    chars = sum(map(len, lines)) * done / len(lines)
    return {"lines_per_second": round(done / elapsed, 1), "chars_per_second": round(chars / elapsed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-out", action="store_true", help="also score the held-out test cases")
    parser.add_argument(
        "--failures", type=int, default=100, help="failing rows to show per normalizer and set"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent measuring bantin's throughput")
    args = parser.parse_args()
    sets = load_rows(args.held_out)
    report: dict[str, object] = {"sets": {name: len(rows) for name, rows in sets.items()}, "normalizers": {}}
    cwd = os.getcwd()
    for name, (factory, notes) in NORMALIZERS.items():
        entry: dict[str, object] = {"notes": notes}
        try:
            normalize = factory()
        except ImportError as exc:
            entry.update(installed=False, error=f"not installed ({exc.name or exc})")
            report["normalizers"][name] = entry  # type: ignore[index]
            continue
        entry["installed"] = True
        for set_name, rows in sets.items():
            entry[set_name] = score(normalize, rows, args.failures)
        os.chdir(cwd)
        report["normalizers"][name] = entry  # type: ignore[index]
    lines = bulletin_lines()
    report["bantin_throughput"] = {
        "lines": len(lines),
        **lines_per_second(bantin_normalizer(), lines, args.seconds),
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
