"""E-board text people can act on: a headline, then what to do, where, by when, and whom to call."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from nlp.entities import DATE, PHONE, PLACE, TIME, find_entities, venues
from nlp.sentence_value import cue_weight

MAX_LINES = 3
CANDIDATES = 20  # clauses considered for the board, best first; every combination of them is tried
# Value of a dated event people can attend ("Ngày 28/11, xã tổ chức ra quân...") with no call to action.
EVENT_VALUE = 0.8
# What makes a dated clause without a call to action an event people can attend or must plan for (not a
# status: "thẻ BHYT hết hạn vào ngày 31/12/2025").
_EVENT = re.compile(
    r"\b(?:tổ chức|bắt đầu|diễn ra|khai mạc|tiêm|khám|phát|thu|cắt điện|ngừng|nhận|xuống giống|gieo|họp|bầu)\b",
    re.IGNORECASE,
)
# Words that make a dated clause a report of the past rather than an event to come.
_PAST = re.compile(
    r"\b(?:đến nay|vừa qua|trước đó|năm trước|điển hình|đã(?![^.;]*\bthì\b)|từng|ghi nhận|xảy ra|"
    r"có \d+ (?:trường hợp|ca|người|hộ))\b",
    re.IGNORECASE,
)
# Words that ask outright, whatever the clause tells of the past ("Những hộ đã đăng ký, hãy ...").
_ASKS = re.compile(r"\b(?:hãy|đề nghị|yêu cầu|khẩn trương|nghiêm cấm|tuyệt đối)\b", re.IGNORECASE)
# A place people go to or act at: after "đến, tới, về, tại, ở", a named place or a public building.
_PLACE_NOUNS = (
    r"(?:Trường|Nhà văn hóa|Trạm [Yy] tế|Trung tâm|Trụ sở|Hội trường|UBND|Ủy ban|Điểm|Bệnh viện|Chợ|Sân|"
    r"Khu|Thôn|Bản|Ấp|Xóm|Tổ|Làng|Buôn|Đồn|Công an|Nhà sinh hoạt|Bưu điện|Đình|Chùa|Nơi|Chỗ|Vùng)"
)
_PLACE_PHRASE = re.compile(
    rf"\b(?:đến|tới|về|tại|ở|lên)\s+(?:ngay\s+|kịp thời\s+)?((?i:{_PLACE_NOUNS})\b[^,;:.!?()]*?)"
    r"(?=\s(?:trước|từ|vào|để|khi|lúc|trong|và\s(?:mang|không|gọi)|hoặc|nếu|theo|qua|chậm)\b|[,;:.!?()]|$)"
)
# What comes before a building people are sent to: a direction ("đến Trường..."), "là" or ":" ("Điểm tập
# trung là ..."), or nothing (the clause names the gathering point). Not "liên hệ Trạm Y tế xã".
_SENT_TO = re.compile(r"(?:^|\b(?:đến|tới|về|tại|ở|lên|là)\s+(?:ngay\s+)?|:\s+)$", re.IGNORECASE)
# Being asked to gather or be present somewhere ("công dân tập trung lúc 6h30 tại sân trụ sở UBND xã").
_GATHER = re.compile(r"\b(?:tập trung|có mặt)\s(?:lúc|tại|ở|trước|vào|đúng)\b", re.IGNORECASE)
_GATHER_WEIGHT = 1.0
# A place that names no building or village ("nơi an toàn", "chỗ cao"): a direction, not where to go.
_GENERIC_PLACE = re.compile(r"(?i:nơi|chỗ|vùng)\b")
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
    r"thu gom|phát|bán|tập kết))\b[^:]{0,60}?(?:\s(?:gồm|bao gồm|là)\s*:?|:)\s+",
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
# A field of a notice ("Thời gian: 7h30 sáng Chủ nhật, ngày 11/01/2026.", "Địa điểm: nhà văn hóa thôn X."): it
# dates or places the event of the sentence before it, and is shown with that event, never alone.
_FIELD = re.compile(r"^(thời gian|thời điểm|địa điểm|thời hạn|hạn chót)\s*:\s*(\S.*?)[.!]?$", re.IGNORECASE)
_FIELD_LINKS = {"thời gian": "vào", "thời điểm": "vào", "địa điểm": "tại"}
_FIELD_OWN_LINK = re.compile(r"^(?:từ|lúc|vào|trước|đến|tại|ở)\b", re.IGNORECASE)
# A weekday beside the date it names ("sáng Chủ nhật, ngày 11/01/2026", "thứ Bảy 27/9"): the date says it.
_WEEKDAY = re.compile(
    r"\b(?:(?:sáng|chiều|tối)\s)?(?:thứ\s(?:hai|ba|tư|năm|sáu|bảy)|chủ nhật),?\s(?=(?:ngày\s)?\d{1,2}/\d{1,2})",
    re.IGNORECASE,
)
# A count of days before the dates that give them ("trong 2 ngày 27/9 và 28/9/2025"): "ngày 27/9 và ...".
_DAY_COUNT = re.compile(r"\btrong\s\d+\sngày\s(?=\d{1,2}/\d{1,2})", re.IGNORECASE)
# A second place offered after the place to go ("đến ngay Trạm Y tế xã hoặc cơ sở y tế gần nhất").
_ALTERNATIVE = re.compile(
    r"^\s(?:hoặc|hay)\s(?!(?:gọi|báo|liên hệ|nhắn)\b)[^\d,;]*?(?=\s(?:để|trước|từ|vào|lúc)\b|[,;]|$)"
)
# A purpose between two actions ("liên hệ ngay với ngân hàng để đề nghị phong tỏa giao dịch và đến trụ sở
# Công an xã trình báo"): the second action, often the place to go, is not part of the purpose.
_PURPOSE_BEFORE_ACTION = re.compile(
    r"\s(?:để|nhằm)\s[^,;]*?(?=\svà\s(?:đến|tới|về|lên|mang|nộp|báo|gọi|liên hệ)\b)", re.IGNORECASE
)
# Who organises an event ("UBND xã tổ chức ...", "Ban Công tác Mặt trận thôn X tổ chức ..."): the board
# needs what happens, when and where, not who organises it.
_ORGANISER = re.compile(
    r"^(?:UBND|Ủy ban|Ban|Trạm|Trung tâm|Công an|Hội|Chi hội|Đoàn|Hợp tác xã|HTX|Mặt trận|Phòng|Tổ|Đội|Trường)"
    r"\b[^,;:]{0,60}?\s(?=(?:tổ chức|mở|tiến hành|triển khai)\s)"
)


@dataclass(frozen=True)
class Point:
    """One clause of the draft and what a reader can act on in it."""

    text: str
    order: int
    told: bool = False  # an item of a list that describes ("thủ đoạn sau: ..."), not one that asks

    @cached_property
    def entities(self) -> list:
        return find_entities(self.text)

    @property
    def action(self) -> float:
        """Weight of the calls to action in the clause (0 when it asks nothing)."""
        if self.told:
            return 0.0
        return cue_weight(self.text) + _GATHER_WEIGHT * bool(_GATHER.search(self.text))

    @property
    def upcoming(self) -> bool:
        """Whether the clause tells of something still to come (not a report of the past).

        A clause that asks outright ("Người nào đã lỡ chuyển tiền, hãy liên hệ ngay ...") is to come.
        """
        return not _PAST.search(self.text) or bool(_ASKS.search(self.text))

    @property
    def dates_something(self) -> bool:
        """Whether its date or time is when to act or when an event takes place, not a status."""
        return self.upcoming and (self.action > 0 or bool(_EVENT.search(self.text)))

    @property
    def phones(self) -> list[str]:
        return [e.text for e in self.entities if e.label == PHONE]

    @property
    def times(self) -> list[str]:
        return [e.text for e in self.entities if e.label in (DATE, TIME)] + _RELATIVE_DAY.findall(self.text)

    @property
    def destinations(self) -> list[str]:
        """Where the reader goes or acts: a place after "đến, tới, về, tại, ở", a public building."""
        return [p for p in self._place_phrases if not _GENERIC_PLACE.match(p)]

    @cached_property
    def _place_phrases(self) -> list[str]:
        sent_to = [v for v in venues(self.text) if _SENT_TO.search(self.text.split(v, 1)[0])]
        return list(dict.fromkeys([p.strip() for p in _PLACE_PHRASE.findall(self.text)] + sent_to))

    @property
    def places(self) -> list[str]:
        """Every place the clause names: destinations, directions ("nơi an toàn"), villages, communes."""
        return self._place_phrases + [e.text for e in self.entities if e.label == PLACE]


def action_points(sentences: Sequence[str]) -> list[Point]:
    """The draft's clauses (sentences split at ";" and before a prohibition), without their list marks.

    A clause that is only framing ("Đề nghị bà con") or only a date ("Ngày 14/01/2026") is no point.
    """
    points = []
    for sentence in _with_fields(sentences):
        intro, colon, _ = sentence.partition(": ")
        told = bool(colon) and bool(_ANNOUNCES_LIST.search(intro)) and not cue_weight(intro)
        parts: list[str] = []
        for part in _CLAUSE_BREAK.split(sentence):
            if parts and not _has_predicate(parts[-1]):  # "Từ nay đến hết ngày 31/01/2026, nghiêm cấm ..."
                parts[-1] = f"{parts[-1]}, {part}" if not parts[-1].endswith(";") else f"{parts[-1]} {part}"
            else:
                parts.append(part)
        for part in parts:
            text = _LIST_MARK.sub("", part.strip(" ,;:.!?"))
            action = _drop_framing(text, keep_short=False)
            announces = part.rstrip().endswith(":") or _ANNOUNCES_LIST.search(text)
            if announces or len(_WORD.findall(action)) < 3 or not _has_predicate(action):
                continue  # a list's announcement, framing alone, or a date alone
            points.append(Point(text[0].upper() + text[1:], len(points), told))
    return points


def _with_fields(sentences: Sequence[str]) -> list[str]:
    """The sentences, each field of a notice ("Thời gian: ...", "Địa điểm: ...") joined to the event before it.

    "... tổ chức hội nghị bầu trưởng thôn." + "Thời gian: 7h30 sáng Chủ nhật, ngày 11/01/2026." + "Địa điểm:
    nhà văn hóa thôn X." -> "... tổ chức hội nghị bầu trưởng thôn vào 7h30 sáng Chủ nhật, ngày 11/01/2026 tại
    nhà văn hóa thôn X": the date and the place stay with what they date and place.
    """
    joined: list[str] = []
    for sentence in sentences:
        field = _FIELD.match(sentence.strip())
        if not field or not joined or joined[-1].rstrip().endswith(":"):
            joined.append(sentence)
            continue
        label, value = field.group(1).lower(), field.group(2).strip()
        link = _FIELD_LINKS.get(label, label)
        value = value if _FIELD_OWN_LINK.match(value) else f"{link} {value}"
        joined[-1] = f"{joined[-1].rstrip().rstrip('.!')} {value}"
    return joined


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
    limits = (longest, max(20, longest * 2 // 3), max(20, longest // 2), max(20, longest // 3))
    headlines = dict.fromkeys(h for h in (_headline(title, limit) for limit in limits) if h)
    boards = [_board(headline, points, max_chars) for headline in headlines or [clip(title, longest)]]
    return max(boards, key=lambda board: (board[0], board[1]))[2]


def _headline(title: str, limit: int) -> str | None:
    """The title clipped to ``limit`` like ``clip``, but never inside a word of several syllables.

    "Vận động gia hạn, tham gia bảo hiểm y tế" at 32 -> "Vận động gia hạn…", not "... tham gia bảo…".
    None when fewer than three words would be left ("Lịch tạm ngừng…" says nothing).
    """
    from nlp.shorten import tagged_words

    cut = clip(title, limit)
    if not cut.endswith("…"):
        return cut
    text = " ".join(title.split()).rstrip(".")
    ends, start = [], 0
    for word, _ in tagged_words(text):
        at = text.find(word, start)
        if at >= 0 and _WORD.search(word):
            start = at + len(word)
            ends.append(start)
    kept = cut[:-1]
    while kept and len(kept) not in ends and " " in kept:
        kept = kept.rsplit(" ", 1)[0].rstrip(",;: ")
    if len(kept) not in ends:
        return cut
    return kept + "…" if ends.index(len(kept)) >= 2 else None


def _board(headline: str, points: Sequence[Point], max_chars: int) -> tuple[float, int, str]:
    """The best board under this headline: its value, the headline's length, and its text."""
    shown = headline.lower()
    hotline = _hotline_line(points, shown)
    budget = max_chars - len(headline) - (len(hotline) + 1 if hotline else 0)
    ranked = sorted((p for p in points if _line_value(p, shown) > 0), key=lambda p: -_line_value(p, shown))
    candidates = [(p, line) for p in ranked[:CANDIDATES] for line in _readings(p, budget - 1)]
    slots = MAX_LINES - bool(hotline)
    combos = (
        combo
        for k in range(slots + 1)
        for combo in itertools.combinations(candidates, k)
        if len({point.order for point, _ in combo}) == k  # one reading of a clause at most
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
        (any(point.action > 0 for point, _ in combo) or bool(_ACTION_VERB.search(shown)))  # or the headline
        + any(point.dates_something and kept(point.times, line) for point, line in combo)
        + any(kept(point.destinations, line) for point, line in combo)
    )


