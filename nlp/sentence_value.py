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
# A sentence with a phone number: whom to call (1.0: no more than other sentences).
CONTACT_BONUS = 1.0
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
# Formulas that carry no news for the listener (greeting, closing, citation of the order received).
BOILERPLATE = re.compile(
    r"^((kính )?(thưa|gửi)\b.*!$|đài truyền thanh|trên đây là|xin trân trọng|"
    r"đề nghị bà con thường xuyên theo dõi|kính mời bà con)",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)


def option_value(text: str, places: Iterable[str] = ()) -> float:
    """What a listener gains from this text: its facts, its calls to action, a little for every word."""
    facts = Counter(
        label for label, _ in {(e.label, e.text.lower()) for e in find_entities(text, tuple(places))}
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
        scores.append(score * (BOILERPLATE_FACTOR if boilerplate else 1.0))
        # the lead is the first sentences with concrete facts, not a general opening statement
        content_index += not boilerplate and any(e.label != NUMBER for e in find_entities(sentence, places))
    return scores


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
