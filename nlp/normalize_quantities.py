"""Rules for numbers: Roman numerals, ordinals, per-unit slashes, quantities with units and ranges."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from nlp.normalize_common import (
    DIGIT_SCAN,
    LETTER,
    NUM,
    YEAR,
    Context,
    read_written_number,
    spaced,
    sub_where,
)
from nlp.normalize_context import counts_items, is_share
from nlp.normalize_data import unit_table
from nlp.normalize_datetime import read_month
from nlp.numbers import read_denominator, read_digits, read_number, read_ordinal

# --- Roman numerals and ordinals ----------------------------------------------------------------

_ROMAN_CONTEXT = (
    "quý|khóa|kỳ|kì|thế kỷ|thế kỉ|đại hội|lần thứ|thứ|phần|chương|mục|tập|hạng|vùng|quân khu|"
    "giai đoạn|đợt|loại|nhóm|bậc|phụ lục|kỳ họp|hội nghị|ban chấp hành|đoạn|khoản|mức độ|cấp độ|cấp|số|năm"
)
_ROMAN = re.compile(
    rf"(?P<ctx>(?i:(?<!\w)(?:{_ROMAN_CONTEXT})))(?P<gap>\s+)"
    rf"(?P<r>[IVXLCDM]+|[ivxlcdm]+)(?:/(?P<y>{YEAR}))?(?![\w])(?=(?P<next>\s*[^\W\d_]*))"
)
# A numeral after a space as _ROMAN reads it: upper case, or lower case before a pause (a space looked for first).
_ROMAN_HINT = re.compile(r"\s(?:[IVXLCDM]+(?:/\d{4})?(?!\w)|[ivxlcdm]++(?:/\d{4})?\s*+(?![^\W\d_]))")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_VALID_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ORDINAL = re.compile(r"(?P<ctx>(?i:(?<!\w)thứ))\s+(?P<n>\d+)(?:\s*-\s*(?P<n2>\d+))?(?![\w]|[.,]\d)")
# True of every line _ORDINAL reads: "ứ" in either case (the only letters its case-insensitive "ứ" matches),
# a space and a digit. _ORDINAL opens with a lookbehind, so the engine would try it at every position.
_ORDINAL_HINT = re.compile(r"[ứỨ]\s+\d")


def roman_value(numeral: str) -> int | None:
    """The value of an upper-case Roman numeral below 4000, or None."""
    if not numeral or not _VALID_ROMAN.fullmatch(numeral):
        return None
    values = [_ROMAN_VALUES[ch] for ch in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


_ROMAN_HEADING = re.compile(r"^(?P<r>[IVXLC]+)(?P<mark>[.)]\s|\t)")


def rule_roman_and_ordinals(line: str, _: Context) -> str:
    """quý IV -> quý bốn, khóa XV -> khóa mười lăm, "IV. Kinh phí" -> "bốn. Kinh phí", thứ 2-6."""
    if _ROMAN_HINT.search(line):
        line = _sub_roman(line, _read_roman)
    line = _ROMAN_HEADING.sub(_read_roman_heading, line)
    if ("ứ" in line or "Ứ" in line) and _ORDINAL_HINT.search(line):  # a one-character test (memchr) first
        return _ORDINAL.sub(_read_ordinal, line)
    return line


# The lengths of the context words, longest first: a context word ends where the spaces before its numeral begin.
_ROMAN_CONTEXT_LENGTHS = tuple(sorted({len(word) for word in _ROMAN_CONTEXT.split("|")}, reverse=True))


def _sub_roman(line: str, read: Callable[[re.Match[str]], str]) -> str:
    """``_ROMAN.sub(read, line)``, tried only where a context word can end before a numeral.

    _ROMAN opens with a case-insensitive word, so the engine would try it at every position. Every numeral
    it reads aloud follows a space _ROMAN_HINT finds; its context word ends where the spaces before it begin,
    and starts one of _ROMAN_CONTEXT_LENGTHS before that, tried from the earliest as ``sub`` does. A match
    found there for another numeral keeps its text (that numeral is not one _ROMAN_HINT finds), and no
    context word holds a numeral, so skipping it hides nothing.
    """
    search, match = _ROMAN_HINT.search, _ROMAN.match
    pieces: list[str] = []
    pos = last = 0
    while (found := search(line, pos)) is not None:
        numeral = pos = found.start() + 1
        if numeral <= last:
            continue
        gap = numeral - 1
        while gap and line[gap - 1].isspace():
            gap -= 1
        for size in _ROMAN_CONTEXT_LENGTHS:
            start = gap - size
            if start >= last and (m := match(line, start)) is not None and m.start("r") == numeral:
                pieces += (line[last:start], read(m))
                last = m.end()
                pos = max(pos, last)
                break
    if not pieces:
        return line
    pieces.append(line[last:])
    return "".join(pieces)


def _is_roman_in_context(match: re.Match[str], value: int) -> bool:
    """Lower case only before a pause ("khoản vi phạm" is a word); "số" takes small numerals, "năm" years."""
    numeral, context = match["r"], match["ctx"].lower()
    if numeral.islower() and (match["next"].strip() or (len(numeral) == 1 and numeral not in "ivx")):
        return False
    if context == "số":
        return set(numeral.upper()) <= set("IVXL")
    if context == "năm":
        return value >= 1000
    return True


def _read_roman(match: re.Match[str]) -> str:
    value = roman_value(match["r"].upper())
    if value is None or not _is_roman_in_context(match, value):
        return match.group()
    ordinal = match["ctx"].lower().endswith("thứ")
    spoken = read_ordinal(str(value)) if ordinal else read_number(str(value))
    tail = f" năm {read_number(match['y'])}" if match["y"] else ""
    return f"{match['ctx']} {spoken}{tail}"


def _read_roman_heading(match: re.Match[str]) -> str:
    value = roman_value(match["r"])
    if value is None:
        return match.group()
    return read_number(str(value)) + match["mark"]


def _read_ordinal(match: re.Match[str]) -> str:
    spoken = f"{match['ctx']} {read_ordinal(match['n'])}"
    if match["n2"]:
        spoken += f" đến thứ {read_ordinal(match['n2'])}"
    return spoken


# --- quantities ---------------------------------------------------------------------------------

PER_WORDS = (
    "người|hộ|lượt|lần|ngày|đêm|tháng|năm|tuần|quý|giờ|phút|giây|con|suất|khẩu|cây|xã|thôn|lớp|"
    "trường|học sinh|ca|sào|mẫu|công|vụ|lao động|nhân khẩu|hecta|héc ta|chiếc|bao|kỳ|buổi"
)
_REPEATED_BEFORE_RANGE = {"cấp", "ngày", "tháng", "thứ", "tuần"}


def rule_per_units(line: str, context: Context) -> str:
    """Slash meaning per: "trên" between units of measure, "một" after money, a percentage or a count."""
    if "/" not in line or not context.per_hint.search(line):
        return line
    for _ in range(3):
        changed = _sub_per(line, context, lambda m: _read_per(m, context))
        if changed == line:
            break
        line = changed
    return line


def _sub_per(line: str, context: Context, read: Callable[[re.Match[str]], str]) -> str:
    """``context.per_pattern.sub(read, line)``, tried only at the start of a token holding a slash.

    per_pattern opens with a lookbehind, so the engine would try it at every position. Every slash it reads
    is one per_hint finds; its left side is the whole token before that slash (no space, no slash), so a
    match can only start where that token starts.
    """
    return sub_where(context.per_hint, context.per_pattern, read, line, from_token_start=True)


def _read_per(match: re.Match[str], context: Context) -> str:
    left, right = match["left"], match["right"]
    left_kind = _unit_kind(left, context)
    if not left or (left[-1] in "0123456789" and not left_kind):
        return match.group()
    known_right = right in context.units or re.fullmatch(PER_WORDS, right)
    if not known_right and left_kind not in {"money", "percent"}:
        return match.group()
    spoken_right = context.units[right][0] if right in context.units else right
    word = "trên" if left_kind == "measure" and right in context.units else "một"
    return f"{left} {word} {spoken_right}"


@cache
def _longest_first(keys: tuple[str, ...]) -> list[str]:
    return sorted(keys, key=len, reverse=True)


def _unit_kind(token: str, context: Context) -> str:
    """The kind of unit a token ends with (measure, money, percent, time) or ""."""
    for unit in _longest_first(tuple(context.units)):
        if token.endswith(unit) and (len(token) == len(unit) or not token[-len(unit) - 1].isalpha()):
            return context.units[unit][1]
    return "money" if token.lower() in {"đồng", "usd", "đô"} else ""


QUANTITY_PATTERN = (
    # A quantity starts with a word below (c, n, t in any case), a currency sign or a number: tested first.
    r"(?=[$€\d-]|(?<!\w)[cntCNT])"
    rf"(?P<pre>(?i:(?<!\w)(?:cấp|ngày|tháng|tuần))\s+)?(?<![\w.,])(?<!{LETTER}-)(?<!\d/)(?P<cur>[$€]\s?)?"
    rf"(?P<a>-?{NUM})(?:(?P<u1>UNITS)(?=\s*-\s*\d))?(?:\s*-\s*(?P<b>-?{NUM}))?"
    rf"(?:\s?(?P<unit>UNITS)(?![^\W\d_]|\.[^\W\d_]))?(?![^\W_]|/\d)"
)

# Where a quantity can start (a superset of QUANTITY_PATTERN's opening test), a character class first.
_QUANTITY_START = re.compile(r"[$€\d\-cCnNtT](?:(?<=[$€\d-])|(?<=(?<!\w)[cCnNtT])(?i:ấp|gày|háng|uần)\s)")
# Where the number of a quantity (or its currency sign) can start: the engine skips to digits and signs
# instead of stopping at every c, n and t of the line.
# (DIGIT_SCAN's table with "$" and "-" let through; € is beyond U+065F.)
QUANTITY_NUMBER_CLASS = r"[^\x00-#%-,./:-\u065f\u1e00-\u1eff]"
_QUANTITY_NUMBER = re.compile(QUANTITY_NUMBER_CLASS + r"(?<=[$€\d-])(?<![\w.,].)")
# The lengths of the words QUANTITY_PATTERN takes before a number: "tháng", "ngày" and "tuần", "cấp".
_WORD_LENGTHS = (5, 4, 3)


# The first letter is looked for first (the engine skips to it), then what comes before and after it.
_EACH_UNIT = re.compile(
    r"(?P<each>[mMtT](?<!\w[mMtT])(?i:(?<=[mM])ỗi|(?<=[tT])rên)\s+)(?P<unit>ha|kg|km|km2|m2|m3|m²|m³|mm|cm|ml|kWh)(?![\w/])"
)


# True of every line _EACH_UNIT reads: "ỗi" or "ên" (ỗ and ê in either case: the only letters their
# case-insensitive forms match), spaces and the start of a unit; the engine skips to each ỗ or ê.
_EACH_UNIT_HINT = re.compile(
    r"[ỗỖêÊ](?:(?<=[ỗỖ])(?i:i)|(?<=[êÊ])(?i:n))\s+(?:ha|kg|km|m2|m3|m²|m³|mm|cm|ml|kWh)"
)


def rule_units_after_each(line: str, _: Context) -> str:
    """A unit with no number before it but "mỗi" (each): "mỗi ha" -> "mỗi héc ta"."""
    if not (
        ("ỗ" in line and "ỗi" in line)
        or "rên" in line
        or ("Ỗ" in line and "ỖI" in line)
        or ("Ê" in line and "RÊN" in line)
    ):
        return line  # none of "ỗi", "rên", "ỖI", "RÊN" (a one-character test first where it is cheaper)
    if not _EACH_UNIT_HINT.search(line):
        return line
    return _EACH_UNIT.sub(lambda m: m["each"] + unit_table()[m["unit"]][0], line)


_TIMES = re.compile(r"(?<=\d)\s*[xX×]\s*(?=\d)")


_SHORTHAND_HINT = re.compile(DIGIT_SCAN + "(?:tr|k|t)")
_SCALES = {"k": ("nghìn", ""), "tr": ("triệu", "nghìn"), "t": ("tỷ", "triệu")}
_SHORTHAND = r"(?P<aI>\d{1,3})(?P<sI>tr|k|t)(?P<bI>\d{1,3})?"
_MONEY_SHORTHAND = re.compile(
    rf"(?<![\w.,]){_SHORTHAND.replace('I', '1')}(?:\s*-\s*{_SHORTHAND.replace('I', '2')})?"
    r"(?P<cur>\s?(?:đồng|VNĐ|VND|vnđ|vnd|đ)(?!\w))?(?![^\W\d_]|[.,]\d)"
)


def rule_money_shorthand(line: str, _: Context) -> str:
    """Amounts written the short way: 1tr5 (một triệu năm trăm nghìn), 2t3 (hai tỷ ba trăm triệu), 10k-20k."""
    if not _SHORTHAND_HINT.search(line):
        return line
    return _MONEY_SHORTHAND.sub(_read_money_shorthand, line)


def _read_money_shorthand(match: re.Match[str]) -> str:
    if not (match["b1"] or match["a2"] or match["s1"] == "t"):
        return match.group()  # "500k" and "2tr" alone are units the quantity rule reads
    spoken = [_shorthand_words(match, "1")]
    if match["a2"]:
        spoken.append(_shorthand_words(match, "2"))
    return spaced(" đến ".join(spoken) + (" đồng" if match["cur"] else ""))


def _shorthand_words(match: re.Match[str], i: str) -> str:
    scale, lower = _SCALES[match[f"s{i}"]]
    spoken = f"{read_number(match[f'a{i}'])} {scale}"
    if tail := match[f"b{i}"]:
        spoken += f" {read_number(tail.ljust(3, '0'))} {lower}".rstrip()
    return spoken


@cache
def _fraction_with_unit(unit_pattern: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![\w.,/])(?P<neg>(?<![\w.,/-])-)?(?P<a>\d+)/(?P<b>{NUM})\s?(?P<unit>{unit_pattern})(?![^\W\d_])"
    )


def _read_fraction_with_unit(match: re.Match[str], context: Context) -> str:
    """ "1/2kg" is half a kilogram ("một phần hai"); "22/0,4 kV" is a ratio of two voltages ("trên")."""
    unit = context.units[match["unit"]]
    if unit[1] != "measure":
        return match.group()
    a, b = match["a"], match["b"]
    sign = "âm " if match["neg"] else ""
    if b.isdigit() and int(a) < int(b):
        return spaced(f"{sign}{read_number(a)} phần {read_denominator(b)} {unit[0]}")
    return spaced(f"{sign}{read_number(a)} trên {read_written_number(b)} {unit[0]}")


# Quick tests, each true of every line its pattern can match: a fraction, a multiplication, spaced thousands.
_FRACTION_HINT = re.compile(r"/(?<=\d/)\d")
_TIMES_HINT = re.compile(DIGIT_SCAN + r"\s*[xX×]\s*\d")
_SPACED_THOUSANDS_HINT = re.compile(DIGIT_SCAN + r" \d{3}")
_TIMES_OR_SPACED_HINT = re.compile(DIGIT_SCAN + r"(?:\s*[xX×]\s*\d| \d{3})")


def rule_quantities(line: str, context: Context) -> str:
    """Numbers with ranges and units: 5-7 ngày, 200-350 mm, cấp 6-7, 12,5%, 25°C, 50.000đ, $5, 2 x 3 m."""
    if "/" in line and _FRACTION_HINT.search(line):
        line = _fraction_with_unit(context.unit_pattern).sub(
            lambda m: _read_fraction_with_unit(m, context), line
        )
    if _TIMES_OR_SPACED_HINT.search(line):  # one scan for the two tests below, most lines have neither
        if _TIMES_HINT.search(line):
            line = _TIMES.sub(" nhân ", line)
        if _SPACED_THOUSANDS_HINT.search(line):
            line = context.spaced_thousands.sub(lambda m: m.group().replace(" ", "."), line)
    return _sub_quantities(line, context, lambda m: _read_quantity(m, context))


def _sub_quantities(line: str, context: Context, read: Callable[[re.Match[str]], str]) -> str:
    """``sub_where(_QUANTITY_START, context.quantity_pattern, read, line)``, found from the numbers.

    A quantity starts at its number (or sign) or at the word before it ("tháng 3", "cấp 6-7"): that word
    ends where the spaces before the number begin, and is tried first, where _QUANTITY_START would find it.
    Between that word and the number there is nothing else _QUANTITY_START finds.
    """
    search, match = _QUANTITY_NUMBER.search, context.quantity_pattern.match
    starts_here = _QUANTITY_START.match
    pieces: list[str] = []
    pos = last = 0
    while (found := search(line, pos)) is not None:
        start = found.start()
        m = None
        if start and line[start - 1].isspace():
            end = start - 1
            while end and line[end - 1].isspace():
                end -= 1
            for size in _WORD_LENGTHS:
                begin = end - size
                if begin >= pos and starts_here(line, begin) and (m := match(line, begin)) is not None:
                    start = begin
                    break
        if m is None and (m := match(line, start)) is None:
            pos = start + 1
            continue
        pieces += (line[last:start], read(m))
        pos = last = m.end()
    if not pieces:
        return line
    pieces.append(line[last:])
    return "".join(pieces)


def _read_quantity(match: re.Match[str], context: Context) -> str:
    pre = (match["pre"] or "").strip()
    month = pre.lower() == "tháng" and not match["unit"]
    read = read_month if month else read_written_number
    spoken = f"{pre} {read(match['a'])}" if pre else read(match["a"])
    if match["u1"]:
        spoken += f" {context.units[match['u1']][0]}"
    if match["b"]:
        repeat = f"{pre.lower()} " if pre.lower() in _REPEATED_BEFORE_RANGE else ""
        spoken += f" đến {repeat}{read(match['b'])}"
    if match["unit"]:
        spoken += f" {context.units[match['unit']][0]}"
    if match["cur"]:
        spoken += " đô la" if "$" in match["cur"] else " ơ rô"
    return spaced(spoken)


# --- numbers left over -------------------------------------------------------------------------

_FRACTION = re.compile(rf"(?<![\w.,/])(?P<neg>(?<![\w.,/-])-)?(?P<a>{NUM})/(?P<b>{NUM})(?![\w/]|[.,]\d)")
_NUMBER = re.compile(rf"(?<![\w.,])(?<!{LETTER}-)(?P<neg>-)?(?P<n>{NUM})")


def rule_numbers(line: str, _: Context) -> str:
    """Numbers left after the specific rules: fractions 24/24, plain numbers, negatives."""
    line = _FRACTION.sub(_read_fraction, line)
    return _NUMBER.sub(_read_plain_number, line)


def _read_fraction(match: re.Match[str]) -> str:
    """ "-3/4" and "tỷ lệ 1/2.000" are shares ("phần"); "24/24" and "15/17" are counts ("trên")."""
    a, b = match["a"], match["b"]
    whole = re.fullmatch(r"\d{1,3}(?:\.\d{3})*|\d+", b) and a.isdigit()
    if (
        whole
        and not counts_items(match)
        and int(a) < int(b.replace(".", ""))
        and (match["neg"] or is_share(match))
    ):
        sign = "âm " if match["neg"] else ""
        return spaced(f"{sign}{read_number(a)} phần {read_denominator(b.replace('.', ''))}")
    sign = "âm " if match["neg"] else ""
    return spaced(f"{sign}{read_written_number(a)} trên {read_written_number(b)}")


def _read_plain_number(match: re.Match[str]) -> str:
    negative = match["neg"] and (match.start() == 0 or match.string[match.start() - 1] in " (")
    prefix = "âm " if negative else (" " if match["neg"] else "")
    number = match["n"]
    if number.startswith("0") and len(number) > 1 and number.isdigit() and len(number) > 2:
        return spaced(prefix + read_digits(number))
    return spaced(prefix + read_written_number(number))
