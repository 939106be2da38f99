"""Rules for dates (15/12/2025, 1-2/10, tháng 3/2025) and times (14h30, 17:45, 6h-8h)."""

from __future__ import annotations

import re
from functools import cache

from nlp.normalize_common import (
    DAY,
    DIGIT_SCAN,
    END,
    MONTH,
    NUMBER_START,
    START,
    YEAR,
    Context,
    read_written_number,
    spaced,
    sub_where,
    words_before,
)
from nlp.normalize_context import (
    counts_items,
    dashed_date_context,
    follows_a_name_head,
    is_lunar,
    is_share,
    names_a_place_or_event,
)
from nlp.numbers import read_denominator, read_number

# --- dates and times ----------------------------------------------------------------------------

_DAY_RANGE = re.compile(rf"{START}(?P<d1>{DAY})\s*-\s*(?P<d2>{DAY})/(?P<m>{MONTH})(?:/(?P<y>{YEAR}))?{END}")
_DATE = rf"(?P<dI>{DAY})(?P<sI>[/.-])(?P<mI>{MONTH})(?:(?P=sI)(?P<yI>{YEAR}))?"
_DATE1, _DATE2 = _DATE.replace("I", "1"), _DATE.replace("I", "2")
_DATE_RANGE = re.compile(rf"{START}{_DATE1}\s*-\s*{_DATE2}{END}")
_ONE_DATE = re.compile(rf"{START}{_DATE1}{END}")
_MONTH_RANGE = re.compile(rf"{START}(?P<m1>{MONTH})\s*-\s*(?P<m2>{MONTH})/(?P<y>{YEAR}){END}")
_MONTH_YEAR = re.compile(rf"{START}(?P<m>{MONTH})/(?P<y>{YEAR}){END}")
# Where a date or a month/year can start, as NUMBER_START but with the separator looked at too.
_DATE_START = re.compile(DIGIT_SCAN + r"(?<![\w/.,:+-]\d)(?=\d?[/.-]\d)")
_MONTH_YEAR_START = re.compile(DIGIT_SCAN + r"(?<![\w/.,:+-]\d)(?=\d?/)")
_NO_DAY_WORD = ("ngày", "mùng", "mồng")
_DIGIT = re.compile(DIGIT_SCAN)
# Quick tests, each true of every line its pattern can match (a "-" or "/" looked for first):
_RANGE_HINT = re.compile(r"-\s*\d\d?[/.-]")  # day ranges, date ranges and month ranges
_YEAR_HINT = re.compile(r"/\d{4}")  # month/year
_MIXED_HINT = re.compile(DIGIT_SCAN + r" \d+/\d")  # mixed numbers
_SPACED_YEAR_HINT = re.compile(DIGIT_SCAN + r"\s+(?:19|20)\d\d")  # "tháng 3 2025"


_MONTH_SPACE_YEAR = re.compile(rf"(?i:(?<!\w)tháng)\s+(?P<m>{MONTH})\s+(?P<y>(?:19|20)\d{{2}}){END}")
_LUNAR_MONTH = re.compile(r"(?i:(?<!\w)tháng)\s+(?P<m>0?1|12)(?=\s*\(?\s*(?:âm lịch|ÂL\b))")


# --- calendar abbreviations -----------------------------------------------------------------------

_WEEKDAY_NAMES = {
    "2": "thứ hai",
    "3": "thứ ba",
    "4": "thứ tư",
    "5": "thứ năm",
    "6": "thứ sáu",
    "7": "thứ bảy",
}
_WEEKDAY = re.compile(r"(?<![\w.&/-])(?:T(?P<d>[2-7])|(?P<cn>CN))(?![\w/&-]|\.\w)")
_WEEKDAY_NEIGHBOURS = re.compile(
    r"(?i:(?:từ|đến|tới|sáng|trưa|chiều|tối|đêm|vào|cả|và|các|hôm|ngày|thứ \w+|T[2-7]|CN)[,–-]?\s*$)"
)
_WEEKDAY_FOLLOWERS = re.compile(
    r"\s*(?:\(?\s*\d{1,2}/\d|[,–-]\s*(?:T[2-7]|CN)\b|(?i:đến|tới|và)\s+(?:T[2-7]|CN|thứ)\b)"
)
_WEEKDAY_RANGE = re.compile(r"(?<![\w.&/-])(?P<a>T[2-7])\s*[–-]\s*(?P<b>T[2-7]|CN)(?![\w/&-])")
_QUARTER = re.compile(rf"(?<![\w.])Q(?P<q>[1-4])/(?P<y>{YEAR}){END}")
_CALENDAR_AFTER_DATE = re.compile(r"(?<=\d)\s*\(?(?P<abbr>ÂL|DL)\)?(?!\w)")
# Quick tests: a quarter (every match of _QUARTER holds one), T2-T7 in one scan (the engine skips to each "T").
_QUARTER_HINT = re.compile(r"Q[1-4]/")
_WEEKDAY_NUMBER = re.compile(r"T[2-7]")


