"""Facts citizens must not lose: places, dates, times, amounts, document and phone numbers, found by rule."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

PLACE = "PLACE"
DATE = "DATE"
TIME = "TIME"
AMOUNT = "AMOUNT"
DOC_NUMBER = "DOC_NUMBER"
PHONE = "PHONE"
DURATION = "DURATION"
NUMBER = "NUMBER"

# Labels in priority order: when two rules overlap, the longer span wins, then the earlier label.
LABELS = (DOC_NUMBER, DATE, TIME, PHONE, AMOUNT, DURATION, PLACE, NUMBER)

_UPPER = "A-ZÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝĂĐĨŨƠƯẠ-ỸĐ"
_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_SCALE = r"(?:\s(?:nghìn|ngàn|triệu|tỷ|tỉ))?"
_UNIT = (
    r"đồng|VNĐ|VND|USD|%|ha|kg|tấn|tạ|yến|lít|ml|mm|cm|km/h|km|m³/s|m3/s|m³|m3|m²|m2|m|°C|độ\sC|"
    r"hộ|người|ca|con|vụ|suất|căn|lớp|mũi|liều|xã|thôn|bản|ấp|học sinh|trẻ|lao động|cây số|tuổi"
)

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # A document number with its issue date ("86/KH-UBND ngày 03/12/2025"): the date belongs to the citation.
    (
        DOC_NUMBER,
        re.compile(
            rf"\b\d+(?:/\d{{4}})?/[{_UPPER}][\w]*(?:-[{_UPPER}][\w]*)*"
            r"(?:\s+ngày\s+\d{1,2}/\d{1,2}/(?:19|20)\d{2}\b)?"
        ),
    ),
    (
        DATE,
        re.compile(
            r"\b(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:19|20)\d{2}\b"
            r"|\b(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])\b(?!/\d)"
            r"|\b(?:0?[1-9]|1[0-2])/(?:19|20)\d{2}\b"
        ),
    ),
    (TIME, re.compile(r"\b(?:[01]?\d|2[0-4])(?:h(?:[0-5]\d)?(?:p|')?|:[0-5]\d)(?![\w/])")),
    (
        PHONE,
        re.compile(r"(?<![\d.,])(?:0\d{2,3}[ .]?\d{3,4}[ .]?\d{3,4}|1[89]00[ .]?\d{3,4}(?:[ .]?\d{2,4})?)\b"),
    ),
    (
        AMOUNT,
        re.compile(
            rf"(?<![\w/.,])(?:{_NUM})(?:\s?[-–]\s?(?:{_NUM}))?{_SCALE}\s?(?:{_UNIT})(?:/[\wđ]+)*(?![\w])"
            r"(?<!\s)"
        ),
    ),
    (
        DURATION,
        re.compile(
            rf"(?<![\w/.,])(?:{_NUM})(?:\s?[-–]\s?(?:{_NUM}))?\s(?:ngày|tuần|tháng|năm|giờ|phút)(?!\w)"
        ),
    ),
    (AMOUNT, re.compile(rf"\b(?:cấp|cấp độ|báo động|mức)\s(?:{_NUM})(?:\s?[-–]\s?(?:{_NUM}))?(?![\w/])")),
    (NUMBER, re.compile(rf"(?<![\w/])(?:{_NUM})(?![\w/])")),
)

# Words that introduce a place; the place span includes them ("xã Tân Thạch", "thôn 2").
_ADMIN_PREFIXES = (
    "tỉnh",
    "thành phố",
    "TP.",
    "Tp.",
    "xã",
    "phường",
    "đặc khu",
    "thị trấn",
    "huyện",
    "quận",
    "thị xã",
)
_VILLAGE_PREFIXES = (
    "thôn",
    "xóm",
    "ấp",
    "bản",
    "buôn",
    "tổ dân phố",
    "khu phố",
    "làng",
    "phum",
    "sóc",
    "khóm",
)
_NAME_WORD = rf"[{_UPPER}][\w’'-]*"
_NAME_RUN = re.compile(rf"{_NAME_WORD}(?: {_NAME_WORD})*")
_VILLAGE = re.compile(
    r"\b(?:"
    + "|".join(p.capitalize() + "|" + p for p in _VILLAGE_PREFIXES)
    + rf")\s(?:\d+[A-Z]?\b|{_NAME_WORD}(?: {_NAME_WORD})*(?: [A-Z]\b)?)"
)
_URBAN_SHORT = re.compile(r"\b(?:Q|P|TT)\.\s?(?:\d+\b|[{u}][\w]*(?: [{u}][\w]*)*)".replace("{u}", _UPPER))
_PREFIX_BEFORE = re.compile(
    r"(?:" + "|".join(re.escape(p) for p in _ADMIN_PREFIXES + _VILLAGE_PREFIXES) + r")\s?$", re.IGNORECASE
)
_DIVISION_TYPES = ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu ")


@dataclass(frozen=True)
class Entity:
    """A span of text with the kind of fact it holds."""

    start: int
    end: int
    label: str
    text: str


@lru_cache(maxsize=1)
def official_place_names() -> frozenset[str]:
    """Province and commune names from the ``vietnam-provinces`` package, without their division type."""
    from vietnam_provinces import Province, Ward

    names = set()
    for unit in (*Province.iter_all(), *Ward.iter_all()):
        name = unit.name.strip()
        for division in _DIVISION_TYPES:
            if name.startswith(division):
                name = name[len(division) :].strip()
                break
        if name and name[0].isupper():
            names.add(name)
    return frozenset(names)


@lru_cache(maxsize=32)
def place_index(extra_places: frozenset[str] = frozenset()) -> tuple[frozenset[tuple[str, ...]], int]:
    """Place names as syllable tuples, and the longest name's syllable count."""
    names = {tuple(n.split()) for n in official_place_names()}
    names |= {tuple(n.split()) for n in extra_places if n.strip()}
    return frozenset(names), max(len(n) for n in names)


