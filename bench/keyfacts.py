"""Key-fact measures of the summary benchmark: whether a script keeps a fact an editor wrote down."""

from __future__ import annotations

import itertools
import re
import unicodedata

from nlp.entities import NUMBER, find_entities

_WORD = re.compile(r"\w+", re.UNICODE)


def fact_overlap(fact: str, script: str) -> tuple[float, float, int]:
    """Share of the fact's facts (numbers, dates, places...) and of its word pairs found in ``script``.

    Both are compared after NFC and lower-casing, by substring (numbers as whole numbers). Also returns
    how many facts other than bare numbers it has.
    """
    fact_n = unicodedata.normalize("NFC", fact)
    script_n = unicodedata.normalize("NFC", script).lower()
    entities = find_entities(fact_n)
    pieces = [rf"(?<![\w,.]){re.escape(e.text.lower())}(?![\w]|[,.]\d)" for e in entities]
    piece_share = sum(bool(re.search(p, script_n)) for p in pieces) / len(pieces) if pieces else 1.0
    words = _WORD.findall(fact_n.lower())
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)] or words
    pair_share = sum(p in script_n for p in pairs) / len(pairs) if pairs else 1.0
    return piece_share, pair_share, sum(e.label != NUMBER for e in entities)


def key_fact_kept(fact: str, script: str) -> bool:
    """Whether ``script`` keeps ``fact``, a short restatement of the body in its own words.

    Kept when the fact appears whole, or its numbers/dates/places all appear with a third of its word
    pairs (or with no other words needed when it is a list of three or more such facts), or most of
    its numbers/dates/places appear with half its word pairs, or 60% of its word pairs appear.
    """
    if unicodedata.normalize("NFC", fact).lower() in unicodedata.normalize("NFC", script).lower():
        return True
    pieces, pairs, count = fact_overlap(fact, script)
    if count and pieces == 1.0 and (count >= 3 or pairs >= 0.3):
        return True
    return (pieces >= 0.6 and pairs >= 0.5) or pairs >= 0.6


# What a reader of the e-board must be able to act on, found in the draft independently of nlp/eboard.py.
_ACTION_WORDS = re.compile(
    r"\b(?:phải|cần|hãy|không được|tuyệt đối|nghiêm cấm|khẩn trương|yêu cầu|đề nghị|sơ tán|di dời|"
    r"đăng ký|nộp|mang theo|gọi|báo ngay|liên hệ|đến ngay|không|tập trung|có mặt|tham dự|đến nhận|đưa)\b",
    re.IGNORECASE,
)
# A report of the past ("bà N.T.H., trú tại thôn Khuổi Phầy, nhận được cuộc gọi..."): no place to go.
_PAST_REPORT = re.compile(r"\b(?:đã|vừa qua|trú tại|điển hình|xảy ra|ghi nhận)\b", re.IGNORECASE)
_IMPERATIVE = re.compile(r"\b(?:hãy|phải|cần|đề nghị|yêu cầu|khẩn trương)\b", re.IGNORECASE)
# An event people attend ("Phần lễ bắt đầu lúc 8h00 tại sân nhà văn hóa bản Nà Khum"): where and when.
_EVENT = re.compile(r"\b(?:tổ chức|bắt đầu|diễn ra|khai mạc)\b.*\b(?:lúc|từ|vào)\s+\d", re.IGNORECASE)
_DEADLINE = re.compile(
    r"\b(?:trước|chậm nhất|hạn|đến hết|đến|từ|bắt đầu từ|vào|trong|lúc)\s+(?:ngày\s+|giờ\s+|lúc\s+)?"
    r"(\d{1,2}(?:h\d{0,2}|:\d{2}|/\d{1,2}(?:/\d{4})?)|hôm nay|đêm nay|ngày mai|sáng mai)",
    re.IGNORECASE,
)
# Where to go or act: a public building or gathering point after "đến, tới, về, tại" or named as the
# meeting point ("Điểm tập trung là Trường THCS Tân Thạch", "Điểm tiếp nhận: ...", "Địa điểm: ...").
_VENUE = (
    r"(?:sân\s(?:trụ sở|nhà văn hóa|kho|trường|ubnd)|trường\s(?:thcs|thpt|tiểu học|mầm non|phổ thông|ptdt)|nhà văn hóa|"
    r"nhà sinh hoạt|trạm y tế|trụ sở|hội trường|ubnd|ủy ban|bộ phận một cửa|điểm tiêm|bệnh viện|trung tâm|"
    r"công an|bưu điện|thôn|bản|ấp|xóm)"
)
_DESTINATION = re.compile(
    rf"\b(?:đến|tới|về|tại)\s+(?:ngay\s+)?({_VENUE}"
    r"(?:\s(?!(?:hoặc|để|khi|trong|ít|lấy|và|từ|trước|vào|lúc|gọi)\b)[\wÀ-ỹ]+){0,3})",
    re.IGNORECASE,
)
_MEETING_POINT = re.compile(
    r"\b(?:điểm (?:tập trung|tập kết|tiếp nhận|sơ tán|tiêm)|địa điểm)[^:.;]{0,40}?(?:\slà|:)\s+"
    rf"({_VENUE}(?:\s[\wÀ-ỹ]+){{0,3}})",
    re.IGNORECASE,
)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _asks_or_invites(sentence: str) -> bool:
    """Whether the sentence asks the reader to do something, or invites them to an event, now or to come."""
    asks = bool(_ACTION_WORDS.search(sentence)) or bool(_EVENT.search(sentence))
    return asks and not (_PAST_REPORT.search(sentence) and not _IMPERATIVE.search(sentence))


