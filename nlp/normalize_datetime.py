"""Rules for dates (15/12/2025, 1-2/10, tháng 3/2025) and times (14h30, 17:45, 6h-8h)."""

from __future__ import annotations

import re

from nlp.normalize_common import (
    DAY,
    END,
    MONTH,
    START,
    YEAR,
    Context,
    read_written_number,
    spaced,
    words_before,
)
from nlp.numbers import read_number

# --- dates and times ----------------------------------------------------------------------------

_DAY_RANGE = re.compile(rf"{START}(?P<d1>{DAY})\s*-\s*(?P<d2>{DAY})/(?P<m>{MONTH})(?:/(?P<y>{YEAR}))?{END}")
_DATE = rf"(?P<dI>{DAY})(?P<sI>[/.-])(?P<mI>{MONTH})(?:(?P=sI)(?P<yI>{YEAR}))?"
_DATE1, _DATE2 = _DATE.replace("I", "1"), _DATE.replace("I", "2")
_DATE_RANGE = re.compile(rf"{START}{_DATE1}\s*-\s*{_DATE2}{END}")
_ONE_DATE = re.compile(rf"{START}{_DATE1}{END}")
_MONTH_RANGE = re.compile(rf"{START}(?P<m1>{MONTH})\s*-\s*(?P<m2>{MONTH})/(?P<y>{YEAR}){END}")
_MONTH_YEAR = re.compile(rf"{START}(?P<m>{MONTH})/(?P<y>{YEAR}){END}")
_NO_DAY_WORD = ("ngày", "mùng", "mồng")


def rule_dates(line: str, _: Context) -> str:
    """Dates, day ranges and month/year, read "ngày D tháng M năm Y"."""
    line = _DAY_RANGE.sub(_read_day_range, line)
    line = _DATE_RANGE.sub(_read_date_range, line)
    line = _ONE_DATE.sub(_read_one_date, line)
    line = _MONTH_RANGE.sub(_read_month_range, line)
    return _MONTH_YEAR.sub(_read_month_year, line)


def _day_word(match: re.Match[str]) -> str:
    return "" if words_before(match, 1).endswith(_NO_DAY_WORD) else "ngày "


def read_month(m: str) -> str:
    """A calendar month: 4 is "tư"; other values (or non-month numbers) as cardinals."""
    return "tư" if m.isdigit() and int(m) == 4 else read_written_number(m)


def _date_words(d: str, m: str, y: str | None) -> str:
    spoken = f"{read_number(d)} tháng {read_month(m)}"
    return spoken + (f" năm {read_number(y)}" if y else "")


def _read_day_range(match: re.Match[str]) -> str:
    tail = _date_words(match["d2"], match["m"], match["y"])
    return spaced(f"{_day_word(match)}{read_number(match['d1'])} đến ngày {tail}")


def _valid_date(match: re.Match[str], i: int) -> bool:
    """A date needs a year unless written with slashes (5-7 is a range, 1.5 a decimal)."""
    return match[f"s{i}"] == "/" or bool(match[f"y{i}"])


def _read_date_range(match: re.Match[str]) -> str:
    if not (_valid_date(match, 1) and _valid_date(match, 2)):
        return match.group()
    first = _date_words(match["d1"], match["m1"], match["y1"])
    second = _date_words(match["d2"], match["m2"], match["y2"])
    return spaced(f"{_day_word(match)}{first} đến ngày {second}")


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


# "4/5 thôn đạt chuẩn": a ratio when a counted noun follows and no day word comes before.
_COUNTED = re.compile(
    r"(?:thôn|xã|phường|hộ|người|trường|đơn vị|huyện|tỉnh|bản|ấp|buôn|tổ|lớp|học sinh|em|cháu|ca|con|"
    r"chỉ tiêu|tiêu chí|cơ quan|doanh nghiệp|hợp tác xã|thành viên|khu|điểm|xóm|làng|cụm|trạm|đội)\b"
)
_DAY_WORDS = (
    "ngày",
    "mùng",
    "mồng",
    "sáng",
    "trưa",
    "chiều",
    "tối",
    "đêm",
    "hôm",
    "từ",
    "đến",
    "tới",
    "và",
    "trước",
    "sau",
)


