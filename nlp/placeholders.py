"""Numbers, dates, times, amounts, phone numbers and codes carried through translation as placeholders."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A phone number written in groups ("0233 3871 115", "1900 9095") is one value.
_PHONE = r"(?:0\d{2,3}[ .]\d{3,4}[ .]\d{3,4}|1[89]00[ .]\d{3,4}(?:[ .]\d{2,4})?)"
# Any other whitespace-delimited token holding a digit: 14/11/2025, 13h, 6h00, 46,5, 1.500.000, 200-350,
# 18+500, 09/CĐ-UBND, ĐT.571, 24/24, 30%. Punctuation that ends a clause stays outside.
_TOKEN = r"[^\s\d]*\d[^\s]*?"
VALUE = re.compile(rf"(?<!\S)(?:\(?)({_PHONE}|{_TOKEN})(?=[.,;:!?…)\"”’]*(?:\s|$))")
PLACEHOLDER = re.compile(r"⟦(\d+)⟧")
_DIGITS = re.compile(r"\d+")
# Private-use characters standing for placeholders while a template is built (they hold no digit).
_MARK = 0xF0000
_MARKS = re.compile(f"[{chr(_MARK)}-{chr(_MARK + 0xFFFD)}]")
# Digits of other scripts a translator may type, read as ASCII digits when checking.
_OTHER_DIGITS = str.maketrans(
    {chr(base + i): str(i) for base in (0x17E0, 0xAA50, 0x0660, 0x06F0, 0x0E50, 0x0ED0) for i in range(10)}
)


@dataclass(frozen=True)
class Masked:
    """A text with its values replaced by ``⟦1⟧``, ``⟦2⟧``... and the values in order."""

    text: str
    values: tuple[str, ...]


def mask(text: str) -> Masked:
    """Replace every number-bearing value of ``text`` with a numbered placeholder."""
    values: list[str] = []

    def _sub(match: re.Match[str]) -> str:
        values.append(match.group(1))
        return match.group(0).replace(match.group(1), f"⟦{len(values)}⟧")

    return Masked(VALUE.sub(_sub, text), tuple(values))


def unmask(text: str, values: tuple[str, ...] | list[str]) -> str | None:
    """Put the values back; None when the text names a placeholder that has no value."""
    missing = [int(n) for n in PLACEHOLDER.findall(text) if not 1 <= int(n) <= len(values)]
    if missing:
        return None
    return PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1], text)


def ascii_digits(text: str) -> str:
    """Khmer, Cham, Arabic-Indic, Thai and Lao digits as ASCII digits."""
    return text.translate(_OTHER_DIGITS)


def value_pattern(value: str) -> re.Pattern[str]:
    """How a value may appear in a translation: its digit groups in order, with any separator between.

    ``6h00`` matches ``6:00``; ``0233 3871 115`` matches ``0233.3871.115``; ``15/11/2025`` matches
    ``15-11-2025``. A trailing group of zeros (minutes ``00``) may be left out.
    """
    groups = _DIGITS.findall(value)
    between = r"(?:[^\w]{0,3}|[hH:])"
    body = between.join(groups)
    if len(groups) > 1 and set(groups[-1]) == {"0"}:
        body = between.join(groups[:-1]) + rf"(?:{between}{groups[-1]})?"
    return re.compile(rf"(?<!\d){body}(?!\d)")


def missing_values(values: tuple[str, ...] | list[str], translation: str) -> list[str]:
    """The values of the source that a translation does not carry (in any digit script)."""
    text = ascii_digits(translation)
    return [value for value in values if not value_pattern(value).search(text)]


def template_from(values: tuple[str, ...], translation: str) -> str:
    """A translation with the source's values replaced by their placeholders (for the memory)."""
    out = ascii_digits(translation)
    # Longest first (2025 before 20), each through a digit-free mark so that a later value such as
    # ``1`` cannot match the digit inside an earlier placeholder ``⟦1⟧``.
    # Of a value's matches the longest is taken: ``1.000`` is the whole amount, not the ``1`` of "1 lần".
    for index in sorted(range(len(values)), key=lambda i: -len(values[i])):
        found = max(
            value_pattern(values[index]).finditer(out), key=lambda m: m.end() - m.start(), default=None
        )
        if found is not None:
            out = out[: found.start()] + chr(_MARK + index) + out[found.end() :]
    return _MARKS.sub(lambda m: f"⟦{ord(m.group()) - _MARK + 1}⟧", out)


def value_kind(value: str) -> str:
    """``phone``, ``date``, ``time``, ``amount``, ``code`` or ``number``, for messages."""
    digits = "".join(_DIGITS.findall(value))
    if re.fullmatch(_PHONE, value) or (value.startswith(("0", "1800", "1900")) and len(digits) >= 9):
        return "phone"
    if re.fullmatch(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?", value):
        return "date"
    if re.fullmatch(r"\d{1,2}(?:h\d{0,2}|:\d{2})", value):
        return "time"
    if re.search(r"[^\W\d_]", value):
        return "code"
    if "%" in value or re.search(r"\d[.,]\d{3}", value):
        return "amount"
    return "number"