def _board_value(combo: Sequence[tuple[Point, str]], shown: str) -> float:
    """What these lines together tell a reader: an action, by when, where; then how much of each clause."""
    kept = lambda items, line: [i for i in items if i.lower() in line.lower() and i.lower() not in shown]  # noqa: E731
    has_action = any(point.action > 0 for point, _ in combo)
    has_time = any(point.dates_something and kept(point.times, line) for point, line in combo)
    has_destination = any(kept(point.destinations, line) for point, line in combo)
    has_place = any(kept(point.places, line) for point, line in combo)
    lines = sum(0.3 * _line_value(point, shown) for point, _ in combo)
    return 3.0 * has_action + 2.5 * has_time + 1.5 * has_destination + 0.5 * has_place + lines


def _line_value(point: Point, shown: str) -> float:
    """What a reader gains from this clause on the board: an action, and where, when and whom to call."""
    new = lambda items: [i for i in items if i.lower() not in shown]  # noqa: E731
    action = min(point.action, 3.0) * (1.0 if point.upcoming else 0.5)  # a report of what happened
    times = bool(new(point.times))
    places = 0.5 * bool(new(point.places)) + 1.5 * bool(new(point.destinations))
    if not action and not (times and point.dates_something):
        if point.upcoming and _LIST_INTRO.match(point.text) and new(point.destinations):
            return EVENT_VALUE + 0.5 * places  # "Điểm tiêm ... là Trung tâm Y tế khu vực X": where to go
        return 0.0  # the phone number gets its own line
    if not action:  # an event people can attend: when matters more than where
        return EVENT_VALUE + 1.0 * times + 0.5 * places
    return action + 2.5 * times + places