def rule_calendar(line: str, _: Context) -> str:
    """Calendar abbreviations: T2-T7 and CN among weekdays, Q3/2025 (quý), ÂL and DL after a date."""
    if "L" in line and ("ÂL" in line or "DL" in line):  # a one-character test (memchr) first
        line = _CALENDAR_AFTER_DATE.sub(lambda m: " âm lịch" if m["abbr"] == "ÂL" else " dương lịch", line)
    if "Q" in line and _QUARTER_HINT.search(line):
        line = _QUARTER.sub(lambda m: spaced(f"quý {read_number(m['q'])} năm {read_number(m['y'])}"), line)
    if not _has_weekday_code(line):
        return line
    return _WEEKDAY.sub(_read_weekday, _WEEKDAY_RANGE.sub(lambda m: f"{m['a']} đến {m['b']}", line))


def _has_weekday_code(line: str) -> bool:
    """T2-T7 or CN in the line (every match of _WEEKDAY and _WEEKDAY_RANGE holds one), one-character tests first."""
    return ("T" in line and _WEEKDAY_NUMBER.search(line) is not None) or ("N" in line and "CN" in line)


def _read_weekday(match: re.Match[str]) -> str:
    """ "T7" is Saturday beside a day word, a date or another weekday; elsewhere it stays a code."""
    before = match.string[max(0, match.start() - 16) : match.start()]
    after = match.string[match.end() :]
    if not (_WEEKDAY_NEIGHBOURS.search(before) or _WEEKDAY_FOLLOWERS.match(after)):
        return match.group()
    return "chủ nhật" if match["cn"] else _WEEKDAY_NAMES[match["d"]]


# --- dates -----------------------------------------------------------------------------------------


@cache
def _mixed_number(unit_pattern: str) -> re.Pattern[str]:
    return re.compile(
        r"(?<![\w.,/-])(?P<neg>-)?(?P<w>\d+) (?P<a>\d+)/(?P<b>\d+)"
        rf"(?:\s?(?P<unit>{unit_pattern})(?![^\W\d_]))?(?![\w/]|[.,]\d)"
    )


def _read_mixed_number(match: re.Match[str], context: Context) -> str:
    """ "2 1/2 tháng": a whole number and a proper fraction, "hai và một phần hai"."""
    if int(match["a"]) >= int(match["b"]) or words_before(match, 1).endswith(("ngày", "mùng", "mồng")):
        return match.group()
    sign = "âm " if match["neg"] else ""
    fraction = f"{read_number(match['a'])} phần {read_denominator(match['b'])}"
    unit = f" {context.units[match['unit']][0]}" if match["unit"] else ""
    return spaced(f"{sign}{read_number(match['w'])} và {fraction}{unit}")


def rule_dates(line: str, context: Context) -> str:
    """Dates, day ranges and month/year, read "ngày D tháng M năm Y"; mixed numbers first ("2 1/2")."""
    if not _DIGIT.search(line):
        return line
    if "/" in line and _MIXED_HINT.search(line):
        line = _mixed_number(context.unit_pattern).sub(lambda m: _read_mixed_number(m, context), line)
    if "âm lịch" in line or "ÂL" in line:
        line = _LUNAR_MONTH.sub(lambda m: f"tháng {_LUNAR_MONTHS[int(m['m'])]}", line)
    if _SPACED_YEAR_HINT.search(line):
        line = _MONTH_SPACE_YEAR.sub(
            lambda m: spaced(f"tháng {read_month(m['m'])} năm {read_number(m['y'])}"), line
        )
    if _RANGE_HINT.search(line):
        line = sub_where(NUMBER_START, _DAY_RANGE, _read_day_range, line)
        line = sub_where(_DATE_START, _DATE_RANGE, _read_date_range, line)
    line = sub_where(_DATE_START, _ONE_DATE, _read_one_date, line)
    if _RANGE_HINT.search(line):
        line = sub_where(NUMBER_START, _MONTH_RANGE, _read_month_range, line)
    return (
        sub_where(_MONTH_YEAR_START, _MONTH_YEAR, _read_month_year, line) if _YEAR_HINT.search(line) else line
    )


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


_HOUSE_WORDS = ("nhà", "hẻm", "ngõ", "ngách", "kiệt", "lô", "căn", "kiốt", "ki-ốt")


