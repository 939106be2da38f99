"""Summaries for radio: sentences chosen to fit a spoken length, keeping what citizens must act on."""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from nlp.entities import AMOUNT, DATE, DOC_NUMBER, DURATION, NUMBER, PHONE, PLACE, TIME, find_entities

DEFAULT_VOICE = "espeak-vi-north"
DURATION_TOLERANCE = 0.10
# Fill up to this share of the target first: the slot allows +10%, and the estimate's own error on
# multi-sentence scripts is at most 4.7% (nlp/data/speaking_rates.json), so the audio stays within it.
FILL_CEILING = 1.05
RATES_FILE = Path(__file__).parent / "data" / "speaking_rates.json"

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


@dataclass(frozen=True)
class Summary:
    """A spoken script, its e-board text, and how it was made."""

    script: str
    eboard: str
    estimated_seconds: float
    sentences: tuple[str, ...]
    backend: str = "extractive"
    fallback_reason: str | None = None

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        data = asdict(self)
        data["sentences"] = list(self.sentences)
        return data


@dataclass(frozen=True)
class SpeakingRate:
    """Seconds of speech as a linear function of syllables, sentences and pauses (fitted per voice)."""

    seconds_per_syllable: float
    seconds_per_sentence: float = 0.0
    seconds_per_pause: float = 0.0
    seconds_fixed: float = 0.0

    def seconds(self, syllables: int, sentences: int = 1, pauses: int = 0) -> float:
        """Estimated duration of a spoken text with these counts."""
        return (
            syllables * self.seconds_per_syllable
            + sentences * self.seconds_per_sentence
            + pauses * self.seconds_per_pause
            + self.seconds_fixed
        )


@lru_cache(maxsize=1)
def _rates_table() -> dict:
    return json.loads(RATES_FILE.read_text(encoding="utf-8"))["voices"]


def speaking_rate(voice: str = DEFAULT_VOICE, words_per_second: float | None = None) -> SpeakingRate:
    """The calibrated rate of ``voice``; ``words_per_second`` (spoken syllables a second) overrides it."""
    if words_per_second is not None:
        if words_per_second <= 0:
            raise ValueError(f"words_per_second must be positive, got {words_per_second}")
        return SpeakingRate(seconds_per_syllable=1.0 / words_per_second)
    table = _rates_table()
    if voice not in table:
        raise ValueError(
            f"no speaking rate for voice {voice!r}; calibrated voices: {', '.join(sorted(table))}"
        )
    row = table[voice]
    return SpeakingRate(
        row["seconds_per_syllable"],
        row["seconds_per_sentence"],
        row["seconds_per_pause"],
        row["seconds_fixed"],
    )


def spoken_counts(sentence: str) -> tuple[int, int]:
    """Syllables and pause marks of a sentence's spoken form (numbers, dates and abbreviations read out)."""
    from nlp.normalize import normalize_for_speech

    spoken = normalize_for_speech(sentence)
    return len(_WORD.findall(spoken)), len(re.findall(r"[,;:]", spoken))


def estimate_seconds(sentences: Sequence[str], rate: SpeakingRate) -> float:
    """Estimated spoken duration of these sentences read one after another."""
    if not sentences:
        return 0.0
    counts = [spoken_counts(s) for s in sentences]
    return rate.seconds(sum(c[0] for c in counts), len(sentences), sum(c[1] for c in counts))