def _readings(point: Point, limit: int) -> list[str]:
    """The most complete reading of the clause within ``limit``, and a compact one when it is shorter.

    The compact reading keeps at least one of the clause's destinations and times ("Điểm tập trung:
    Trường THCS Tân Thạch"), so that a board short of room can still say where or by when.
    """
    best = _shortest_reading(point, limit)
    compact = _shortest_reading(point, limit, complete=False)
    if point.times and not any(t.lower() in (compact or "").lower() for t in point.times):
        compact = (
            _list_cut(point, limit) or compact
        )  # "Từ nay đến hết ngày 30/04/2026, nghiêm cấm đốt nương…"
    readings = [r for r in (best, compact) if r]
    return list(dict.fromkeys(readings))


def _list_cut(point: Point, limit: int) -> str | None:
    """The clause cut at a comma of its list of objects, after its times and its call to action, with "…".

    For a clause too long for the board whose date would otherwise be lost: the date stays with what it
    dates ("Từ nay đến hết ngày 30/04/2026, nghiêm cấm mọi hành vi đốt nương, đốt thực bì…").
    """
    text = point.text
    times_end = max(text.lower().find(t.lower()) + len(t) for t in point.times)
    cue = _ACTION_VERB.search(text, times_end) or _ACTION_VERB.search(text)
    if not cue:
        return None
    start = max(times_end, cue.end())
    cuts = [m.start() for m in re.finditer(r",\s", text) if m.start() > start and m.start() + 1 <= limit]
    for cut in reversed(cuts):
        reading = text[:cut] + "…"
        if len(_WORD.findall(text[cue.start() : cut])) >= 3 and _has_predicate(reading):
            return reading
    return None