def _read_one_date(match: re.Match[str]) -> str:
    """A day and month: a date, a lunar date, a date in a name, a share ("phần") or a count ("trên")."""
    slash_only = match["s1"] == "/" and not match["y1"]
    if not _valid_date(match, 1) and not (match["s1"] == "-" and dashed_date_context(match)):
        return match.group()
    d, m = match["d1"], match["m1"]
    if is_lunar(match):
        return spaced(_lunar_date_words(match))
    if slash_only and follows_a_name_head(match):
        return spaced(_date_words(d, m, None))  # "đường 3/2 phường 4": the street, whatever follows
    if slash_only and counts_items(match):
        return spaced(f"{read_number(d)} trên {read_number(m)}")
    if slash_only and int(d) < int(m) and is_share(match):
        return spaced(f"{read_number(d)} phần {read_denominator(m)}")
    if slash_only and words_before(match, 1).endswith(_HOUSE_WORDS):
        return spaced(f"{read_number(d)} trên {read_number(m)}")
    day_word = "" if not match["y1"] and _names(match) else _day_word(match)
    return spaced(day_word + _date_words(d, m, match["y1"]))


def _names(match: re.Match[str]) -> bool:
    return names_a_place_or_event(match)


_LUNAR_MONTHS = {1: "giêng", 12: "chạp"}


def _lunar_date_words(match: re.Match[str]) -> str:
    """ "mùng mười tháng ba", "ngày mười hai tháng chạp": mùng before days 1-10, giêng and chạp."""
    d, m = int(match["d1"]), int(match["m1"])
    before = words_before(match, 1)
    head = ("" if before.endswith(("mùng", "mồng")) else "mùng ") if d <= 10 else _day_word(match)
    month = _LUNAR_MONTHS.get(m) or read_month(match["m1"])
    year = f" năm {read_number(match['y1'])}" if match["y1"] else ""
    return f"{head}{read_number(match['d1'])} tháng {month}{year}"


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
_ONE_TIME = re.compile(rf"(?=\d)(?<![\w.,:+-])(?:(?P<frac>\d{{1,2}})/)?{_TIME.format(i=1)}(?![\w:]|[.,]\d)")
# Where _ONE_TIME can start: one or two digits before "/" or the hour's h, g or ":".
_TIME_START = re.compile(DIGIT_SCAN + r"(?<![\w.,:+-]\d)(?=\d?[/hg:])")
# Quick tests: any time or duration (a digit before h, g, :, p or "giờ 00"), a range of times.
_TIME_HINT = re.compile(DIGIT_SCAN + r"(?:[hg:p]|\s?giờ 00)")
_TIME_RANGE_HINT = re.compile(r"-\s*\d\d?[hg:]")


_MINUTES = re.compile(r"(?<![\w.,:])(?P<m>\d{1,3})p(?:(?P<s>\d{1,2})s)?(?!\w)")
# True of every line _MINUTES reads; _MINUTES opens with a lookbehind, so the engine tries it at every position.
_MINUTES_HINT = re.compile(DIGIT_SCAN + "p")
_ZERO_MINUTES = re.compile(r"(?<=\d) ?giờ 00(?: phút)?(?!\w)")


def rule_times(line: str, _: Context) -> str:
    """Times and durations in hours: 14h30, 17:45, 6h-8h, 6-8h, 24h; minutes 3p20s; "17 giờ 00"."""
    if not _TIME_HINT.search(line):
        return line
    if "giờ 00" in line:
        line = _ZERO_MINUTES.sub(" giờ", line)
    if "p" in line and _MINUTES_HINT.search(line):
        line = _MINUTES.sub(_read_minutes, line)
    if _TIME_RANGE_HINT.search(line):
        line = sub_where(NUMBER_START, _TIME_RANGE, _read_time_range, line)
        line = sub_where(NUMBER_START, _HOUR_RANGE, _read_hour_range, line)
    return sub_where(_TIME_START, _ONE_TIME, _read_one_time, line)


_TIME_CUES = ("lúc", "từ", "đến", "tới", "vào", "khoảng", "trước", "sau", "hồi")


def _time_words(match: re.Match[str], i: int) -> str | None:
    sep, minutes, seconds = match[f"sep{i}"], match[f"m{i}"], match[f"s{i}"]
    if sep == ":" and not minutes:
        return None
    if sep == "g" and not minutes and not words_before(match, 1).endswith(_TIME_CUES):
        return None  # "100g" is grams; "lúc 19g" is seven in the evening
    spoken = f"{read_number(match[f'h{i}'])} giờ"
    if minutes and int(minutes):
        spoken += f" {read_number(minutes)} phút"
    if seconds and int(seconds):
        spoken += f" {read_number(seconds)} giây"
    return spoken


def _read_minutes(match: re.Match[str]) -> str:
    spoken = f"{read_number(match['m'])} phút"
    if match["s"] and int(match["s"]):
        spoken += f" {read_number(match['s'])} giây"
    return spaced(spoken)


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
