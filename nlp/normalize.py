"""Spoken form of Vietnamese bulletin text: what a radio announcer reads aloud.

The conventions (numbers, dates, times, units, legal document numbers, addresses) are those of
``shared/data/README.md``; tables live in ``nlp/data`` (``abbreviations.tsv`` and ``norm_*.tsv``).
Rules run in a fixed order (``nlp.normalize_rules.RULES``), most specific first, each turning its
matches into words so later rules never see them again; a last pass reads any digit left. The rules
live in ``normalize_references`` (addresses, legal document numbers, roads, phones),
``normalize_datetime`` (calendar abbreviations, dates, times), ``normalize_quantities`` (Roman
numerals, ordinals, money shorthands, units, ranges, numbers) and ``normalize_words`` (codes,
abbreviations, symbols); ``normalize_context`` decides from its neighbours whether a slash number is a
date, a date used as a name, a lunar date, a share or a count. Numbers are read by ``nlp.numbers``.
Where this project's readings differ from NeMo-text-processing's: ``bench/normalization_conventions.md``.
Paragraph breaks and the punctuation that marks a pause (. , ; : ! ?) are kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from nlp.clean import clean_text_and_check
from nlp.normalize_common import Context
from nlp.normalize_data import packaged_mapping, parse_table
from nlp.normalize_rules import NEEDS_DIGITS, RULES, build_context

_DIGIT = re.compile(r"\d")
_OTHER_SCRIPT_DIGIT = re.compile(r"[^\D0-9]")  # a decimal digit that is not ASCII


def load_abbreviations(text: str) -> dict[str, str]:
    """Parse TSV content ``abbreviation<TAB>spoken form`` (``#`` comments and blank lines skipped)."""
    return dict(parse_table(text))  # type: ignore[arg-type]


def packaged_abbreviations() -> dict[str, str]:
    """The abbreviation table shipped with bantin (``nlp/data/abbreviations.tsv``)."""
    return dict(packaged_mapping("abbreviations.tsv"))


def normalize_for_speech(text: str, *, abbreviations: Mapping[str, str] | None = None) -> str:
    """Return the spoken form of ``text``: no digits, abbreviations expanded, paragraphs kept."""
    context = _context(tuple(sorted((abbreviations or {}).items())))
    cleaned, may_hold_other_digits = clean_text_and_check(text)
    paragraphs = (ascii_digits(cleaned) if may_hold_other_digits else cleaned).split("\n\n")
    spoken = ([_normalize_line(line, context, False, True) for line in p.split("\n")] for p in paragraphs)
    return "\n\n".join(
        text for lines in spoken if (text := "\n".join(line for line in lines if line.strip()))
    )


def ascii_digits(text: str) -> str:
    """Decimal digits of any script (Arabic-Indic, Devanagari...) as ASCII digits."""
    if text.isascii() or not _OTHER_SCRIPT_DIGIT.search(text):
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def normalize_line(line: str, context: Context, *, strict: bool = False) -> str:
    """Apply every rule to one line of cleaned text; ``strict`` lets a failing rule raise."""
    return _normalize_line(line, context, strict, not _OTHER_SCRIPT_DIGIT.search(line))


def _normalize_line(line: str, context: Context, strict: bool, ascii_only: bool) -> str:
    """``normalize_line``; ``ascii_only`` when the line holds no decimal digit of another script."""
    checked = None  # the text whose digits were last looked for: rules rewrite the line as they go
    # No rule writes a digit, so a line of ASCII digits stays so and a substring test is enough.
    has_digit = _has_ascii_digit if ascii_only else _has_digit
    for rule in RULES:
        if rule in NEEDS_DIGITS:
            if line is not checked:
                has_digits, checked = has_digit(line), line
            if not has_digits:
                continue
        try:
            line = rule(line, context)
        except Exception:
            # A broadcast must not stop on one odd line: skip the rule, the last rules still
            # read every digit. Tests run with strict=True so such a failure is still caught.
            if strict:
                raise
    return line


def _has_ascii_digit(line: str) -> bool:
    return any(digit in line for digit in "0123456789")


def _has_digit(line: str) -> bool:
    return _DIGIT.search(line) is not None


def default_context() -> Context:
    """The rules' context for the packaged abbreviation table."""
    return _context(())


@lru_cache(maxsize=32)
def _context(extra: tuple[tuple[str, str], ...]) -> Context:
    """Rules' shared state, built once per abbreviation table."""
    table = packaged_abbreviations()
    table.update(dict(extra))
    return build_context(table)