def _shortest_reading(point: Point, limit: int, complete: bool = True) -> str | None:
    """The clause, or a shorter reading keeping its action, places, times and phones, within ``limit``.

    With ``complete`` false: the shortest reading that keeps one of its destinations and times (if any).
    """
    from nlp.shorten import drop_lead_clause, drop_side_clauses

    must = [i.lower() for i in point.times + point.places]
    readings = [point.text]
    readings.append(drop_lead_clause(readings[-1] + ".").rstrip("."))
    readings.append(_drop_framing(readings[-1]))
    readings.append(_PARTNER.sub(" ", readings[-1]))
    readings.append(_ORGANISER.sub("", readings[-1]))
    readings.append(_DAY_COUNT.sub("ngày ", _WEEKDAY.sub("", readings[-1])))
    readings.append(_PURPOSE_BEFORE_ACTION.sub("", _without_alternatives(readings[-1], point.destinations)))
    readings += [drop_side_clauses(r + ".").rstrip(".") for r in readings]
    readings += [_from_action_verb(r) for r in readings]
    readings += [_LIST_INTRO.sub(_list_head, r) for r in readings]
    readings += [_first_of_list(r) for r in readings if _LIST_INTRO.match(r) or r.startswith("Điểm")]
    readings = [" ".join(r.split()) for r in readings]
    readings = [r[0].upper() + r[1:] for r in readings if r]
    fitting = [r for r in dict.fromkeys(readings) if len(r) <= limit and _has_predicate(r)]
    if not fitting:
        return None
    if not complete:
        key = [i.lower() for i in point.destinations + point.times]
        fitting = [r for r in fitting if not key or any(k in r.lower() for k in key)]
        return min(fitting, key=len) if fitting else None
    # the reading that keeps most of the clause's places and times, then the shortest
    return min(fitting, key=lambda r: (-sum(m in r.lower() for m in must), len(r)))


