"""Shared pieces of the normalizer rules: the context, number patterns and small helpers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from nlp.numbers import read_digits, read_number, read_vietnamese_number

LETTER = r"[^\W\d_]"
NUM = r"(?:\d{1,3}(?:\.\d{3})+(?!\d)(?:,\d+)?|\d+,\d+(?!,\d)|\d+\.\d+(?!\.\d)|\d+)"
DAY = r"(?:0?[1-9]|[12]\d|3[01])"
MONTH = r"(?:0?[1-9]|1[0-2])"
YEAR = r"(?:\d{4})"
START = r"(?<![\w/.,:+-])"
END = r"(?![\w/]|[.,:]\d)"


@dataclass(frozen=True)
class Context:
    """Tables and compiled patterns the rules share, built once per abbreviation table."""

    abbreviations: Mapping[str, str]
    abbreviation_pattern: re.Pattern[str]
    doc_types: Mapping[str, str]
    issuers: Mapping[str, str]
    units: Mapping[str, tuple[str, str]]
    unit_pattern: str
    per_pattern: re.Pattern[str]
    quantity_pattern: re.Pattern[str]
    spaced_thousands: re.Pattern[str]


def read_written_number(text: str) -> str:
    """Read "1.500", "12,5", "-3" or a dotted non-thousands number such as "4.0" ("bốn chấm không")."""
    sign = "âm " if text.startswith("-") else ""
    body = text.lstrip("-")
    if "." in body and not re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", body):
        head, _, tail = body.partition(".")
        fraction = read_digits(tail) if tail.startswith("0") else read_number(tail)
        return f"{sign}{read_number(head)} chấm {fraction}"
    return sign + read_vietnamese_number(body)


def words_before(match: re.Match[str], words: int = 3) -> str:
    """The last few words before a match, lowercased."""
    return " ".join(match.string[: match.start()].lower().split()[-words:])


def spaced(text: str) -> str:
    return f" {text} "
