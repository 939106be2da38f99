"""E-board text people can act on: a headline, then what to do, where, by when, and whom to call."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from nlp.entities import DATE, PHONE, PLACE, TIME, find_entities
from nlp.sentence_value import cue_weight

MAX_LINES = 3
CANDIDATES = 12  # clauses considered for the board, best first; every combination of them is tried
# Value of a dated event people can attend ("Ngày 28/11, xã tổ chức ra quân...") with no call to action.
EVENT_VALUE = 0.8
# Words that make a dated clause a report of the past rather than an event to come.
_PAST = re.compile(
    r"\b(?:đến nay|vừa qua|trước đó|năm trước|đã|từng|ghi nhận|xảy ra|có \d+ (?:trường hợp|ca|người|hộ))\b",
    re.IGNORECASE,
)
# A place people go to or act at: after "đến, tới, về, tại, ở", a named place or a public building.
_PLACE_NOUNS = (
    r"(?:Trường|Nhà văn hóa|Trạm [Yy] tế|Trung tâm|Trụ sở|Hội trường|UBND|Ủy ban|Điểm|Bệnh viện|Chợ|Sân|"
    r"Khu|Thôn|Bản|Ấp|Xóm|Tổ|Làng|Buôn|Đồn|Công an|Nhà sinh hoạt|Bưu điện|Đình|Chùa|Nơi|Chỗ|Vùng)"
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
_CLAUSE_BREAK = re.compile(r";\s+|,\s+(?=(?:tuyệt đối|nghiêm cấm|không được|đừng|cấm)\s)", re.IGNORECASE)
# The end of a sentence that announces a list ("... thực hiện nghiêm các biện pháp sau").
_ANNOUNCES_LIST = re.compile(r"\b(?:sau|như sau|sau đây|gồm|bao gồm|cụ thể)$", re.IGNORECASE)
# Calls to action a reading may start at, leaving the subject out ("Sơ tán đến nơi an toàn trước 17h").
_ACTION_VERB = re.compile(
    r"(?<!chưa )(?<!không )(?<!đã )(?<!được )\b(?:sơ tán|di dời|khẩn trương|tuyệt đối|nghiêm cấm|không được|"
    r"phải|cần|hãy|chuẩn bị sẵn sàng|đăng ký|mang theo)\b",
    re.IGNORECASE,
)
# The announcement of a list of places ("Các điểm tiếp nhận người sơ tán gồm: ...") and its head noun.
_LIST_INTRO = re.compile(
    r"^(?:các |những )?((?:điểm|nơi|địa điểm) (?:tiếp nhận|tập trung|sơ tán|tránh trú|trú ẩn|đón|tiêm|khám|"
    r"thu gom|phát|bán))\b[^:]{0,60}?\s(?:gồm|bao gồm|là)\s*:?\s+",
    re.IGNORECASE,
)
# A partner organisation ("UBND xã phối hợp với HTX Long Thạnh tổ chức ...") the reader does not need.
_PARTNER = re.compile(
    r"\s(?:phối hợp với|cùng với|kết hợp với)\s[^,;]*?(?=\s(?:tổ chức|mở|tiến hành|thực hiện)\b)"
)
# Who is asked: a reading that starts at the call to action may leave only these subjects out.
_SUBJECT = re.compile(
    r"^(?:bà con|người dân|nhân dân|mọi người|toàn bộ|tất cả|các hộ|hộ|mỗi hộ|gia đình|các gia đình|mỗi gia đình|"
    r"phụ huynh|chủ|các chủ|người|thời gian hoàn thành|thời hạn)\b",
    re.IGNORECASE,
)
# Verbs (pyvi tags) that only mark a time or a direction: "Đến hết ngày 30/04" says nothing happens.
_NOT_PREDICATES = frozenset(
    ["đến", "từ", "kể", "hết", "tới", "về", "vào", "theo", "cho", "qua", "trong", "sau"]
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
    """The draft's clauses (sentences split at ";" and before a prohibition), without their list marks.

    A clause that is only framing ("Đề nghị bà con") or only a date ("Ngày 14/01/2026") is no point.
    """
    points = []
    for sentence in sentences:
        for part in _CLAUSE_BREAK.split(sentence):
            text = _LIST_MARK.sub("", part.strip(" ,;:.!?"))
            action = _drop_framing(text, keep_short=False)
            announces = part.rstrip().endswith(":") or _ANNOUNCES_LIST.search(text)
            if announces or len(_WORD.findall(action)) < 3 or not _has_predicate(action):
                continue  # a list's announcement, framing alone, or a date alone
            points.append(Point(text[0].upper() + text[1:], len(points)))
    return points


def eboard_text(title: str | None, sentences: Sequence[str], max_chars: int = 180) -> str:
    """A headline (the title, shortened) and at most three lines: the action with its place and deadline, the hotline.

    ``sentences`` are the draft's. Each line is a clause of the draft, shortened only by dropping framing
    ("UBND xã đề nghị bà con"), lead clauses and side clauses, never by cutting a date or a place away
    from the action it belongs to; a phone number that fits in no clause gets a line of its own.
    """
    points = action_points(sentences)
    title = title or (sentences[0] if sentences else "")
    longest = max(20, min(80, max_chars * 2 // 5))
    # the headline gives up words when the board then tells more of what to do (where, by when)
    boards = [_board(clip(title, limit), points, max_chars) for limit in (longest, max(20, longest * 2 // 3))]
    return max(boards, key=lambda board: (board[0], board[1]))[2]


def _board(headline: str, points: Sequence[Point], max_chars: int) -> tuple[float, int, str]:
    """The best board under this headline: its value, the headline's length, and its text."""
    shown = headline.lower()
    hotline = _hotline_line(points, shown)
    budget = max_chars - len(headline) - (len(hotline) + 1 if hotline else 0)
    ranked = sorted((p for p in points if _line_value(p, shown) > 0), key=lambda p: -_line_value(p, shown))
    candidates = [(p, line) for p in ranked[:CANDIDATES] if (line := _shortest_reading(p, budget - 1))]
    slots = MAX_LINES - bool(hotline)
    combos = (
        combo
        for k in range(slots + 1)
        for combo in itertools.combinations(candidates, k)
        if sum(len(line) + 1 for _, line in combo) <= budget
    )
    best = max(combos, key=lambda combo: _board_value(combo, shown))
    lines = [(point.order, line) for point, line in best]
    shown += "\n" + "\n".join(line.lower() for _, line in lines)
    if hotline and hotline.removeprefix("Gọi ").lower() not in shown:
        lines.append((len(points), hotline))
    text = "\n".join([headline, *(line for _, line in sorted(lines))])[:max_chars]
    return _kinds_told(best, headline.lower()), len(headline), text


