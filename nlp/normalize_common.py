"""Shared pieces of the normalizer rules: the context, number patterns and small helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from nlp.numbers import read_digits, read_number, read_vietnamese_number

LETTER = r"[^\W\d_]"
NUM = r"(?:\d{1,3}(?:\.\d{3})+(?!\d)(?:,\d+)?|\d+,\d+(?!,\d)|\d+\.\d+(?!\.\d)|\d+)"
DAY = r"(?:0?[1-9]|[12]\d|3[01])"
MONTH = r"(?:0?[1-9]|1[0-2])"
YEAR = r"(?:\d{4})"
# A number starts here: a digit (looked at first, the cheapest test) not glued to a word or a number.
START = r"(?=\d)(?<![\w/.,:+-])"
END = r"(?![\w/]|[.,:]\d)"
# A decimal digit for a pattern to open with: the engine tests each character of the line against a table of
# the characters outside these ranges (every decimal digit is outside them: the first that is not ASCII is
# U+0660; the letters of Vietnamese are inside), cheaper than looking up its Unicode category as \d does; the
# lookbehind then checks the one character found. Negated, the table is built from small ranges when compiled.
NOT_DIGIT_RANGES = "\\x00-/:-\\u065f\\u1e00-\\u1eff"
DIGIT_SCAN = f"[^{NOT_DIGIT_RANGES}](?<=\\d)"
# Where START holds, found by the engine's fast scan for a digit (a pattern that opens with a lookahead is
# tried at every position of the line instead): the digit, then what comes before it.
NUMBER_START = re.compile(DIGIT_SCAN + r"(?<![\w/.,:+-]\d)")


@dataclass(frozen=True)
class Context:
    """Tables and compiled patterns the rules share, built once per abbreviation table."""

    abbreviations: Mapping[str, str]
    abbreviation_pattern: re.Pattern[str]
    abbreviation_start: re.Pattern[str]  # where abbreviation_pattern can match, found quickly
    # abbreviation_start for a line holding none of lower_keys: "(" and the first letters of the other keys
    abbreviation_start_upper: re.Pattern[str]
    lower_keys: tuple[tuple[str, str], ...]  # (key, a character of it) for keys not starting with a capital
    doc_types: Mapping[str, str]
    issuers: Mapping[str, str]
    units: Mapping[str, tuple[str, str]]
    unit_pattern: str
    per_pattern: re.Pattern[str]
    per_hint: re.Pattern[str]  # true of every line per_pattern matches, found from its slash
    quantity_pattern: re.Pattern[str]
    spaced_thousands: re.Pattern[str]


def sub_where(
    hint: re.Pattern[str],
    pattern: re.Pattern[str],
    read: Callable[[re.Match[str]], str],
    line: str,
    *,
    from_token_start: bool = False,
) -> str:
    """``pattern.sub(read, line)`` for a ``pattern`` that can only match where ``hint`` matches, never empty.

    The hint opens with a character class, so the engine skips to its candidates quickly; the pattern is
    tried only there (its lookbehinds still see the whole line). With ``from_token_start`` the pattern is
    tried where the token holding the hint starts instead (after a space or a slash).
    """
    search, match = hint.search, pattern.match
    pieces: list[str] = []
    pos = last = 0
    while (found := search(line, pos)) is not None:
        hit = start = found.start()
        if from_token_start:
            while start and not (line[start - 1].isspace() or line[start - 1] == "/"):
                start -= 1
        if start < pos or (m := match(line, start)) is None:
            pos = hit + 1
            continue
        pieces += (line[last:start], read(m))
        pos = last = m.end()
    if not pieces:
        return line
    pieces.append(line[last:])
    return "".join(pieces)


def alternation(keys: Iterable[str]) -> str:
    """A pattern for any of ``keys``, longest first, with common prefixes shared ("k(?:V|W(?:h)?)?").

    It matches what ``"|".join(keys sorted longest first)`` matches, in the same order of preference
    (every key that fits at a position is a prefix of the longest that fits), but the engine reads
    each character once instead of trying every key in turn.
    """
    trie: dict[str, dict] = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}  # a key ends here
    return _trie_pattern(trie) or "(?!)"


def _trie_pattern(node: dict[str, dict]) -> str:
    branches = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{body})?" if "" in node else body


# Letters a ``(?i)`` pattern takes for "i" or "s" although ``str.lower`` does not turn them into those:
# dotless ı and long ſ stay as they are, İ becomes "i" and a combining dot (U+0307).
_OTHER_CASES = ("ı", "ſ", "\u0307")


def may_hold_words(line: str, words: Iterable[str]) -> bool:
    """A quick test, false only when no ``(?i)`` pattern for these lower-case Vietnamese ``words`` can match ``line``."""
    lower = line.lower()
    if any(ch in lower for ch in _OTHER_CASES):
        return True
    return any(word in lower for word in words)


@lru_cache(maxsize=4096)
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
    before = match.string[: match.start()]
    if words < 1:
        return " ".join(before.lower().split()[-words:])
    return " ".join(word.lower() for word in before.rsplit(None, words)[-words:])


def spaced(text: str) -> str:
    return f" {text} "