def summarize(
    text: str,
    *,
    target_seconds: float,
    title: str | None = None,
    voice: str = DEFAULT_VOICE,
    words_per_second: float | None = None,
    eboard_chars: int = 180,
    model_dir: Path | None = None,
    places: Iterable[str] = (),
) -> Summary:
    """A script that fits ``target_seconds`` (±10%) at the voice's rate, and an e-board text.

    Durations are estimated on the spoken form (normalize_for_speech) from the voice's calibrated rate
    (nlp/data/speaking_rates.json); ``words_per_second`` (spoken syllables a second) overrides it. A text
    that already fits is returned whole. ``model_dir`` asks for the abstractive backend, which falls back
    to the extractive one (with ``fallback_reason``) when it is unavailable or its output is rejected.
    ``places`` adds local place names (villages) to the facts a summary tries to keep.
    """
    from nlp.clean import clean_text
    from nlp.errors import EmptyText
    from nlp.sentences import split_sentences

    if target_seconds <= 0:
        raise ValueError(f"target_seconds must be positive, got {target_seconds}")
    places = tuple(places)
    cleaned = clean_text(text)
    sentences = split_sentences(cleaned, places)
    if not sentences:
        raise EmptyText(
            "The text has no sentences to summarize; write the bulletin body first.",
            "Văn bản không có câu nào để tóm tắt; hãy nhập nội dung bản tin.",
        )
    rate = speaking_rate(voice, words_per_second)
    if model_dir is not None:
        from nlp.abstractive import summarize_abstractive

        return summarize_abstractive(
            cleaned,
            sentences=sentences,
            model_dir=Path(model_dir),
            target_seconds=target_seconds,
            title=title,
            rate=rate,
            eboard_chars=eboard_chars,
            places=places,
        )
    return summarize_extractive(
        sentences,
        target_seconds=target_seconds,
        title=title,
        rate=rate,
        eboard_chars=eboard_chars,
        places=places,
    )


def summarize_extractive(
    sentences: Sequence[str],
    *,
    target_seconds: float,
    title: str | None,
    rate: SpeakingRate,
    eboard_chars: int = 180,
    places: Iterable[str] = (),
    fallback_reason: str | None = None,
) -> Summary:
    """Pick sentences (or the first clauses of long list sentences) to fill the target, in original order."""
    places = tuple(places)
    options = sentence_options(sentences)
    costs = [[_sentence_cost(text, rate) for text in group] for group in options]
    whole = sum(group[0] for group in costs) + rate.seconds_fixed
    scores = score_sentences(sentences, title=title, places=places)
    if whole <= target_seconds * (1 + DURATION_TOLERANCE):
        picked_options = [(i, 0) for i in range(len(sentences))]
    else:
        values = [
            [scores[i] * option_value(text, places) for text in group] for i, group in enumerate(options)
        ]
        picked_options = _fit_blocks(
            list_blocks(sentences), costs, values, target_seconds - rate.seconds_fixed
        )
    picked = [options[i][k] for i, k in picked_options]
    return Summary(
        script=" ".join(picked),
        eboard=eboard_text(title, picked, eboard_chars),
        estimated_seconds=round(sum(costs[i][k] for i, k in picked_options) + rate.seconds_fixed, 2),
        sentences=tuple(picked),
        backend="extractive",
        fallback_reason=fallback_reason,
    )


def sentence_options(sentences: Sequence[str]) -> list[list[str]]:
    """Each sentence whole, then shorter readings: without framing lead clause, examples, purpose, later clauses."""
    options = []
    for sentence in sentences:
        bases = [sentence, drop_acronym_glosses(sentence)]
        bases.append(drop_lead_clause(bases[-1]))
        bases += [drop_side_clauses(base) for base in bases]
        bases += [drop_side_clauses(base, _TAIL_CLAUSES) for base in bases]
        group = []
        for base in dict.fromkeys(bases):
            group.append(base)
            clauses = re.split(r"(?<=;)\s+", base)
            if len(clauses) > 1 and base.count("(") == base.count(")"):
                group += [" ".join(clauses[:k]).rstrip(" ;") + "." for k in range(len(clauses) - 1, 0, -1)]
        options.append(list(dict.fromkeys(group)))
    return options