def _kinds_told(combo: Sequence[tuple[Point, str]], shown: str) -> float:
    """How many of action, time and place the lines tell that the headline does not."""
    kept = lambda items, line: [i for i in items if i.lower() in line.lower() and i.lower() not in shown]  # noqa: E731
    return (
        any(point.action > 0 for point, _ in combo)
        + any((point.action > 0 or point.upcoming) and kept(point.times, line) for point, line in combo)
        + any(kept(point.places, line) for point, line in combo)
    )


def _board_value(combo: Sequence[tuple[Point, str]], shown: str) -> float:
    """What these lines together tell a reader: an action, by when, where; then how much of each clause."""
    kept = lambda items, line: [i for i in items if i.lower() in line.lower() and i.lower() not in shown]  # noqa: E731
    has_action = any(point.action > 0 for point, _ in combo)
    has_time = any((point.action > 0 or point.upcoming) and kept(point.times, line) for point, line in combo)
    has_place = any(kept(point.places, line) for point, line in combo)
    lines = sum(0.3 * _line_value(point, shown) for point, _ in combo)
    return 3.0 * has_action + 2.5 * has_time + 2.0 * has_place + lines


def _line_value(point: Point, shown: str) -> float:
    """What a reader gains from this clause on the board: an action, and where, when and whom to call."""
    new = lambda items: [i for i in items if i.lower() not in shown]  # noqa: E731
    action = min(point.action, 3.0) * (1.0 if point.upcoming else 0.5)  # a report of what happened
    times = bool(new(point.times))
    if not action and not (times and point.upcoming):
        return 0.0  # the phone number gets its own line
    places = bool(new(point.places))
    if not action:  # an event people can attend: when matters more than where
        return EVENT_VALUE + 1.0 * times + 0.5 * places
    return action + 2.5 * times + 2.0 * places


def _shortest_reading(point: Point, limit: int) -> str | None:
    """The clause, or a shorter reading keeping its action, places, times and phones, within ``limit``."""
    from nlp.shorten import drop_lead_clause, drop_side_clauses

    must = [i.lower() for i in point.times + point.places]
    readings = [point.text]
    readings.append(drop_lead_clause(readings[-1] + ".").rstrip("."))
    readings.append(_drop_framing(readings[-1]))
    readings.append(_PARTNER.sub(" ", readings[-1]))
    readings += [drop_side_clauses(r + ".").rstrip(".") for r in readings]
    readings += [_from_action_verb(r) for r in readings]
    readings += [
        _LIST_INTRO.sub(lambda m: m.group(1)[0].upper() + m.group(1)[1:] + ": ", r) for r in readings
    ]
    fitting = [r for r in dict.fromkeys(readings) if len(r) <= limit and _has_predicate(r)]
    if not fitting:
        return None
    # the reading that keeps most of the clause's places and times, then the shortest
    return min(fitting, key=lambda r: (-sum(m in r.lower() for m in must), len(r)))


def _from_action_verb(text: str) -> str:
    """The clause from its first action verb on ("Sơ tán đến nơi an toàn trước 17h"), subject left out."""
    match = _ACTION_VERB.search(text)
    if not match or not _SUBJECT.match(text) or len(_WORD.findall(text[match.start() :])) < 4:
        return text
    rest = text[match.start() :]
    return rest[0].upper() + rest[1:]


def _drop_framing(text: str, keep_short: bool = True) -> str:
    """The action without who asks for it: "UBND xã đề nghị bà con không đi rừng" -> "Không đi rừng".

    When fewer than three words would remain, the text is kept (``keep_short``) or nothing is left.
    """
    match = _FRAMING.match(text)
    if match and len(_WORD.findall(text[match.end() :])) < 3:
        return text if keep_short else ""
    if not match:
        return text
    rest = text[match.end() :]
    return rest[0].upper() + rest[1:]


def _has_predicate(text: str) -> bool:
    """Whether the text says something happens or must be done (a verb), not only when or where."""
    from nlp.shorten import tagged_words

    return any(
        tag.startswith("V") and word.lower() not in _NOT_PREDICATES for word, tag in tagged_words(text)
    )


def _hotline_line(points: Sequence[Point], shown: str) -> str | None:
    """A short line for the number to call ("Gọi 0255 3864 112"): the hotline when the draft names one."""
    calls = [(p, phone) for p in points for phone in p.phones if phone.lower() not in shown]
    if not calls:
        return None
    hot = [(p, phone) for p, phone in calls if _HOTLINE.search(p.text)]
    _, phone = (hot or calls)[0]
    return f"Gọi {phone}"


def clip(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(text.split()).rstrip(".")
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 1)].rsplit(" ", 1)[0].rstrip(",;: ")
    return cut + "…"
