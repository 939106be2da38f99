"""E-board text people can act on: a headline, then what to do, where, by when, and whom to call."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from nlp.entities import DATE, PHONE, PLACE, TIME, find_entities
from nlp.sentence_value import cue_weight

MAX_LINES = 3
# Value of a dated event people can attend ("Ngày 28/11, xã tổ chức ra quân...") with no call to action.
EVENT_VALUE = 0.8
# Words that make a dated clause a report of the past rather than an event to come.
_PAST = re.compile(r"\b(?:đến nay|vừa qua|trước đó|năm trước|đã|từng|ghi nhận|xảy ra)\b", re.IGNORECASE)
# A place people go to or act at: after "đến, tới, về, tại, ở", a named place or a public building.
_PLACE_NOUNS = (
    r"(?:Trường|Nhà văn hóa|Trạm [Yy] tế|Trung tâm|Trụ sở|Hội trường|UBND|Ủy ban|Điểm|Bệnh viện|Chợ|Sân|"
    r"Khu|Thôn|Bản|Ấp|Xóm|Tổ|Làng|Buôn|Đồn|Công an|Nhà|Bưu điện|Đình|Chùa|Nơi|Chỗ|Vùng)"
)
_PLACE_PHRASE = re.compile(
    rf"\b(?:đến|tới|về|tại|ở|lên)\s+(?:ngay\s+|kịp thời\s+)?((?i:{_PLACE_NOUNS})\b[^,;:.!?()]*?)"
    r"(?=\s(?:trước|từ|vào|để|khi|lúc|trong|và\s(?:mang|không|gọi)|hoặc|nếu|theo|qua|chậm)\b|[,;:.!?()]|$)"
)
# A deadline or a time: the date or hour, and words like "hôm nay", "đêm nay", "ngày mai".
_RELATIVE_DAY = re.compile(
    r"\b(?:hôm nay|đêm nay|tối nay|chiều nay|sáng mai|ngày mai|trong ngày)\b", re.IGNORECASE
)
# Framing before the action itself ("UBND xã đề nghị bà con ...", "Yêu cầu ...").
_FRAMING = re.compile(
    r"^(?:[^,;:]{0,60}?\s)?(?:đề nghị|yêu cầu|kêu gọi|khuyến cáo|khuyến khích|lưu ý)\s+"
    r"(?:(?:toàn thể |mọi |tất cả )?(?:bà con|người dân|nhân dân)(?: nông dân)?\s+)?",
    re.IGNORECASE,
)
_LIST_MARK = re.compile(
    r"^(?:thứ\s(?:nhất|hai|ba|tư|năm|sáu|bảy|tám|chín|mười),\s|(?:một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười)\slà,?\s"
    r"|\d{1,2}[.)]\s|[a-zđ]\)\s|[-–•+*]\s)",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)
_HOTLINE = re.compile(r"đường dây nóng|khẩn cấp|báo ngay|gọi", re.IGNORECASE)
# Where a sentence holds a new point: ";", a list's ":", or a comma before a prohibition.
_CLAUSE_BREAK = re.compile(
    r";\s+|(?<!\d):\s+|,\s+(?=(?:tuyệt đối|nghiêm cấm|không được|không|đừng|cấm)\s)", re.IGNORECASE
)


@dataclass(frozen=True)
class Point:
    """One clause of the draft and what a reader can act on in it."""

    text: str
    order: int

    @cached_property
    def entities(self) -> list:
        return find_entities(self.text)

    @property
    def action(self) -> float:
        """Weight of the calls to action in the clause (0 when it asks nothing)."""
        return cue_weight(self.text)

    @property
    def upcoming(self) -> bool:
        """Whether the clause tells of something still to come (not a report of the past)."""
        return not _PAST.search(self.text)

    @property
    def phones(self) -> list[str]:
        return [e.text for e in self.entities if e.label == PHONE]

    @property
    def times(self) -> list[str]:
        return [e.text for e in self.entities if e.label in (DATE, TIME)] + _RELATIVE_DAY.findall(self.text)

    @property
    def places(self) -> list[str]:
        named = [e.text for e in self.entities if e.label == PLACE]
        return [p.strip() for p in _PLACE_PHRASE.findall(self.text)] + named


def action_points(sentences: Sequence[str]) -> list[Point]:
    """The draft's clauses (sentences split at ";" and at a list's ":"), without their list marks."""
    points = []
    for sentence in sentences:
        for part in _CLAUSE_BREAK.split(sentence):
            text = _LIST_MARK.sub("", part.strip(" ,;:.!?"))
            if len(_WORD.findall(text)) >= 3:
                points.append(Point(text[0].upper() + text[1:], len(points)))
    return points


def eboard_text(title: str | None, sentences: Sequence[str], max_chars: int = 180) -> str:
    """A headline (the title, shortened) and at most three lines: the action with its place and deadline, the hotline.

    ``sentences`` are the draft's. Each line is a clause of the draft, shortened only by dropping framing
    ("UBND xã đề nghị bà con"), lead clauses and side clauses, never by cutting a date or a place away
    from the action it belongs to; a phone number that fits in no clause gets a line of its own.
    """
    headline = clip(title or (sentences[0] if sentences else ""), max(20, min(80, max_chars * 2 // 5)))
    points = action_points(sentences)
    shown = headline.lower()
    hotline = _hotline_line(points, shown)
    budget = max_chars - len(headline) - (len(hotline) + 1 if hotline else 0)
    lines: list[tuple[int, str]] = []
    for point in sorted(points, key=lambda p: -_line_value(p, headline.lower())):
        if len(lines) >= MAX_LINES - bool(hotline) or _line_value(point, shown) <= 0:
            continue
        line = _shortest_reading(point, budget - 1)
        if line is None or not _adds_something(point, line, shown):
            continue
        lines.append((point.order, line))
        budget -= len(line) + 1
        shown += "\n" + line.lower()
    if hotline and hotline.split(": ")[-1].removeprefix("Gọi ").lower() not in shown:
        lines.append((len(points), hotline))
    return "\n".join([headline, *(text for _, text in sorted(lines))])[:max_chars]


def _line_value(point: Point, shown: str) -> float:
    """What a reader gains from this clause on the board: an action, and where, when and whom to call."""
    new = lambda items: [i for i in items if i.lower() not in shown]  # noqa: E731
    action = min(point.action, 3.0)
    times = bool(new(point.times))
    if not action and not point.phones and not (times and point.upcoming):
        return 0.0
    places, phones = bool(new(point.places)), bool(new(point.phones))
    return (action or EVENT_VALUE) + 2.5 * times + 2.0 * places + 3.0 * phones


def _adds_something(point: Point, line: str, shown: str) -> bool:
    """Whether the line brings an action, a place, a time or a phone not already on the board."""
    kept = [i for i in point.times + point.places + point.phones if i.lower() in line.lower()]
    return any(i.lower() not in shown for i in kept) or (point.action > 0 and line.lower() not in shown)


def _shortest_reading(point: Point, limit: int) -> str | None:
    """The clause, or a shorter reading keeping its action, places, times and phones, within ``limit``."""
    from nlp.shorten import drop_lead_clause, drop_side_clauses

    must = [i.lower() for i in point.times + point.places + point.phones]
    readings = [point.text]
    readings.append(drop_lead_clause(readings[-1] + ".").rstrip("."))
    readings.append(_drop_framing(readings[-1]))
    readings += [drop_side_clauses(r + ".").rstrip(".") for r in readings]
    fitting = [r for r in dict.fromkeys(readings) if len(r) <= limit and all(m in r.lower() for m in must)]
    if fitting:
        return min(fitting, key=len)
    # keep what fits: the action with its time and place beats the whole clause
    partial = [r for r in readings if len(r) <= limit and (point.times or point.places or point.phones)]
    partial = [r for r in partial if any(m in r.lower() for m in must) and _has_predicate(r)]
    return min(partial, key=len) if partial else None


def _drop_framing(text: str) -> str:
    """The action without who asks for it: "UBND xã đề nghị bà con không đi rừng" -> "Không đi rừng"."""
    match = _FRAMING.match(text)
    if not match or len(_WORD.findall(text[match.end() :])) < 3:
        return text
    rest = text[match.end() :]
    return rest[0].upper() + rest[1:]


def _has_predicate(text: str) -> bool:
    """Whether the text says something happens or must be done (a verb or a call to action), not a bare date."""
    from nlp.shorten import pos_tags

    return cue_weight(text) > 0 or any(tag.startswith("V") for tag in pos_tags(text))


def _hotline_line(points: Sequence[Point], shown: str) -> str | None:
    """A short line for the number to call: "Đường dây nóng: ..." when the draft calls it so, else "Gọi ..."."""
    calls = [(p, phone) for p in points for phone in p.phones if phone.lower() not in shown]
    if not calls:
        return None
    hot = [(p, phone) for p, phone in calls if _HOTLINE.search(p.text)]
    point, phone = (hot or calls)[0]
    return f"Đường dây nóng: {phone}" if "đường dây nóng" in point.text.lower() else f"Gọi {phone}"


def clip(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(text.split()).rstrip(".")
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 1)].rsplit(" ", 1)[0].rstrip(",;: ")
    return cut + "…"