# Side clauses a spoken summary can lose: examples ("như lu, khạp..."), purpose or reason at a clause's
# end, and detail ("..., nhất là trẻ em"). Each may run to the end of its clause.
_EXAMPLES = re.compile(
    r"(?<!cũng)(?<!coi)(?<!xem)(?<!giống)(?<!gần)\s(?:chẳng hạn như|ví dụ như|như)\s(?!sau\b)[^;:.!?]*?(?=[;.!?]$|;)"
)
_PURPOSE = re.compile(
    r",?(?<!không)(?<!đừng)(?<!chỉ)\s(?:để|nhằm|vì(?!\s(?:vậy|thế)\b))\s(?!đó\b)[^;:.!?]*?(?=[;.!?]$|;)"
)
_DETAIL = re.compile(r",\s(?:nhất là|kể cả|chủ yếu)\s[^;:.!?]*?(?=[;.!?]$|;)")
_SIDE_CLAUSES = (_EXAMPLES, _PURPOSE, _DETAIL)
# Trailing clauses that add detail to what was just said ("..., trong đó...", "..., có nơi trên 450 mm").
_TAIL_CLAUSES = (
    re.compile(
        r",\s(?:trong đó|đồng thời|sau đó|có nơi(?!\s(?:thường trú|cư trú|tạm trú|ở)\b)|dẫn đến|gây|với)\s"
        r"[^;:.!?]*?(?=[;.!?]$|;)"
    ),
)
# Nouns whose purpose clause is their content: "là cơ hội để nâng cao thu nhập" cannot lose it.
_PURPOSE_HEADS = re.compile(
    r"(?:cơ hội|điều kiện|giá trị|thời gian|cách|biện pháp|kinh phí|nhu cầu)$", re.IGNORECASE
)
# Words that start the predicate of a clause: after a comma inside a side clause they mean the side
# clause was only a parenthesis ("mọi người, nhất là trẻ em, phải mặc áo phao").
_PREDICATE_START = re.compile(
    r"^(?:phải|cần|hãy|nên|không|chưa|đừng|vẫn|sẽ|đã|đang|được|bị|có thể|tích cực|chủ động)\b", re.IGNORECASE
)


# Words a sentence cannot end on: a cut after one of them left a clause unfinished ("...rác hoặc.").
_DANGLING = frozenset(
    [
        "hoặc",
        "và",
        "hay",
        "nhưng",
        "mà",
        "thì",
        "tránh",
        "của",
        "cho",
        "với",
        "là",
        "các",
        "những",
        "không",
        "chưa",
        "để",
        "từ",
        "đến",
        "tại",
        "ở",
        "bằng",
        "theo",
        "như",
        "nếu",
        "khi",
        "được",
        "bị",
        "sẽ",
        "đã",
        "đang",
        "cần",
        "phải",
    ]
)


def drop_side_clauses(sentence: str, patterns: Sequence[re.Pattern[str]] = _SIDE_CLAUSES) -> str:
    """The sentence without examples and trailing purpose/reason clauses, when enough of it remains.

    A removal is not made when it would take a predicate or a main clause with it ("mọi người, nhất là
    trẻ em, phải mặc áo phao"), when "để" is the sentence's verb ("Bà con để rác đúng nơi quy định")
    or when it would leave a clause unfinished ("...không phân loại rác hoặc.").
    """
    shorter = sentence
    for pattern in patterns:
        for match in reversed(list(pattern.finditer(shorter))):
            if not _side_clause_removable(shorter, match):
                continue
            candidate = shorter[: match.start()] + shorter[match.end() :]
            if not _ends_unfinished(candidate):
                shorter = candidate
    return shorter if len(_WORD.findall(shorter)) >= 5 else sentence


