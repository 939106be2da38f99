"""What a sentence is worth to a listener: its facts, calls to action, position, centrality and title."""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from nlp.entities import AMOUNT, DATE, DOC_NUMBER, DURATION, NUMBER, PHONE, PLACE, TIME, find_entities

# What a listener must keep: weight of each kind of fact in a sentence.
FACT_WEIGHTS = {
    PHONE: 3.0, DATE: 2.4, TIME: 2.4, PLACE: 1.5, AMOUNT: 1.8, DURATION: 1.2, DOC_NUMBER: 0.45, NUMBER: 0.6
}  # fmt: skip
# Words that tell people what to do (or not do), the core of a grassroots bulletin, and their weight.
ACTION_CUES = {
    "tuyệt đối": 1.5,
    "nghiêm cấm": 1.5,
    "cấm": 1.5,
    "không được": 1.5,
    "không": 1.0,
    "phải": 1.5,
    "cần": 1.2,
    "hãy": 1.5,
    "nhớ": 1.2,
    "yêu cầu": 1.2,
    "đề nghị": 1.0,
    "khẩn trương": 1.5,
    "ngay": 1.2,
    "sơ tán": 1.5,
    "mang theo": 1.5,
    "báo ngay": 1.5,
    "gọi": 1.2,
    "nộp": 1.2,
    "đăng ký": 1.2,
    "gia hạn": 1.2,
    "trước ngày": 1.2,
    "chậm nhất": 1.2,
    "miễn phí": 1.2,
    "được miễn": 1.2,
    "hỗ trợ": 1.0,
    "đường dây nóng": 1.5,
    "lưu ý": 1.0,
    "nếu": 1.0,
    "khuyến cáo": 1.0,
    "điểm tập trung": 1.5,
    "điểm tiếp nhận": 1.5,
}
# Relative weights of calls to action, plain words and the lead (news comes first in a bulletin).
CUE_FACTOR = 1.5
WORD_VALUE = 0.05
LEAD_BONUS = 2.0
LEAD_DECAY = 0.5
# Weight of a sentence's centrality (TextRank, capped at twice the average) and of its overlap with the title.
CENTRALITY_WEIGHT = 0.5
TITLE_WEIGHT = 1.0
# A sentence with a phone number: whom to call. 1.15 keeps more numbers to call on the held-out and
# training bulletins with no loss on the development ones (bench/summary_weights.py); more costs facts.
CONTACT_BONUS = 1.15
BOILERPLATE_FACTOR = 0.1  # greetings, closings, citations of the order received
LIST_ANNOUNCEMENT_FACTOR = 0.3  # "... các việc sau:" means nothing without the list
# Numbered points ("Thứ nhất, ...", "Hai là, ...", "1. ...", "- ...") are what the authority asks of
# citizens, the core of a bulletin: half of them carry a key fact, against a fifth of other sentences.
ITEM_BONUS = 1.5
_LIST_ITEM = re.compile(
    r"^(?:thứ\s(?:nhất|hai|ba|tư|năm|sáu|bảy|tám|chín|mười)\b(?!,?\s*(?:ngày|\d))"
    r"|(?:một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười)\slà\b|\d{1,2}[.)]\s|[a-zđ]\)\s|[-–•+*]\s)",
    re.IGNORECASE,
)
# Figures of an earlier period told as background ("Năm 2025, toàn tỉnh có 27 trẻ em tử vong do đuối
# nước", "Năm ngoái, xã có 37 con trâu, bò bị chết rét"): they explain why, the listener acts on this year's.
PAST_PERIOD_FACTOR = 0.5
_PAST_PERIOD = re.compile(
    r"^(?:(?P<last>năm ngoái|năm trước)\b|(?:(?:trong|dịp|cả|suốt)\s[^,;:.!?]{0,30}?)?năm\s(?P<year>20\d\d)\s*,)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<![\d/.-])(20\d\d)(?![\d])|/(20\d\d)\b")
# Formulas that carry no news for the listener (greeting, heading such as "Thông báo khẩn của Ban Chỉ huy
# ... xã Tà Xùa!", closing, citation of the order received).
BOILERPLATE = re.compile(
    r"^((kính )?(thưa|gửi)\b.*!$|(thông báo|thông tin|tin)\b[^.?:;]*!$|đài truyền thanh|trên đây là|xin trân trọng|"
    r"đề nghị bà con thường xuyên theo dõi|kính mời bà con)",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)


# The legal basis cited for an action ("Thực hiện Quyết định số 3125/QĐ-UBND ngày 28/11/2025 của UBND tỉnh
# Nghệ An về ..."): its number, date and issuer are not what the listener must keep or act on.
CITATION = re.compile(
    r"\b(?:Luật|Bộ luật|Nghị định|Quyết định|Kế hoạch|Công văn|Thông tư|Nghị quyết|Chỉ thị|Thông báo|"
    r"Công điện|Hướng dẫn|Văn bản)\s+(?:số\s+[\w/.-]*\d|\d+[\w.-]*/[\w/.-]+)[^,;:!?]*?(?=[,;:!?]|\.(?:\s|$)|$)"
)


# The source a sentence cites before its news ("Theo Đài Khí tượng Thủy văn tỉnh Vĩnh Long, ..."), up to
# the first pause: who said it is not what the listener must keep.
SOURCE = re.compile(r"^(?:theo|căn cứ)\s(?!đó\b)[^,;:.!?]*,\s*", re.IGNORECASE)