def eboard_actionables(sentences: list[str]) -> dict[str, list[str]]:
    """The draft's actions (sentences asking something), places to go, deadlines and phone numbers.

    A place is where the reader is sent or asked to act (a building or gathering point after "đến, tới,
    về, tại", or named as the meeting point), not where something happened in a report of the past.
    """
    actions = [s for s in sentences if _ACTION_WORDS.search(s)]
    return {
        "actions": actions,
        "places": [
            m.group(1).lower()
            for s in sentences
            if _asks_or_invites(s) or _MEETING_POINT.search(s)
            for pattern in (_DESTINATION, _MEETING_POINT)
            for m in pattern.finditer(s)
        ],
        "deadlines": [
            m.group(1).lower() for s in sentences if _asks_or_invites(s) for m in _DEADLINE.finditer(s)
        ],
        "phones": [e.text for s in sentences for e in find_entities(s) if e.label == "PHONE"],
    }


def eboard_keeps(sentences: list[str], eboard: str) -> dict[str, bool | None]:
    """For each kind, whether the e-board keeps at least one the draft has (None when the draft has none)."""
    found = eboard_actionables(sentences)
    board = unicodedata.normalize("NFC", eboard).lower()
    lines = board.split("\n")[1:]

    def kept_action(sentence: str) -> bool:
        words = _WORD.findall(sentence.lower())
        triples = {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
        return any(_ACTION_WORDS.search(line) and any(t in line for t in triples) for line in lines)

    checks = {
        "actions": any(kept_action(s) for s in found["actions"]),
        "places": any(" ".join(p.split()[:2]) in board for p in found["places"]),
        "deadlines": any(d in board for d in found["deadlines"]),
        "phones": any(_digits(p) in _digits(board) for p in found["phones"]),
    }
    return {kind: (checks[kind] if found[kind] else None) for kind in checks}


def dates_without_event(eboard: str) -> list[str]:
    """E-board lines (headline aside) that hold a date or time but nothing that happens: no verb, no call."""
    from pyvi import ViPosTagger, ViTokenizer

    bare = []
    for line in eboard.split("\n")[1:]:
        if not any(e.label in ("DATE", "TIME") for e in find_entities(line)) or _ACTION_WORDS.search(line):
            continue
        tags = ViPosTagger.postagging(ViTokenizer.tokenize(line))[1]
        if not any(str(tag).startswith("V") for tag in tags):
            bare.append(line)
    return bare