def _side_clause_removable(sentence: str, match: re.Match[str]) -> bool:
    """Whether the matched side clause holds nothing the sentence needs: no clause after its commas.

    A segment after a comma that has its own subject and verb ("như bản Pá Lồng, bản Co Hịn có nơi
    dưới 3°C") or starts a predicate ("..., phải mặc áo phao") belongs to the sentence, not to the side
    clause. A "để" with only a subject before it in its clause is the main verb "to put, to set".
    """
    span = match.group(0).lstrip(", ")
    for segment in re.split(r",\s*", span)[1:]:
        if not segment:
            continue
        if _PREDICATE_START.match(segment) or _starts_clause(segment):
            return False
    if re.match(r"(?:để|nhằm|vì)\b", span, re.IGNORECASE):
        before = re.split(r"[,;:]", sentence[: match.start()])[-1].strip()
        if re.search(r"\b(?:sẽ|cũng)\b", span) or _PURPOSE_HEADS.search(before):
            return False  # the main predicate comes after the purpose ("... để trốn tránh ... sẽ bị xử lý")
        if span.lower().startswith("để") and _only_nominal(before):
            return False  # "Bà con để rác...": nothing but a subject before it, so "để" is the verb
    return True


def _only_nominal(text: str) -> bool:
    """Whether ``text`` is empty or only nouns, pronouns and quantifiers (pyvi tags): a bare subject."""
    return all(tag.startswith(_SUBJECT_TAGS) for tag in _pos_tags(text))


def _ends_unfinished(sentence: str) -> bool:
    """Whether the sentence, or one of its clauses before a semicolon, ends on a dangling word."""
    for clause in sentence.split(";"):
        words = _WORD.findall(clause.lower())
        if words and words[-1] in _DANGLING:
            return True
    return False


# Lead clauses that frame a sentence (purpose, source, legal basis, connective) rather than say the news.
_LEAD_CLAUSE = re.compile(
    r"^(?:để|nhằm|theo(?! dõi)|thực hiện|căn cứ|cụ thể|vì vậy|do đó|hiện nay|ngoài ra|bên cạnh đó|đồng thời|"
    r"trong khi đó|dịp này|năm nay|thời gian qua|thời gian gần đây|mọi thắc mắc|mọi thông tin|mọi chi tiết)\b",
    re.IGNORECASE,
)
# Words a main clause (or a framing adverbial the listener needs) can start with after a lead clause.
_CLAUSE_OPENERS = re.compile(
    r"^(?:bà con|người dân|nhân dân|các|mỗi|mọi|toàn|chúng ta|từ|kể từ|trong|vào|hồi|khi|do|nếu|sau|trước|"
    r"trên|tại|hiện|năm|ngày|tháng|theo|xã|thôn|bản|ấp|tỉnh|huyện)\b",
    re.IGNORECASE,
)
_SUBJECT_TAGS = ("N", "P", "L", "M")  # pyvi tags a subject can start with: nouns, pronouns, quantifiers


def drop_lead_clause(sentence: str) -> str:
    """The sentence without a framing lead clause ("Để chủ động phòng dịch, ...", "Theo quy định, ...").

    The lead ends at the first comma after which a main clause starts, not at a comma inside it: "Để
    chủ động phòng, chống dịch, UBND xã tổ chức..." loses "Để chủ động phòng, chống dịch," whole. When
    no comma is followed by a clause, the sentence is kept as it is.
    """
    if not _LEAD_CLAUSE.match(sentence):
        return sentence
    for comma in re.finditer(r",\s+", sentence):
        rest = sentence[comma.end() :]
        if len(_WORD.findall(rest)) < 5:
            break
        if _starts_clause(rest):
            return rest[0].upper() + rest[1:]
    return sentence


@lru_cache(maxsize=4096)  # sentence options ask again for the same text (with and without glosses)
def _pos_tags(text: str) -> tuple[str, ...]:
    """pyvi's part-of-speech tags of the words of ``text`` (none for text without words)."""
    from pyvi import ViPosTagger, ViTokenizer

    if not _WORD.search(text):
        return ()
    return tuple(str(tag) for tag in ViPosTagger.postagging(ViTokenizer.tokenize(text))[1])


