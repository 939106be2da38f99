"""The rules of the spoken-form normalizer, applied in order (``RULES``) to one line of cleaned text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from nlp.normalize_data import packaged_mapping, unit_table
from nlp.normalize_web import (
    EMAIL,
    LETTER_NAMES,
    URL,
    is_vietnamese_syllable,
    read_email,
    read_url,
    spell_letters,
)
from nlp.numbers import DIGITS, read_digits, read_number, read_ordinal, read_vietnamese_number

LETTER = r"[^\W\d_]"
_NUM = r"(?:\d{1,3}(?:\.\d{3})+(?!\d)(?:,\d+)?|\d+,\d+(?!,\d)|\d+\.\d+(?!\.\d)|\d+)"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:\d{4})"
_START = r"(?<![\w/.,:+-])"
_END = r"(?![\w/]|[.,:]\d)"


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

    @classmethod
    def build(cls, abbreviations: Mapping[str, str]) -> Context:
        keys = sorted(abbreviations, key=len, reverse=True)
        alternation = "|".join(re.escape(k) for k in keys) or "(?!)"
        pattern = re.compile(
            rf"(?P<open>\(\s*)?(?<![\w&.])(?P<abbr>(?:{alternation})(?:-(?:{alternation}))*)"
            rf"(?:(?<=\.)|(?![\w&]))(?P<close>\s*\))?"
        )
        units = unit_table()
        unit_keys = sorted(units, key=len, reverse=True)
        unit_pattern = "|".join(re.escape(k) for k in unit_keys)
        return cls(
            abbreviations=dict(abbreviations),
            abbreviation_pattern=pattern,
            doc_types=packaged_mapping("norm_doc_types.tsv"),
            issuers=packaged_mapping("norm_issuers.tsv"),
            units=units,
            unit_pattern=unit_pattern,
            per_pattern=re.compile(
                rf"(?<![^\s/])(?P<left>[^\s/]+)/(?P<right>{unit_pattern}|{_PER_WORDS}|[^\W\d_]+)(?![^\W\d_])"
            ),
            quantity_pattern=re.compile(_QUANTITY.replace("UNITS", unit_pattern)),
        )


def read_written_number(text: str) -> str:
    """Read "1.500", "12,5", "-3" or a dotted non-thousands number such as "4.0" ("bốn chấm không")."""
    sign = "âm " if text.startswith("-") else ""
    body = text.lstrip("-")
    if "." in body and not re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", body):
        head, _, tail = body.partition(".")
        fraction = read_digits(tail) if tail.startswith("0") else read_number(tail)
        return f"{sign}{read_number(head)} chấm {fraction}"
    return sign + read_vietnamese_number(body)


def _before(match: re.Match[str], words: int = 3) -> str:
    """The last few words before a match, lowercased."""
    return " ".join(match.string[: match.start()].lower().split()[-words:])


def _spaced(text: str) -> str:
    return f" {text} "


# --- addresses ----------------------------------------------------------------------------------


def rule_addresses(line: str, _: Context) -> str:
    """E-mail and web addresses."""
    line = EMAIL.sub(lambda m: _spaced(read_email(m.group())), line)
    return URL.sub(lambda m: _spaced(read_url(m.group())), line)


# --- legal documents ----------------------------------------------------------------------------

_DOC_NUMBER = re.compile(
    r"(?<![\w/])(?:(?P<so>[Ss]ố)\s*)?(?P<n>\d+)(?P<suffix>[a-z]?)(?:/(?P<y>(?:19|20)\d{2}))?"
    r"/(?P<codes>[A-ZĐ][A-Za-zĐđ&]*\d*(?:-[A-ZĐ][A-Za-zĐđ&]*\d*)*)(?![\w/-])"
)


_DOC_CODE = re.compile(r"(?<![\w/-])(?P<type>[A-ZĐ][A-Za-zĐđ]*)-(?P<issuer>[A-ZĐ][A-Za-zĐđ&]*\d*)(?![\w/-])")


def rule_legal_numbers(line: str, context: Context) -> str:
    """Quyết định số 135/QĐ-TTg -> quyết định số một trăm ba mươi lăm của thủ tướng chính phủ."""
    line = _DOC_NUMBER.sub(lambda m: _read_doc_number(m, context), line)
    return _DOC_CODE.sub(lambda m: _read_doc_code(m, context), line)


def _read_doc_code(match: re.Match[str], context: Context) -> str:
    """A type and issuer code without a number ("QĐ-TTg") when both are known codes."""
    doc_type = context.doc_types.get(match["type"])
    issuer = match["issuer"]
    known_issuer = issuer in context.issuers or re.sub(r"\d+$", "", issuer) in context.issuers
    if not doc_type or not known_issuer:
        return match.group()
    return _spaced(f"{doc_type} của {_read_issuer(issuer, context)}")


# The text names the issuer itself right after the number (optionally after the date).
_ISSUER_FOLLOWS = re.compile(r"(?:ngày\s+\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\s*,?\s*)?của\b")


def _read_doc_number(match: re.Match[str], context: Context) -> str:
    codes = match["codes"].split("-")
    if sum(ch.isupper() for ch in match["codes"]) < 2:
        return match.group()
    doc_type = context.doc_types.get(codes[0])
    issuer_codes = codes[1:] if doc_type else codes[:1]
    if codes[0] == "TTLT":
        issuers = " và ".join(_read_issuer(c, context) for c in issuer_codes)
    else:
        issuers = _read_issuer(issuer_codes[0], context) if issuer_codes else ""
    before = _before(match, 4)
    prefix = f"{doc_type} " if doc_type and not before.endswith(doc_type) else ""
    spoken = f"{prefix}số {read_number(match['n'])}"
    if match["suffix"]:
        spoken += f" {LETTER_NAMES.get(match['suffix'], match['suffix'])}"
    if match["y"]:
        spoken += f" năm {read_number(match['y'])}"
    after = match.string[match.end() :].lstrip().lower()
    if issuers and not _ISSUER_FOLLOWS.match(after):
        spoken += f" của {issuers}"
    return _spaced(spoken)


def _read_issuer(code: str, context: Context) -> str:
    """An issuer code: table, then "QH13" as "quốc hội khóa mười ba", then abbreviations, then spelled."""
    if code in context.issuers:
        return context.issuers[code]
    term = re.fullmatch(r"(.+?)(\d+)", code)
    if term and term[1] in context.issuers:
        return f"{context.issuers[term[1]]} khóa {read_number(term[2])}"
    if code in context.abbreviations:
        return context.abbreviations[code]
    return spell_letters(code)


# --- roads --------------------------------------------------------------------------------------

_ROAD_MARKER = re.compile(
    r"(?<![\w.,])(?<![\d,.]\s)[Kk][Mm]\s?(?P<a>\d+)(?:\s?\+\s?(?P<b>\d+))?(?![\d,]|\.\d)"
)
_ROADS = {"QL": "quốc lộ", "TL": "tỉnh lộ", "ĐT": "đường tỉnh", "HL": "hương lộ", "ĐH": "đường huyện",
          "ĐX": "đường xã", "CT": "đường cao tốc", "ĐCT": "đường cao tốc"}  # fmt: skip
_ROAD = re.compile(
    r"(?<![\w.])(?P<p>QL|TL|ĐT|HL|ĐCT|ĐH|ĐX|CT)(?P<sep>\s?\.\s?|\s?)(?P<n>[1-9]\d*)(?P<s>[A-Z]?)(?![\w])"
)


def rule_roads(line: str, _: Context) -> str:
    """Road markers (Km 18+500) and road numbers (QL1A, ĐT.571)."""
    line = _ROAD_MARKER.sub(_read_marker, line)
    return _ROAD.sub(_read_road, line)


def _read_marker(match: re.Match[str]) -> str:
    spoken = f"ki lô mét {read_number(match['a'])}"
    return _spaced(spoken + (f" cộng {read_number(match['b'])}" if match["b"] else ""))


def _read_road(match: re.Match[str]) -> str:
    if match["p"] in {"ĐH", "ĐX", "CT"} and "." not in match["sep"]:
        return match.group()
    spoken = f"{_ROADS[match['p']]} {read_number(match['n'])}"
    return _spaced(spoken + (f" {LETTER_NAMES[match['s'].lower()]}" if match["s"] else ""))


# --- phone numbers ------------------------------------------------------------------------------

_PHONE = re.compile(r"(?<![\w.,+/-])(?P<num>(?:\+84[ .-]?|0)\d{1,4}(?:[ .-]?\d{2,4}){1,4})(?![\w/]|[.,]\d)")
_HOTLINE = re.compile(r"(?<![\w.,/-])(?P<num>1[89]00[ .]?\d{2,4}(?:[ .]?\d{2,4})?)(?![\w/]|[.,]\d)")
_PHONE_CONTEXT = re.compile(
    r"(?P<ctx>(?i:\b(?:gọi|quay số|bấm số|nhắn tin|điện thoại|đường dây nóng|hotline|tổng đài|sđt|đt|fax|số máy))"
    r"(?:\s*(?:số|:|là|tới|đến|cho|ngay|theo|qua|miễn phí|cấp cứu|cứu hỏa|cứu hộ|cứu nạn|công an|cảnh sát)\b)*\s*:?\s*)"
    r"(?P<num>\d{3,}(?:[ .]\d{2,4})*)(?![\w/]|[.,]\d)"
)


def rule_phones(line: str, _: Context) -> str:
    """Phone and hotline numbers, read digit by digit with a pause between groups."""
    line = _PHONE.sub(_read_phone_match, line)
    line = _HOTLINE.sub(_read_phone_match, line)
    return _PHONE_CONTEXT.sub(lambda m: m["ctx"] + _read_phone(m["num"]), line)


def _read_phone_match(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match["num"])
    if not 8 <= len(digits) <= 12:
        return match.group()
    return _spaced(_read_phone(match["num"]))


def _read_phone(number: str) -> str:
    """Digit groups of the input joined by commas; an unbroken number is grouped 4-3-3 or 4-4-3."""
    plus = "cộng " if number.startswith("+") else ""
    groups = [g for g in re.split(r"[ .-]+", number.lstrip("+")) if g]
    if len(groups) == 1 and len(groups[0]) >= 9:
        digits = groups[0]
        sizes = {9: (3, 3, 3), 10: (4, 3, 3), 11: (4, 4, 3)}.get(len(digits), (len(digits),))
        groups, start = [], 0
        for size in sizes:
            groups.append(digits[start : start + size])
            start += size
    return plus + ", ".join(read_digits(g) for g in groups)


# --- dates and times ----------------------------------------------------------------------------

_DAY_RANGE = re.compile(
    rf"{_START}(?P<d1>{_DAY})\s*-\s*(?P<d2>{_DAY})/(?P<m>{_MONTH})(?:/(?P<y>{_YEAR}))?{_END}"
)
_DATE = rf"(?P<dI>{_DAY})(?P<sI>[/.-])(?P<mI>{_MONTH})(?:(?P=sI)(?P<yI>{_YEAR}))?"
_DATE1, _DATE2 = _DATE.replace("I", "1"), _DATE.replace("I", "2")
_DATE_RANGE = re.compile(rf"{_START}{_DATE1}\s*-\s*{_DATE2}{_END}")
_ONE_DATE = re.compile(rf"{_START}{_DATE1}{_END}")
_MONTH_RANGE = re.compile(rf"{_START}(?P<m1>{_MONTH})\s*-\s*(?P<m2>{_MONTH})/(?P<y>{_YEAR}){_END}")
_MONTH_YEAR = re.compile(rf"{_START}(?P<m>{_MONTH})/(?P<y>{_YEAR}){_END}")
_NO_DAY_WORD = ("ngày", "mùng", "mồng")


def rule_dates(line: str, _: Context) -> str:
    """Dates, day ranges and month/year, read "ngày D tháng M năm Y"."""
    line = _DAY_RANGE.sub(_read_day_range, line)
    line = _DATE_RANGE.sub(_read_date_range, line)
    line = _ONE_DATE.sub(_read_one_date, line)
    line = _MONTH_RANGE.sub(_read_month_range, line)
    return _MONTH_YEAR.sub(_read_month_year, line)


def _day_word(match: re.Match[str]) -> str:
    return "" if _before(match, 1).endswith(_NO_DAY_WORD) else "ngày "


def _month(m: str) -> str:
    """A calendar month: 4 is "tư"; other values (or non-month numbers) as cardinals."""
    return "tư" if m.isdigit() and int(m) == 4 else read_written_number(m)


def _date_words(d: str, m: str, y: str | None) -> str:
    spoken = f"{read_number(d)} tháng {_month(m)}"
    return spoken + (f" năm {read_number(y)}" if y else "")


def _read_day_range(match: re.Match[str]) -> str:
    tail = _date_words(match["d2"], match["m"], match["y"])
    return _spaced(f"{_day_word(match)}{read_number(match['d1'])} đến ngày {tail}")


def _valid_date(match: re.Match[str], i: int) -> bool:
    """A date needs a year unless written with slashes (5-7 is a range, 1.5 a decimal)."""
    return match[f"s{i}"] == "/" or bool(match[f"y{i}"])


def _read_date_range(match: re.Match[str]) -> str:
    if not (_valid_date(match, 1) and _valid_date(match, 2)):
        return match.group()
    first = _date_words(match["d1"], match["m1"], match["y1"])
    second = _date_words(match["d2"], match["m2"], match["y2"])
    return _spaced(f"{_day_word(match)}{first} đến ngày {second}")


_FRACTION_CUES = (
    "khoảng",
    "gần",
    "hơn",
    "trên",
    "dưới",
    "chiếm",
    "đạt",
    "còn",
    "mất",
    "bằng",
    "tới",
    "ước",
    "chỉ",
)


def _read_one_date(match: re.Match[str]) -> str:
    if not _valid_date(match, 1):
        return match.group()
    after = match.string[match.end() :].lstrip().lower()
    cue = _before(match, 1).endswith(_FRACTION_CUES) or re.match(r"số\b", after) is not None
    fraction_cue = match["s1"] == "/" and not match["y1"] and cue
    if fraction_cue and int(match["d1"]) < int(match["m1"]):
        return _spaced(f"{read_number(match['d1'])} phần {read_number(match['m1'])}")
    return _spaced(_day_word(match) + _date_words(match["d1"], match["m1"], match["y1"]))


def _read_month_range(match: re.Match[str]) -> str:
    word = "" if _before(match, 1).endswith("tháng") else "tháng "
    months = f"{word}{_month(match['m1'])} đến tháng {_month(match['m2'])}"
    return _spaced(f"{months} năm {read_number(match['y'])}")


def _read_month_year(match: re.Match[str]) -> str:
    before = _before(match, 1)
    word = "" if before.endswith(("tháng", "quý", "kỳ", "kì")) else "tháng "
    month = _month(match["m"]) if word or before.endswith("tháng") else read_number(match["m"])
    return _spaced(f"{word}{month} năm {read_number(match['y'])}")


_TIME = (
    r"(?P<h{i}>[01]?\d|2[0-4])(?:(?P<sep{i}>[hg:])(?P<m{i}>[0-5]\d)?(?::(?P<s{i}>[0-5]\d))?)(?:'|p\b|ph\b)?"
)
_TIME_RANGE = re.compile(rf"{_START}{_TIME.format(i=1)}\s*-\s*{_TIME.format(i=2)}(?![\w:]|[.,]\d)")
_HOUR_RANGE = re.compile(rf"{_START}(?P<a>[01]?\d|2[0-4])\s*-\s*{_TIME.format(i=1)}(?![\w:]|[.,]\d)")
_ONE_TIME = re.compile(rf"(?<![\w.,:+-])(?:(?P<frac>\d{{1,2}})/)?{_TIME.format(i=1)}(?![\w:]|[.,]\d)")


def rule_times(line: str, _: Context) -> str:
    """Times and durations in hours: 14h30, 17:45, 6h-8h, 6-8h, 24h."""
    line = _TIME_RANGE.sub(_read_time_range, line)
    line = _HOUR_RANGE.sub(_read_hour_range, line)
    return _ONE_TIME.sub(_read_one_time, line)


def _time_words(match: re.Match[str], i: int) -> str | None:
    sep, minutes, seconds = match[f"sep{i}"], match[f"m{i}"], match[f"s{i}"]
    if sep in {":", "g"} and not minutes:
        return None
    spoken = f"{read_number(match[f'h{i}'])} giờ"
    if minutes and (int(minutes) or seconds):
        spoken += f" {read_number(minutes)} phút"
    if seconds and int(seconds):
        spoken += f" {read_number(seconds)} giây"
    return spoken


def _read_time_range(match: re.Match[str]) -> str:
    first, second = _time_words(match, 1), _time_words(match, 2)
    if first is None or second is None:
        return match.group()
    return _spaced(f"{first} đến {second}")


def _read_hour_range(match: re.Match[str]) -> str:
    second = _time_words(match, 1)
    if second is None or match["sep1"] == ":":
        return match.group()
    return _spaced(f"{read_number(match['a'])} đến {second}")


def _read_one_time(match: re.Match[str]) -> str:
    spoken = _time_words(match, 1)
    if spoken is None:
        return match.group()
    if match["frac"]:
        spoken = f"{read_number(match['frac'])} trên {spoken}"
    return _spaced(spoken)


# --- Roman numerals and ordinals ----------------------------------------------------------------

_ROMAN_CONTEXT = (
    "quý|khóa|kỳ|kì|thế kỷ|thế kỉ|đại hội|lần thứ|thứ|phần|chương|mục|tập|hạng|vùng|quân khu|"
    "giai đoạn|đợt|loại|nhóm|bậc|phụ lục|kỳ họp|hội nghị|ban chấp hành"
)
_ROMAN = re.compile(
    rf"(?P<ctx>(?i:(?<!\w)(?:{_ROMAN_CONTEXT})))(?P<gap>\s+)(?P<r>[IVXLC]+)(?:/(?P<y>{_YEAR}))?(?![\w])"
)
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_VALID_ROMAN = re.compile(r"C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ORDINAL = re.compile(r"(?P<ctx>(?i:(?<!\w)thứ))\s+(?P<n>\d+)(?:\s*-\s*(?P<n2>\d+))?(?![\w]|[.,]\d)")


def roman_value(numeral: str) -> int | None:
    """The value of an upper-case Roman numeral below 400, or None."""
    if not numeral or not _VALID_ROMAN.fullmatch(numeral):
        return None
    values = [_ROMAN_VALUES[ch] for ch in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


_ROMAN_HEADING = re.compile(r"^(?P<r>[IVXLC]+)(?P<mark>[.)]\s|\t)")


def rule_roman_and_ordinals(line: str, _: Context) -> str:
    """quý IV -> quý bốn, khóa XV -> khóa mười lăm, "IV. Kinh phí" -> "bốn. Kinh phí", thứ 2-6."""
    line = _ROMAN.sub(_read_roman, line)
    line = _ROMAN_HEADING.sub(_read_roman_heading, line)
    return _ORDINAL.sub(_read_ordinal, line)


def _read_roman(match: re.Match[str]) -> str:
    value = roman_value(match["r"])
    if value is None:
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

_PER_WORDS = (
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
    if not left or left[-1] in "0123456789":
        return match.group()
    left_kind = _unit_kind(left, context)
    known_right = right in context.units or re.fullmatch(_PER_WORDS, right)
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


_QUANTITY = (
    rf"(?P<pre>(?i:(?<!\w)(?:cấp|ngày|tháng|tuần))\s+)?(?<![\w.,])(?<!{LETTER}-)(?<!\d/)(?P<cur>[$€]\s?)?"
    rf"(?P<a>-?{_NUM})(?:\s*-\s*(?P<b>-?{_NUM}))?"
    rf"(?:\s?(?P<unit>UNITS)(?![^\W\d_]))?(?![^\W_]|/\d)"
)


_EACH_UNIT = re.compile(
    r"(?P<each>(?i:(?<!\w)mỗi|(?<!\w)trên)\s+)(?P<unit>ha|kg|km|km2|m2|m3|m²|m³|mm|cm|ml|kWh)(?![\w/])"
)


def rule_units_after_each(line: str, _: Context) -> str:
    """A unit with no number before it but "mỗi" (each): "mỗi ha" -> "mỗi héc ta"."""
    return _EACH_UNIT.sub(lambda m: m["each"] + unit_table()[m["unit"]][0], line)


_TIMES = re.compile(r"(?<=\d)\s*[xX×]\s*(?=\d)")


def rule_quantities(line: str, context: Context) -> str:
    """Numbers with ranges and units: 5-7 ngày, 200-350 mm, cấp 6-7, 12,5%, 25°C, 50.000đ, $5, 2 x 3 m."""
    line = _TIMES.sub(" nhân ", line)
    return context.quantity_pattern.sub(lambda m: _read_quantity(m, context), line)


def _read_quantity(match: re.Match[str], context: Context) -> str:
    pre = (match["pre"] or "").strip()
    month = pre.lower() == "tháng" and not match["unit"]
    read = _month if month else read_written_number
    spoken = f"{pre} {read(match['a'])}" if pre else read(match["a"])
    if match["b"]:
        repeat = f"{pre.lower()} " if pre.lower() in _REPEATED_BEFORE_RANGE else ""
        spoken += f" đến {repeat}{read(match['b'])}"
    if match["unit"]:
        spoken += f" {context.units[match['unit']][0]}"
    if match["cur"]:
        spoken += " đô la" if "$" in match["cur"] else " ơ rô"
    return _spaced(spoken)


# --- codes and abbreviations --------------------------------------------------------------------

_CODE = re.compile(r"(?<![\w.-])(?=[\w-]*\d)(?=[\w-]*[^\W\d_])[^\W_]+(?:-[^\W_]+)*(?![\w-])")


def rule_codes(line: str, context: Context) -> str:
    """Tokens mixing letters and digits: H5N1, Covid-19, QL1A, U23, 4G, F0."""
    return _CODE.sub(lambda m: _spaced(_read_code(m.group(), context)), line)


def _read_code(code: str, context: Context) -> str:
    runs = re.findall(r"\d+|[^\W\d_]+", code)
    return " ".join(_read_code_run(run, context) for run in runs)


def _read_code_run(run: str, context: Context) -> str:
    if run.isdigit():
        if not run.isascii():
            return " ".join(_digit_word(ch) for ch in run)
        return read_digits(run) if run.startswith("0") and len(run) > 1 else read_number(run)
    web_words = packaged_mapping("norm_web_words.tsv")
    if run.lower() in web_words:
        return web_words[run.lower()]
    if run in context.abbreviations:
        return context.abbreviations[run]
    if not run.isalpha():
        return " ".join(_digit_word(ch) if ch.isdigit() else ch for ch in run)
    if len(run) == 1 or run.isupper() or not is_vietnamese_syllable(run):
        return spell_letters(run)
    return run


_DOTTED_INITIALS = re.compile(r"[A-ZĐ]\.")
_CAPS = re.compile(r"(?<![\w&])[^\W\d_]{2,}(?![\w&])")


def rule_abbreviations(line: str, context: Context) -> str:
    """Abbreviations from the table (joined by "và" when hyphenated), unknown capitals spelled."""
    line = context.abbreviation_pattern.sub(lambda m: _read_abbreviation(m, context), line)
    return _CAPS.sub(_read_capitals, line)


def _read_abbreviation(match: re.Match[str], context: Context) -> str:
    abbr = match["abbr"]
    if _DOTTED_INITIALS.fullmatch(abbr) and not re.match(
        r"\s*[A-ZĐÂĂÊÔƠƯÁÀẢÃẠ0-9]", match.string[match.end() :]
    ):
        return match.group()
    parts = _split_abbreviation(abbr, context)
    if len(parts) == 2 and parts[0] in context.doc_types:
        spoken = f"{context.doc_types[parts[0]]} của {_read_issuer(parts[1], context)}"
    else:
        spoken = " và ".join(context.abbreviations[p] for p in parts)
    if _starts_sentence(match) and spoken:
        spoken = spoken[0].upper() + spoken[1:]
    if match["open"] and match["close"]:
        before = " ".join(match.string[: match.start()].lower().split())
        if before.endswith(spoken.lower()):
            return ""
        return f"({spoken})"
    glued = abbr.endswith(".") and match.string[match.end() : match.end() + 1].isalpha()
    return (match["open"] or "") + spoken + (match["close"] or "") + (" " if glued else "")


def _starts_sentence(match: re.Match[str]) -> bool:
    """True at the start of a line or after sentence-final punctuation."""
    before = match.string[: match.start()].rstrip()
    return not before or before[-1] in ".!?:"


def _split_abbreviation(abbr: str, context: Context) -> list[str]:
    """Split "PCTT-TKCN" into table keys, the whole token first if it is a key."""
    if abbr in context.abbreviations:
        return [abbr]
    parts: list[str] = []
    rest = abbr
    while rest:
        key = next(
            (
                k
                for k in _keys_by_length(context)
                if rest.startswith(k) and rest[len(k) : len(k) + 1] in {"", "-"}
            ),
            None,
        )
        if key is None:
            return [abbr] if abbr in context.abbreviations else parts or [abbr]
        parts.append(key)
        rest = rest[len(key) + 1 :]
    return parts


def _keys_by_length(context: Context) -> list[str]:
    return sorted(context.abbreviations, key=len, reverse=True)


def _read_capitals(match: re.Match[str]) -> str:
    word = match.group()
    if not word.isupper() or is_vietnamese_syllable(word):
        return word
    web_words = packaged_mapping("norm_web_words.tsv")
    return web_words.get(word.lower(), spell_letters(word))


# --- leftovers ----------------------------------------------------------------------------------

_FRACTION = re.compile(rf"(?<![\w.,/])(?P<a>{_NUM})/(?P<b>{_NUM})(?![\w/]|[.,]\d)")
_NUMBER = re.compile(rf"(?<![\w.,])(?<!{LETTER}-)(?P<neg>-)?(?P<n>{_NUM})")
_SYMBOLS = {
    "&": " và ", "+": " cộng ", "=": " bằng ", "@": " a còng ", "#": " số ", "~": " khoảng ",
    "≈": " khoảng ", "≥": " lớn hơn hoặc bằng ", "≤": " nhỏ hơn hoặc bằng ", ">": " lớn hơn ",
    "<": " nhỏ hơn ", "±": " cộng trừ ", "×": " nhân ", "÷": " chia ", "°": " độ ", "%": " phần trăm ",
    "‰": " phần nghìn ", "$": " đô la ", "€": " ơ rô ", "²": " vuông ", "³": " khối ", "№": " số ",
}  # fmt: skip


def rule_numbers(line: str, _: Context) -> str:
    """Numbers left after the specific rules: fractions 24/24, plain numbers, negatives."""
    line = _FRACTION.sub(
        lambda m: _spaced(f"{read_written_number(m['a'])} trên {read_written_number(m['b'])}"), line
    )
    return _NUMBER.sub(_read_plain_number, line)


def _read_plain_number(match: re.Match[str]) -> str:
    negative = match["neg"] and (match.start() == 0 or match.string[match.start() - 1] in " (")
    prefix = "âm " if negative else (" " if match["neg"] else "")
    number = match["n"]
    if number.startswith("0") and len(number) > 1 and number.isdigit() and len(number) > 2:
        return _spaced(prefix + read_digits(number))
    return _spaced(prefix + read_written_number(number))


def rule_symbols(line: str, _: Context) -> str:
    """Symbols read as words; brackets become pauses; quotes, bullets and stray marks go."""
    line = re.sub(r"^\s*[-*•·+]+\)?\s*", "", line)
    line = re.sub(r"\bv\.v\.?", "vân vân", line)
    for symbol, spoken in _SYMBOLS.items():
        if symbol in line:
            line = line.replace(symbol, spoken)
    line = re.sub(r"\s+-+\s+|\s*-{2,}\s*", ", ", line)
    line = re.sub(r"[()\[\]{}]", ", ", line)
    line = re.sub(r"(?<=\w)'(?=\w)", "\x00", line)
    line = re.sub(r"[\"'*•·_|\\^`/-]", " ", line).replace("\x00", "'")
    return line


def rule_digits_left(line: str, _: Context) -> str:
    """Any digit still present (another script's digits, superscripts) read one by one."""
    if not any(ch.isdigit() for ch in set(line)):
        return line
    return "".join(_spaced(_digit_word(ch)) if ch.isdigit() else ch for ch in line)


def _digit_word(ch: str) -> str:
    try:
        return DIGITS[unicodedata.digit(ch)]
    except (ValueError, IndexError):
        return ""


def rule_tidy(line: str, _: Context) -> str:
    """Spacing and pause punctuation: one space, no space before . , ; : ! ?, no doubled commas."""
    line = re.sub(r"\s+", " ", line)
    line = re.sub(r"\s+([.,;:!?])", r"\1", line)
    line = re.sub(r",(?:\s*,)+", ",", line)
    line = re.sub(r"(?<!\.)\.\.(?!\.)", ".", line)
    line = re.sub(r",\s*([.;:!?])", r"\1", line)
    line = re.sub(r"([.,;:!?])(?=[^\W\d_])", r"\1 ", line)
    line = re.sub(r"^[\s,;:]+", "", line)
    return line.strip()


RULES: tuple[Callable[[str, Context], str], ...] = (
    rule_addresses,
    rule_legal_numbers,
    rule_roads,
    rule_phones,
    rule_dates,
    rule_times,
    rule_roman_and_ordinals,
    rule_abbreviations,
    rule_per_units,
    rule_quantities,
    rule_units_after_each,
    rule_codes,
    rule_numbers,
    rule_symbols,
    rule_digits_left,
    rule_tidy,
)