def without_citations(text: str) -> str:
    """``text`` without the documents and the source it cites (number, date, issuer, up to the next pause)."""
    return CITATION.sub("", SOURCE.sub("", text))


def option_value(text: str, places: Iterable[str] = ()) -> float:
    """What a listener gains from this text: its facts, its calls to action, a little for every word.

    Facts inside a citation of a document (its number, date and issuer) count for nothing.
    """
    facts = Counter(
        label
        for label, _ in {
            (e.label, e.text.lower()) for e in find_entities(without_citations(text), tuple(places))
        }
    )
    fact_value = sum(FACT_WEIGHTS.get(label, 0.0) * n**0.75 for label, n in facts.items())
    cues = cue_weight(text)
    value = fact_value + CUE_FACTOR * min(cues, 5.0) + WORD_VALUE * len(_WORD.findall(text))
    if text.rstrip().endswith(":"):  # an announcement of a list means nothing without the list
        value *= LIST_ANNOUNCEMENT_FACTOR
    return value


def score_sentences(
    sentences: Sequence[str], *, title: str | None = None, places: Iterable[str] = ()
) -> list[float]:
    """Weight of each sentence from its position, centrality (TF-IDF TextRank) and overlap with the title."""
    places = tuple(places)
    latest = max((int(a or b) for text in sentences for a, b in _YEAR.findall(text)), default=None)
    centrality = textrank(sentences)
    title_words = set(_words(title or ""))
    scores = []
    content_index = 0
    for i, sentence in enumerate(sentences):
        boilerplate = bool(BOILERPLATE.match(sentence.strip()))
        overlap = len(title_words & set(_words(sentence))) / max(len(title_words), 1)
        position = LEAD_BONUS / (1.0 + content_index) ** LEAD_DECAY
        score = (
            1.0
            + position
            + CENTRALITY_WEIGHT * min(centrality[i] * len(sentences), 2.0)
            + TITLE_WEIGHT * overlap
        )
        if is_list_item(sentence):
            score *= ITEM_BONUS
        if any(e.label == PHONE for e in find_entities(sentence, places)):
            score *= CONTACT_BONUS
        if tells_past_period(sentence, latest):
            score *= PAST_PERIOD_FACTOR
        scores.append(score * (BOILERPLATE_FACTOR if boilerplate else 1.0))
        # the lead is the first sentences with concrete facts, not a general opening statement
        content_index += not boilerplate and any(e.label != NUMBER for e in find_entities(sentence, places))
    return scores


def tells_past_period(sentence: str, latest_year: int | None) -> bool:
    """Whether the sentence opens on an earlier period than the bulletin's latest year ("Năm ngoái, ...",
    "Trong năm 2025, ..." in a bulletin about 2026): background figures, not the news."""
    match = _PAST_PERIOD.match(sentence.strip())
    if not match:
        return False
    if match.group("last"):
        return True
    return latest_year is not None and int(match.group("year")) < latest_year


def is_list_item(sentence: str) -> bool:
    """Whether the sentence is a numbered point ("Thứ nhất, ...", "Hai là, ...", "1. ...", "- ..."), not a weekday."""
    return bool(_LIST_ITEM.match(sentence.strip()))


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(unicodedata.normalize("NFC", text))]


def textrank(sentences: Sequence[str], damping: float = 0.85, iterations: int = 50) -> list[float]:
    """TextRank centrality of each sentence over TF-IDF cosine similarity of syllables and syllable pairs."""
    import numpy as np

    docs = [_terms(s) for s in sentences]
    vocabulary = {t: k for k, t in enumerate(sorted({t for d in docs for t in d}))}
    if len(sentences) < 2 or not vocabulary:
        return [1.0 / max(len(sentences), 1)] * len(sentences)
    document_frequency = Counter(t for d in docs for t in set(d))
    matrix = np.zeros((len(docs), len(vocabulary)))
    for row, terms in enumerate(docs):
        for term, count in Counter(terms).items():
            idf = math.log((1 + len(docs)) / (1 + document_frequency[term])) + 1.0
            matrix[row, vocabulary[term]] = (1 + math.log(count)) * idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = matrix / np.where(norms == 0, 1, norms)
    similarity = matrix @ matrix.T
    np.fill_diagonal(similarity, 0.0)
    out_weight = similarity.sum(axis=1, keepdims=True)
    transition = similarity / np.where(out_weight == 0, 1, out_weight)
    rank = np.full(len(docs), 1.0 / len(docs))
    for _ in range(iterations):
        rank = (1 - damping) / len(docs) + damping * transition.T @ rank
    return [float(r) for r in rank / rank.sum()]


def _terms(sentence: str) -> list[str]:
    words = _words(sentence)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def cue_weight(text: str) -> float:
    lowered = text.lower()
    return sum(w for cue, w in ACTION_CUES.items() if re.search(rf"(?<!\w){re.escape(cue)}(?!\w)", lowered))


# Share of a sentence's value lost when all its facts are already told by the other sentences chosen.
REDUNDANCY_WEIGHT = 0.5


def redundancy_factor(text: str, others: Sequence[str], places: Iterable[str] = ()) -> float:
    """1 for a sentence whose facts (dates, places, amounts, numbers...) are new, less when others tell them."""
    places = tuple(places)
    facts = {e.text.lower() for e in find_entities(text, places) if e.label != NUMBER}
    if not facts or not others:
        return 1.0
    told = {e.text.lower() for other in others for e in find_entities(other, places)}
    repeated = len(facts & told) / len(facts)
    return 1.0 - REDUNDANCY_WEIGHT * repeated