def _starts_clause(text: str) -> bool:
    """Whether ``text`` (what follows a comma) starts a clause rather than the next item of a list."""
    if _CLAUSE_OPENERS.match(text):
        return True
    segment = re.split(r"[,;:]", text, maxsplit=1)[0]
    tags = _pos_tags(segment)
    has_verb = any(tag.startswith("V") for tag in tags[1:])
    if text[0].isupper():  # a name or acronym: a subject, unless it is one more item of a list of names
        return has_verb or len(segment.split()) > 3 or segment == text
    return bool(tags) and tags[0].startswith(_SUBJECT_TAGS) and has_verb


def drop_acronym_glosses(sentence: str) -> str:
    """The sentence without parenthesised acronyms that only repeat a name: "Ban Chỉ huy ... (PCTT-TKCN)"."""
    return re.sub(r"\s\((?:[A-ZĐ]{2,}[-–]?)+\)", "", sentence)


# First words of list items ("Thứ Tư, ngày...", "Đợt 1, ...", "Lớp sửa chữa...", "- ...").
_LIST_MARKERS = {
    "thứ",
    "nhóm",
    "đợt",
    "lớp",
    "buổi",
    "bước",
    "điểm",
    "phần",
    "mục",
    "ngày",
    "-",
    "–",
    "•",
    "+",
    "*",
}


def list_blocks(sentences: Sequence[str]) -> list[list[int]]:
    """Sentence indices grouped so that consecutive items of one list stay together (all or none)."""
    blocks: list[list[int]] = []
    previous = None
    for i, sentence in enumerate(sentences):
        words = sentence.split()
        marker = words[0].lower().rstrip(",:.") if words else ""
        is_item = marker in _LIST_MARKERS or bool(re.match(r"^(\d+|[a-zđ])[.)]\s", sentence))
        key = marker if is_item else None
        if key is not None and key == previous and blocks:
            blocks[-1].append(i)
        else:
            blocks.append([i])
        previous = key
    return blocks


def _fit_blocks(
    blocks: Sequence[Sequence[int]],
    costs: Sequence[Sequence[float]],
    values: Sequence[Sequence[float]],
    target: float,
) -> list[tuple[int, int]]:
    """Fit whole blocks: a list is read whole or not at all, its items all full or all shortest."""
    block_options: list[list[list[tuple[int, int]]]] = []
    for block in blocks:
        if len(block) == 1:
            block_options.append([[(block[0], k)] for k in range(len(costs[block[0]]))])
            continue
        full = [(i, 0) for i in block]
        shortest = [(i, min(range(len(costs[i])), key=lambda k, i=i: costs[i][k])) for i in block]
        block_options.append([full, shortest] if shortest != full else [full])
    block_costs = [[sum(costs[i][k] for i, k in option) for option in group] for group in block_options]
    block_values = [[sum(values[i][k] for i, k in option) for option in group] for group in block_options]
    chosen = _fit(block_costs, block_values, target)
    return sorted(pair for b, k in chosen for pair in block_options[b][k])


def _sentence_cost(sentence: str, rate: SpeakingRate) -> float:
    syllables, pauses = spoken_counts(sentence)
    return rate.seconds(syllables, 1, pauses) - rate.seconds_fixed


def _fit(
    costs: Sequence[Sequence[float]], values: Sequence[Sequence[float]], target: float
) -> list[tuple[int, int]]:
    """(sentence, option) pairs of the most valuable choice whose cost is within ±10% of ``target``."""
    step = max(target / 500.0, 0.05)  # resolution of the knapsack in seconds
    weights = [[math.ceil(c / step) for c in group] for group in costs]
    chosen: list[tuple[int, int]] = []
    for ceiling in (target * FILL_CEILING, target * (1 + DURATION_TOLERANCE) * 0.99):
        chosen = _knapsack(weights, values, int(ceiling / step))
        if sum(costs[i][k] for i, k in chosen) >= target * (1 - DURATION_TOLERANCE):
            break
    return chosen