def _list_head(match: re.Match[str]) -> str:
    """ "Các điểm tiếp nhận người sơ tán gồm: " -> "Điểm tiếp nhận: ", unless it drops whom the place serves.

    "Điểm tiêm vắc xin phòng dại cho người gần nhất là ..." keeps its words: "Điểm tiêm:" alone would send
    the owners of the dogs being vaccinated to the place where people are.
    """
    if re.search(r"\bcho\s", match.group(0)):
        return match.group(0)
    head = match.group(1)
    return head[0].upper() + head[1:] + ": "


def _without_alternatives(text: str, destinations: Sequence[str]) -> str:
    """The text without a second place offered after a place to go: "đến ngay Trạm Y tế xã hoặc cơ sở y tế
    gần nhất để ..." -> "đến ngay Trạm Y tế xã để ..."; an alternative call ("hoặc gọi 115") stays."""
    for place in destinations:
        at = text.find(place)
        if at < 0:
            continue
        end = at + len(place)
        alternative = _ALTERNATIVE.match(text[end:])
        if alternative:
            text = text[:end] + text[end + alternative.end() :]
    return text


def _first_of_list(text: str) -> str:
    """A list of places cut after its first item: "Điểm sơ tán: Trường X và nhà văn hóa bản Y" -> "...: Trường X"."""
    head, colon, items = text.partition(": ")
    if not colon:
        return text
    first = re.split(r",\s|\svà\s|\shoặc\s", items, maxsplit=1)[0]
    return f"{head}: {first}" if len(_WORD.findall(first)) >= 2 else text


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
