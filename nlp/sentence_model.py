"""A learned chance that a sentence carries a key fact, from features of the sentence in its bulletin.

The weights (``nlp/data/sentence_model.json``) are a logistic regression trained by
``bench/summary_model.py`` on annotated bulletins (the training and sample sets, never the held-out
or test ones). The summarizer multiplies each reading's value by the chance of its sentence raised
to the model's ``exponent``, so the rule-based value (facts, calls to action, position) still orders
sentences the model cannot tell apart.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from nlp.duration import SpeakingRate, sentence_seconds
from nlp.entities import LABELS, PHONE, find_entities
from nlp.sentence_value import (
    BOILERPLATE,
    cue_weight,
    is_list_item,
    option_value,
    textrank,
    without_citations,
)

MODEL_FILE = Path(__file__).parent / "data" / "sentence_model.json"

# Words that say what a sentence does for the listener, each a yes/no feature.
_CUES = {
    "bring": r"\bmang theo\b",
    "negation_first": r"^(?:tuyệt đối\s|nghiêm cấm\s)?(?:không|cấm)\b",
    "past": r"\bđã\b",
    "addressee": r"\b(?:bà con|người dân|các hộ|hộ gia đình|phụ huynh|mỗi người|mỗi hộ|học sinh|công dân)\b",
    "imperative": r"\b(?:phải|cần|hãy|yêu cầu|đề nghị|khẩn trương|nghiêm cấm|tuyệt đối)\b",
    "source_first": r"^(?:theo|thực hiện|căn cứ|qua)\b",
    "statistics": r"\b(?:toàn xã|toàn tỉnh|toàn huyện|toàn quốc|trong đó|ghi nhận|thống kê|rà soát|chiếm)\b",
    "until_now": r"\b(?:đến nay|gần đây|vừa qua|thời gian qua|từ đầu năm)\b",
    "explains": r"\b(?:là bệnh|lây|triệu chứng|do vi rút|nguyên nhân|bởi vì|vì vậy)\b",
    "where": r"\b(?:tại|đến|về|ở)\s",
    "when": r"\b(?:trước|từ|đến hết|chậm nhất|hạn|lúc|vào)\s",
    "eligible": r"\b(?:đối tượng|dành cho|áp dụng|được hỗ trợ|được miễn|miễn phí)\b",
}
_CUE_PATTERNS = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in _CUES.items()}
# A sentence that announces what the authority asks ("Ban Chỉ huy yêu cầu:", "khuyến cáo bà con:").
_ASKS_WHAT_FOLLOWS = re.compile(
    r"\b(?:yêu cầu|khuyến cáo|đề nghị|hướng dẫn|lưu ý|kêu gọi|như sau|sau đây|các việc sau)\b[^:]{0,60}:\s*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)

FEATURES = (
    "rule_score_log",
    "value_log",
    "seconds_log",
    "position",
    "first",
    "last",
    "contact_line",
    "after_asks",
    "list_item",
    "centrality",
    "title_overlap",
    "boilerplate",
    "announces_list",
    "cues",
    *(f"facts_{label.lower()}" for label in LABELS),
    *(f"cue_{name}" for name in _CUES),
)


def sentence_features(
    sentences: Sequence[str],
    rule_scores: Sequence[float],
    rate: SpeakingRate,
    *,
    title: str | None = None,
    places: Iterable[str] = (),
) -> list[list[float]]:
    """One row of FEATURES per sentence; ``rule_scores`` are score_sentences() of the same sentences."""
    places = tuple(places)
    count = len(sentences)
    centrality = textrank(sentences)
    title_words = set(_words(title or ""))
    entities = [find_entities(without_citations(s), places) for s in sentences]
    contact = max(
        (i for i, found in enumerate(entities) if any(e.label == PHONE for e in found)), default=None
    )
    asks = next((i for i, s in enumerate(sentences) if _ASKS_WHAT_FOLLOWS.search(s)), None)
    rows = []
    for i, sentence in enumerate(sentences):
        lowered = sentence.lower()
        labels = {(e.label, e.text.lower()) for e in entities[i]}
        per_label = {label: sum(1 for found, _ in labels if found == label) for label in LABELS}
        row = [
            math.log(max(rule_scores[i], 1e-6)),
            math.log1p(option_value(sentence, places)),
            math.log(max(sentence_seconds(sentence, rate), 0.1)),
            i / max(count - 1, 1),
            float(i == 0),
            float(i == count - 1),
            float(i == contact),
            float(asks is not None and i > asks),
            float(is_list_item(sentence)),
            min(centrality[i] * count, 2.0),
            len(title_words & set(_words(sentence))) / max(len(title_words), 1),
            float(bool(BOILERPLATE.match(sentence.strip()))),
            float(sentence.rstrip().endswith(":")),
            min(cue_weight(sentence), 5.0) / 5.0,
            *(math.log1p(per_label[label]) for label in LABELS),
            *(float(bool(pattern.search(lowered))) for pattern in _CUE_PATTERNS.values()),
        ]
        rows.append(row)
    return rows


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


@cache
def load_model(path: Path = MODEL_FILE) -> dict | None:
    """The trained model (features, mean, scale, weights, exponent), or None when there is none."""
    if not path.exists():
        return None
    model = json.loads(path.read_text(encoding="utf-8"))
    if tuple(model["features"]) != FEATURES:
        raise ValueError(
            f"{path} was trained on other features than nlp/sentence_model.py computes; "
            "train it again with: python bench/summary_model.py --write"
        )
    return model


def chances(rows: Sequence[Sequence[float]], model: dict) -> list[float]:
    """The model's chance that each sentence carries a key fact."""
    out = []
    for row in rows:
        z = model["bias"] + sum(
            w * (x - m) / s
            for w, x, m, s in zip(model["weights"], row, model["mean"], model["scale"], strict=True)
        )
        out.append(1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0))))
    return out