def _place_spans(text: str, extra_places: frozenset[str]) -> list[tuple[int, int]]:
    """Spans of known place names (longest match first) and of villages introduced by their prefix."""
    names, longest = place_index(extra_places)
    spans = [m.span() for m in _VILLAGE.finditer(text)]
    spans += [m.span() for m in _URBAN_SHORT.finditer(text)]
    for run in _NAME_RUN.finditer(text):
        words = [(m.start() + run.start(), m.end() + run.start()) for m in re.finditer(r"\S+", run.group())]
        i = 0
        while i < len(words):
            for size in range(min(longest, len(words) - i), 0, -1):
                key = tuple(text[s:e] for s, e in words[i : i + size])
                if key in names:
                    start, end = words[i][0], words[i + size - 1][1]
                    prefix = _PREFIX_BEFORE.search(text, max(0, start - 16), start)
                    spans.append((prefix.start() if prefix else start, end))
                    i += size - 1
                    break
            i += 1
    return spans


def find_entities(text: str, places: Iterable[str] = ()) -> list[Entity]:
    """Non-overlapping facts in ``text``, in reading order; ``places`` adds local names (villages)."""
    found: list[tuple[int, int, int, str]] = []
    for rank, (label, pattern) in enumerate(_RULES):
        found += [(m.start(), m.end(), rank, label) for m in pattern.finditer(text)]
    place_rank = LABELS.index(PLACE)
    found += [(s, e, place_rank, PLACE) for s, e in _place_spans(text, frozenset(places))]
    found.sort(key=lambda f: (-(f[1] - f[0]), LABELS.index(f[3]), f[0]))
    taken: list[tuple[int, int]] = []
    chosen = []
    for start, end, _rank, label in found:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        chosen.append(Entity(start, end, label, text[start:end]))
    return sorted(chosen, key=lambda e: e.start)


# Public buildings and gathering points people are sent to ("tại sân trụ sở UBND xã", "đến Nhà văn hóa thôn
# Đồng Tâm", "Trường THCS Sơn Lang"): not administrative names, but the place of a call to action.
_VENUE_NOUNS = (
    r"(?:sân\s(?:trụ sở|nhà văn hóa|vận động|kho|trường|UBND|ủy ban)|trụ sở|nhà văn hóa|nhà sinh hoạt(?: cộng đồng)?|"
    r"hội trường|trường(?:\s(?:THCS|THPT|tiểu học|mầm non|trung học|mẫu giáo|phổ thông|PTDTBT|PTDTNT))|trạm y tế|"
    r"trung tâm y tế|bệnh viện|bộ phận (?:một cửa|tiếp nhận)|điểm (?:tập trung|tập kết|tiếp nhận|tiêm|thu gom|"
    r"sơ tán|trú ẩn|tránh trú|bán|phát)|bưu điện|chợ|nhà thờ|đồn biên phòng)"
)
_VENUE = re.compile(
    rf"(?<!\w)(?i:{_VENUE_NOUNS})(?:\s(?:Công an|Ủy ban nhân dân|[{_UPPER}][\w’'-]*|xã|thôn|bản|ấp|xóm|khu vực|huyện|số\s\d+|\d+))*"
)


def venues(text: str) -> list[str]:
    """Public buildings and gathering points named in ``text``, with the name that follows them."""
    return [m.group(0) for m in _VENUE.finditer(text)]
