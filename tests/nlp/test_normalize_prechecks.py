"""The quick tests that let the normalizer skip a rule, or try a pattern only at some places, change no output.

Every such shortcut is switched off here (a hint that always holds, the plain ``pattern.sub``) and the
normalizer must read every line of every test set, and text built from what the shortcuts look at, exactly
as it does with them.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp import clean, normalize_datetime, normalize_quantities, normalize_references, normalize_words
from nlp.normalize import default_context, normalize_for_speech
from nlp.normalize_common import DIGIT_SCAN, NOT_DIGIT_RANGES, sub_where

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
EVERYWHERE = re.compile("")  # a hint that holds on every line
# _CAPS as it was before it skipped the lower-case letters of Ạ-Ỹ.
PLAIN_CAPS = re.compile(
    rf"[A-ZÀ-ÞĐĂÂÊÔƠƯẠ-Ỹ](?<=(?<![\w&])[^\W\d_])(?![{re.escape(normalize_words._LOWER)}])[^\W\d_]+(?![\w&])"
)


@contextlib.contextmanager
def quick_tests_off() -> Iterator[None]:
    q, r, d, w = normalize_quantities, normalize_references, normalize_datetime, normalize_words
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(q, "_sub_roman", lambda line, read: q._ROMAN.sub(read, line))
        patch.setattr(q, "_sub_per", lambda line, context, read: context.per_pattern.sub(read, line))
        patch.setattr(
            q,
            "_sub_quantities",
            lambda line, context, read: sub_where(q._QUANTITY_START, context.quantity_pattern, read, line),
        )
        patch.setattr(q, "_ORDINAL_HINT", EVERYWHERE)
        patch.setattr(q, "_EACH_UNIT_HINT", EVERYWHERE)
        patch.setattr(r, "_may_hold_road_prefix", lambda line: True)
        patch.setattr(r, "_THREE_DIGITS", EVERYWHERE)
        patch.setattr(d, "_has_weekday_code", lambda line: True)
        patch.setattr(d, "_MINUTES_HINT", EVERYWHERE)
        patch.setattr(w, "_CAPS", PLAIN_CAPS)
        patch.setattr(w, "_abbreviation_start", lambda line, context: context.abbreviation_start)
        patch.setattr(w, "_SYMBOL_OR_MARK", EVERYWHERE)
        patch.setattr(w, "_PAUSE_HINT", EVERYWHERE)
        patch.setattr(clean, "_BEYOND_VIETNAMESE", EVERYWHERE)
        yield


def _cells(path: Path, separator: str) -> list[str]:
    return [
        cell
        for line in path.read_text(encoding="utf-8").splitlines()
        for cell in line.split(separator)
        if cell.strip()
    ]


def dataset_lines() -> list[str]:
    """Every line of the bulletins and every cell of the normalization sets the repository reads."""
    lines: list[str] = []
    folders = [SHARED / "bulletins", *sorted((REPO / "bench" / "data").glob("bulletins_*"))]
    for path in sorted(p for folder in folders for p in folder.glob("*.json")):
        lines += json.loads(path.read_text(encoding="utf-8"))["body"].splitlines()
    if (SHARED / "normalization.tsv").exists():
        lines += _cells(SHARED / "normalization.tsv", "\t")
    normalization = REPO / "bench" / "data" / "normalization"
    for path in sorted((normalization / "heldout").glob("*.tsv")):
        lines += _cells(path, "\t")
    for path in sorted((normalization / "nemo_vi").glob("test_cases_*.txt")):
        lines += _cells(path, "~")
    return [line for line in lines if line.strip()]


def test_the_digit_scan_finds_every_decimal_digit_and_nothing_else() -> None:
    ranges, scan = re.compile(f"[^{NOT_DIGIT_RANGES}]"), re.compile(DIGIT_SCAN)
    quantity = re.compile(normalize_quantities.QUANTITY_NUMBER_CLASS)
    characters = list(map(chr, range(0x110000)))
    assert all(ranges.match(ch) for ch in characters if ch.isdecimal())  # what \d matches in a str pattern
    assert all(quantity.match(ch) for ch in characters if ch.isdecimal() or ch in "$€-")
    # Every emoji and every decimal digit that is not ASCII is beyond Vietnamese.
    beyond = clean._BEYOND_VIETNAMESE
    assert all(
        beyond.match(ch)
        for ch in characters
        if (ch.isdecimal() and not ch.isascii()) or clean._EMOJI.match(ch)
    )
    assert scan.pattern.endswith("(?<=\\d)")
    assert [ch for ch in characters[:0x2000] if bool(scan.match(ch)) != ch.isdecimal()] == []


def test_the_test_sets_read_the_same_without_the_quick_tests() -> None:
    lines = dataset_lines()
    assert len(lines) > 1000
    fast = [normalize_for_speech(line) for line in lines]
    with quick_tests_off():
        plain = [normalize_for_speech(line) for line in lines]
    differences = [(line, a, b) for line, a, b in zip(lines, fast, plain, strict=True) if a != b]
    assert not differences, differences[:5]


# Text built from what the shortcuts look at: context words before Roman numerals, the words before a
# quantity in any case, numbers, signs, slashes, units, weekday and road codes, capitals, phone words.
PIECES = st.sampled_from(
    ["quý", "Khóa", "kỳ họp", "giai đoạn", "lần thứ", "THỨ", "số", "năm", "cấp", "CẤP", "Tháng", "ngày", "tuần",
     "IV", "XV", "ii", "iv", "vi", "m", "/2025", "12", "3", "2025", "0", "1.500", "5,5", "-", "$", "€", " ", "  ",
     "\t", "/", "//", ".", ",", ":", "(", ")", "km", "Km", "ha", "kg", "m2", "đồng", "người", "hộ", "h", "p",
     "T2", "T7", "CN", "QL", "ĐT", "CT", "L", "mỗi", "MỖI", "trên", "TRÊN", "rên", "gọi", "113", "0912 345 678",
     "UBND", "tr.", "v.v.", "đ/c", "TP.", "ạBC", "ỦY", "Ủy", "ABC", "x", "İ", "ứ", "phút", "giờ 00",
     " thứ 5", " quý IV.", " khóa XV ", " mục iv", " mỗi ha", " trên km2", " QL1A", " ĐT.741", " T2-T6",
     " gọi 113", " 1900 1234", " lúc 5p30s", " 3 người/hộ", " tháng 3-5", " cấp 6-7 ", "١٢", "😀", "☀️"]
)  # fmt: skip
TEXT = st.lists(PIECES, max_size=16).map("".join)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_text_reads_the_same_without_the_quick_tests(text: str) -> None:
    fast = normalize_for_speech(text)
    with quick_tests_off():
        assert normalize_for_speech(text) == fast


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_the_patterns_tried_at_some_places_match_as_the_plain_substitution(text: str) -> None:
    context = default_context()
    q = normalize_quantities

    def mark(match: re.Match[str]) -> str:
        return f"<{match.group()}>"

    assert q._sub_per(text, context, mark) == context.per_pattern.sub(mark, text)
    assert q._sub_quantities(text, context, mark) == sub_where(
        q._QUANTITY_START, context.quantity_pattern, mark, text
    )
    # A Roman numeral match that reads nothing aloud may be skipped: compared with the real reading.
    assert q._sub_roman(text, q._read_roman) == q._ROMAN.sub(q._read_roman, text)
    assert sub_where(
        normalize_words._abbreviation_start(text, context), context.abbreviation_pattern, mark, text
    ) == sub_where(context.abbreviation_start, context.abbreviation_pattern, mark, text)