_HOUSE_WORDS = ("nhà", "hẻm", "ngõ", "ngách", "kiệt", "lô", "căn", "kiốt", "ki-ốt")


def _counts_items(match: re.Match[str], after: str) -> bool:
    return _COUNTED.match(after) is not None and not words_before(match, 1).endswith(_DAY_WORDS)


def _read_one_date(match: re.Match[str]) -> str:
    if not _valid_date(match, 1):
        return match.group()
    after = match.string[match.end() :].lstrip().lower()
    cue = words_before(match, 1).endswith(_FRACTION_CUES) or re.match(r"số\b", after) is not None
    fraction_cue = match["s1"] == "/" and not match["y1"] and cue
    if fraction_cue and int(match["d1"]) < int(match["m1"]):
        return spaced(f"{read_number(match['d1'])} phần {read_number(match['m1'])}")
    house_number = words_before(match, 1).endswith(_HOUSE_WORDS)
    if match["s1"] == "/" and not match["y1"] and (house_number or _counts_items(match, after)):
        return spaced(f"{read_number(match['d1'])} trên {read_number(match['m1'])}")
    return spaced(_day_word(match) + _date_words(match["d1"], match["m1"], match["y1"]))


def _read_month_range(match: re.Match[str]) -> str:
    word = "" if words_before(match, 1).endswith("tháng") else "tháng "
    months = f"{word}{read_month(match['m1'])} đến tháng {read_month(match['m2'])}"
    return spaced(f"{months} năm {read_number(match['y'])}")


def _read_month_year(match: re.Match[str]) -> str:
    before = words_before(match, 1)
    word = "" if before.endswith(("tháng", "quý", "kỳ", "kì")) else "tháng "
    month = read_month(match["m"]) if word or before.endswith("tháng") else read_number(match["m"])
    return spaced(f"{word}{month} năm {read_number(match['y'])}")


_TIME = (
    r"(?P<h{i}>[01]?\d|2[0-4])(?:(?P<sep{i}>[hg:])(?P<m{i}>[0-5]\d)?(?::(?P<s{i}>[0-5]\d))?)(?:'|p\b|ph\b)?"
)
_TIME_RANGE = re.compile(rf"{START}{_TIME.format(i=1)}\s*-\s*{_TIME.format(i=2)}(?![\w:]|[.,]\d)")
_HOUR_RANGE = re.compile(rf"{START}(?P<a>[01]?\d|2[0-4])\s*-\s*{_TIME.format(i=1)}(?![\w:]|[.,]\d)")
_ONE_TIME = re.compile(rf"(?<![\w.,:+-])(?:(?P<frac>\d{{1,2}})/)?{_TIME.format(i=1)}(?![\w:]|[.,]\d)")


def rule_times(line: str, _: Context) -> str:
    """Times and durations in hours: 14h30, 17:45, 6h-8h, 6-8h, 24h."""
    line = _TIME_RANGE.sub(_read_time_range, line)
    line = _HOUR_RANGE.sub(_read_hour_range, line)
    return _ONE_TIME.sub(_read_one_time, line)


_TIME_CUES = ("lúc", "từ", "đến", "tới", "vào", "khoảng", "trước", "sau", "hồi")


def _time_words(match: re.Match[str], i: int) -> str | None:
    sep, minutes, seconds = match[f"sep{i}"], match[f"m{i}"], match[f"s{i}"]
    if sep == ":" and not minutes:
        return None
    if sep == "g" and not minutes and not words_before(match, 1).endswith(_TIME_CUES):
        return None  # "100g" is grams; "lúc 19g" is seven in the evening
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
    return spaced(f"{first} đến {second}")


def _read_hour_range(match: re.Match[str]) -> str:
    second = _time_words(match, 1)
    if second is None or match["sep1"] == ":":
        return match.group()
    return spaced(f"{read_number(match['a'])} đến {second}")


def _read_one_time(match: re.Match[str]) -> str:
    spoken = _time_words(match, 1)
    if spoken is None:
        return match.group()
    if match["frac"]:
        spoken = f"{read_number(match['frac'])} trên {spoken}"
    return spaced(spoken)