def _knapsack(
    weights: Sequence[Sequence[int]], values: Sequence[Sequence[float]], capacity: int
) -> list[tuple[int, int]]:
    """Multiple-choice 0/1 knapsack: at most one option per sentence; chosen (sentence, option) in order."""
    best = [0.0] * (capacity + 1)
    keep: list[list[int]] = []
    for group_weights, group_values in zip(weights, values, strict=True):
        row = [-1] * (capacity + 1)
        new = best[:]
        for k, (w, v) in enumerate(zip(group_weights, group_values, strict=True)):
            for c in range(w, capacity + 1):
                if best[c - w] + v > new[c]:
                    new[c] = best[c - w] + v
                    row[c] = k
        best = new
        keep.append(row)
    chosen, c = [], capacity
    for i in range(len(weights) - 1, -1, -1):
        k = keep[i][c]
        if k >= 0:
            chosen.append((i, k))
            c -= weights[i][k]
    return sorted(chosen)


def option_value(text: str, places: Iterable[str] = ()) -> float:
    """What a listener gains from this text: its facts, its calls to action, a little for every word."""
    facts = Counter(
        label for label, _ in {(e.label, e.text.lower()) for e in find_entities(text, tuple(places))}
    )
    fact_value = sum(FACT_WEIGHTS.get(label, 0.0) * n**0.75 for label, n in facts.items())
    cues = _cue_weight(text)
    value = fact_value + CUE_FACTOR * min(cues, 5.0) + WORD_VALUE * len(_WORD.findall(text))
    if text.rstrip().endswith(":"):  # an announcement of a list means nothing without the list
        value *= 0.3
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
        score = 1.0 + position + 0.5 * min(centrality[i] * len(sentences), 2.0) + overlap
        if is_list_item(sentence):
            score *= ITEM_BONUS
        scores.append(score * (0.1 if boilerplate else 1.0))
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


def eboard_text(title: str | None, sentences: Sequence[str], max_chars: int = 180) -> str:
    """A headline (the title, shortened) and at most three short lines of facts and actions, within ``max_chars``."""
    headline = shorten(title or (sentences[0] if sentences else ""), max(20, min(80, max_chars * 2 // 5)))
    said = {e.text.lower() for e in find_entities(headline)}
    candidates = []
    for order, clause in enumerate(c for sentence in sentences for c in clauses(sentence)):
        facts = {e.text.lower(): FACT_WEIGHTS.get(e.label, 0.0) for e in find_entities(clause)}
        weight = sum(w for text, w in facts.items() if text not in said) + _cue_weight(clause)
        if weight > 0 and len(clause) >= 12:
            candidates.append((weight / (1 + len(clause) / 40), order, clause[0].upper() + clause[1:]))
    lines: list[tuple[int, str]] = []
    budget = max_chars - len(headline)
    for _, order, line in sorted(candidates, key=lambda c: -c[0]):
        if len(lines) < 3 and len(line) + 1 <= min(budget, 72) and all(line != text for _, text in lines):
            lines.append((order, line))
            budget -= len(line) + 1
    if not lines and candidates and budget > 16:  # nothing fits whole: show the best line shortened
        _, order, line = max(candidates)
        lines.append((order, shorten(line, budget - 1)))
    return "\n".join([headline, *(text for _, text in sorted(lines))])[:max_chars]


def clauses(sentence: str) -> list[str]:
    """Clauses of a sentence, split at ";", ":" and at commas that do not sit inside numbers."""
    parts = re.split(r"(?<!\d)[;:](?!\d)|,\s", sentence)
    return [p.strip(" ,;:.!?") for p in parts if p.strip(" ,;:.!?")]


def _cue_weight(text: str) -> float:
    lowered = text.lower()
    return sum(w for cue, w in ACTION_CUES.items() if re.search(rf"(?<!\w){re.escape(cue)}(?!\w)", lowered))


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(text.split()).rstrip(".")
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 1)].rsplit(" ", 1)[0].rstrip(",;: ")
    return cut + "…"


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
