"""Rules for numbers: Roman numerals, ordinals, per-unit slashes, quantities with units and ranges."""

from __future__ import annotations

import re
from functools import cache

from nlp.normalize_common import (
    LETTER,
    NUM,
    YEAR,
    Context,
    may_hold_words,
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
        line = _ROMAN.sub(_read_roman, line)
    line = _ROMAN_HEADING.sub(_read_roman_heading, line)
    return _ORDINAL.sub(_read_ordinal, line) if may_hold_words(line, ("thứ",)) else line


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
    if "/" not in line:
        return line
    for _ in range(3):
        changed = context.per_pattern.sub(lambda m: _read_per(m, context), line)
        if changed == line:
            break
        line = changed
    return line


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


_EACH_UNIT = re.compile(
    r"(?=[mMtT])(?P<each>(?i:(?<!\w)mỗi|(?<!\w)trên)\s+)(?P<unit>ha|kg|km|km2|m2|m3|m²|m³|mm|cm|ml|kWh)(?![\w/])"
)


def rule_units_after_each(line: str, _: Context) -> str:
    """A unit with no number before it but "mỗi" (each): "mỗi ha" -> "mỗi héc ta"."""
    if "ỗi" not in line and "rên" not in line and "ỖI" not in line and "RÊN" not in line:
        return line
    return _EACH_UNIT.sub(lambda m: m["each"] + unit_table()[m["unit"]][0], line)


_TIMES = re.compile(r"(?<=\d)\s*[xX×]\s*(?=\d)")


_SHORTHAND_HINT = re.compile(r"\d(?:tr|k|t)")
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
_TIMES_HINT = re.compile(r"\d\s*[xX×]\s*\d")
_SPACED_THOUSANDS_HINT = re.compile(r"\d \d{3}")
_TIMES_OR_SPACED_HINT = re.compile(r"\d(?:\s*[xX×]\s*\d| \d{3})")


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
    return sub_where(_QUANTITY_START, context.quantity_pattern, lambda m: _read_quantity(m, context), line)


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
