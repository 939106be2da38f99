"""Shorter readings of a sentence for a spoken summary: without framing lead clause, examples, purpose, detail."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from nlp.entities import AMOUNT, DURATION, find_entities

_WORD = re.compile(r"\w+", re.UNICODE)


def sentence_options(sentences: Sequence[str]) -> list[list[str]]:
    """Each sentence whole, then shorter readings: without framing lead clause, examples, purpose, later clauses."""
    options = []
    for sentence in sentences:
        bases = [sentence, drop_appositives(drop_acronym_glosses(sentence))]
        bases.append(drop_alternative_contact(drop_parenthetical_details(bases[-1])))
        bases.append(drop_lead_clause(drop_announcement(bases[-1])))
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


# A sentence that announces what follows its colon ("Lịch tiêm cụ thể như sau: ngày 18/7 ..."): the
# announcement is said again by what follows and can go.
_ANNOUNCEMENT = re.compile(r"^[^:;.!?]{0,80}?\b(?:như sau|sau đây|cụ thể là|cụ thể)\s*:\s+")


def drop_announcement(sentence: str) -> str:
    """The sentence without a lead that only announces what follows its colon, when five words or more remain.

    "Lịch tiêm cụ thể như sau: ngày 18/7/2026 tiêm cho bản Piêng Cu; ..." -> "Ngày 18/7/2026 tiêm cho ...".
    """
    match = _ANNOUNCEMENT.match(sentence)
    if not match:
        return sentence
    rest = sentence[match.end() :]
    if len(_WORD.findall(rest)) < 5:
        return sentence
    return rest[0].upper() + rest[1:]


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
# Verbs whose object only means something with its purpose: "dành 10 phút mỗi tuần để diệt lăng quăng",
# "bố trí 2 xe để đưa người già", "dùng kinh phí dự phòng để hỗ trợ". The purpose is their complement.
_PURPOSE_VERBS = re.compile(
    r"\b(?:dành|dành ra|dùng|sử dụng|bố trí|huy động|trích|cử|điều động|tận dụng|chi trả|chi tiền|bỏ ra|"
    r"đầu tư|ủng hộ|quyên góp|đóng góp|hiến|vay vốn|phân bổ|phân công|để dành)\b",
    re.IGNORECASE,
)
# A sum of money or a stretch of time just before the purpose is spent on it: "ủng hộ 50.000 đồng để
# xây cầu", "nghỉ 2 ngày để thu hoạch". Without the purpose the listener hears a quantity for nothing.
_SPENT_QUANTITIES = (AMOUNT, DURATION)
# Words that start the predicate of a clause: after a comma inside a side clause they mean the side
# clause was only a parenthesis ("mọi người, nhất là trẻ em, phải mặc áo phao").
_PREDICATE_START = re.compile(
    r"^(?:phải|cần|hãy|nên|không|chưa|đừng|vẫn|sẽ|đã|đang|được|bị|có thể|tích cực|chủ động|tuyệt đối|nghiêm cấm)\b",
    re.IGNORECASE,
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
    clause. A "để" with only a subject before it in its clause is the main verb "to put, to set"; a
    "như" right after a verb is how it is done ("giữ như cũ", "làm như hướng dẫn"), not examples.
    """
    span = match.group(0).lstrip(", ")
    for segment in re.split(r",\s*", span)[1:]:
        if not segment:
            continue
        if _PREDICATE_START.match(segment) or _starts_clause(segment):
            return False
    if re.match(r"(?:chẳng hạn như|ví dụ như|như)\b", span, re.IGNORECASE):
        words = tagged_words(sentence[: match.start()])
        if words and words[-1][1].startswith("V"):
            return False  # "như" right after a verb says how, the verb's complement ("giữ như cũ")
    if re.match(r"(?:để|nhằm|vì)\b", span, re.IGNORECASE):
        before = re.split(r"[,;:]", sentence[: match.start()])[-1].strip()
        if re.search(r"\b(?:sẽ|cũng)\b", span) or _PURPOSE_HEADS.search(before):
            return False  # the main predicate comes after the purpose ("... để trốn tránh ... sẽ bị xử lý")
        if _PURPOSE_VERBS.search(" ".join(before.split()[-8:])):
            return False  # the verb needs what its object is for ("dành 10 phút mỗi tuần để ...")
        if _spends_quantity(" ".join(before.split()[-6:])):
            return False  # a sum or a time spent on the purpose ("góp 2 ngày công để làm đường")
        if span.lower().startswith("để") and _only_nominal(before):
            return False  # "Bà con để rác...": nothing but a subject before it, so "để" is the verb
    return True


def _spends_quantity(text: str) -> bool:
    """Whether ``text`` (the words before a purpose) names a sum of money or a stretch of time."""
    return any(e.label in _SPENT_QUANTITIES for e in find_entities(text))


def _only_nominal(text: str) -> bool:
    """Whether ``text`` is empty or only nouns, pronouns and quantifiers (pyvi tags): a bare subject."""
    return all(tag.startswith(_SUBJECT_TAGS) for tag in pos_tags(text))


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
    r"trong khi đó|dịp này|năm nay|thời gian qua|thời gian gần đây|mọi thắc mắc|mọi thông tin|mọi chi tiết|"
    r"về|do|qua|tuy nhiên|trên cơ sở|trước tình hình|trước diễn biến|hưởng ứng|triển khai)\b",
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
    no comma is followed by a clause, the sentence is kept as it is. Leads one after another go together
    ("Theo Đài KTTV, do ảnh hưởng của không khí lạnh, từ ngày 14/01 ..." -> "Từ ngày 14/01 ...").
    """
    for _ in range(3):  # leads come one after another: "Theo Đài KTTV, do không khí lạnh, từ ngày ..."
        shorter = _drop_one_lead(sentence)
        if shorter == sentence:
            break
        sentence = shorter
    return sentence


def _drop_one_lead(sentence: str) -> str:
    """The sentence without its first framing lead clause, or as it is."""
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
def tagged_words(text: str) -> tuple[tuple[str, str], ...]:
    """pyvi's words of ``text`` (syllables of a word joined by spaces) with their part-of-speech tags."""
    from pyvi import ViPosTagger, ViTokenizer

    if not _WORD.search(text):
        return ()
    words, tags = ViPosTagger.postagging(ViTokenizer.tokenize(text))
    return tuple((word.replace("_", " "), str(tag)) for word, tag in zip(words, tags, strict=True))


def pos_tags(text: str) -> tuple[str, ...]:
    """pyvi's part-of-speech tags of the words of ``text`` (none for text without words)."""
    return tuple(tag for _, tag in tagged_words(text))


def _starts_clause(text: str) -> bool:
    """Whether ``text`` (what follows a comma) starts a clause rather than the next item of a list."""
    if _CLAUSE_OPENERS.match(text):
        return True
    segment = re.split(r"[,;:]", text, maxsplit=1)[0]
    tags = pos_tags(segment)
    has_verb = any(tag.startswith("V") for tag in tags[1:])
    if text[0].isupper():  # a name or acronym: a subject, unless it is one more item of a list of names
        return has_verb or len(segment.split()) > 3 or segment == text
    return bool(tags) and tags[0].startswith(_SUBJECT_TAGS) and has_verb


_NAME = r"(?:ông|bà|anh|chị|đồng chí)\s(?:[A-ZÀ-ỸĐ][\wÀ-ỹ]*\s?){1,4}"
_TITLE = (
    r"(?:Chủ tịch|Phó Chủ tịch|Trưởng|Phó|Bí thư|Cán bộ|Công chức|Chỉ huy trưởng|Giám đốc|Hiệu trưởng|"
    r"Trạm trưởng|Chi hội trưởng|Tổ trưởng|Trưởng thôn|Trưởng bản|Trưởng ấp|Y sĩ|Bác sĩ)"
)
# Who a person is, said twice: a name after the role ("công chức địa chính xã, ông Lê Văn Hùng, số..."),
# a name before the role ("bà Đinh Thị Hoa, Chủ tịch Hội Khuyến học xã"), age and current post.
_APPOSITIVES = (
    re.compile(rf"(?<=\w),\s{_NAME.rstrip('?')}?,(?=\s(?:số|điện thoại|ĐT|qua|tại|hoặc))"),
    re.compile(rf"\b{_NAME}?,\s(?={_TITLE}\b)"),
    re.compile(r",\s\d{2}\stuổi(?:,\s(?:hiện là|hiện đang là|nguyên là)[^,;.]*)?(?=[,;.]|\svà\b)"),
)


def drop_appositives(sentence: str) -> str:
    """The sentence without the name, age and post said beside a role or a name already given.

    "liên hệ công chức địa chính xã, ông Lê Văn Hùng, số điện thoại ..." -> "liên hệ công chức địa chính
    xã, số điện thoại ..."; "ông Ma Văn Thuận, 46 tuổi, hiện là Chi hội trưởng..., và bà ..." -> "ông Ma
    Văn Thuận và bà ...". Names that are the news themselves ("ứng cử là ông ...") stay.
    """
    shorter = _APPOSITIVES[0].sub(",", sentence)
    for pattern in _APPOSITIVES[1:]:
        shorter = pattern.sub("", shorter)
    return re.sub(r"\s{2,}", " ", shorter).replace(" ,", ",")


def drop_acronym_glosses(sentence: str) -> str:
    """The sentence without parenthesised acronyms that only repeat a name: "Ban Chỉ huy ... (PCTT-TKCN)"."""
    return re.sub(r"\s\((?:[A-ZĐ]{2,}[-–]?)+\)", "", sentence)


# A partner named beside the one who acts ("Hội Khuyến học xã phối hợp với Ủy ban MTTQ xã và Ngân hàng
# Chính sách xã hội tổ chức xét tặng học bổng"): the listener needs who acts and what, not every partner.
_PARTNERS = re.compile(
    r"\s(?:phối hợp với|cùng với|kết hợp với|phối hợp cùng)\s[^,;:.!?]*?"
    r"(?=\s(?:tổ chức|mở|tiến hành|thực hiện|triển khai|ra quân|xét tặng|cấp phát|hỗ trợ)\b)"
)
# A detail set off by commas before the predicate ("mọi người, nhất là trẻ em, phải mặc áo phao").
_PARENTHETICAL_DETAIL = re.compile(
    r",\s(?:nhất là|kể cả|đặc biệt là|trong đó có|chủ yếu là)\s[^,;:.!?]*?,\s(?=\S)"
)


def drop_partners(sentence: str) -> str:
    """The sentence without the partners of who acts: "UBND xã phối hợp với HTX X tổ chức ..." -> "UBND xã tổ chức ..."."""
    return _PARTNERS.sub("", sentence)


def drop_parenthetical_details(sentence: str) -> str:
    """The sentence without a detail between commas when the predicate follows it.

    "Khi đi đò, mọi người, nhất là trẻ em, phải mặc áo phao." -> "Khi đi đò, mọi người phải mặc áo phao."
    Only when what follows the detail starts a predicate; the predicate itself always stays.
    """
    for match in reversed(list(_PARENTHETICAL_DETAIL.finditer(sentence))):
        if _PREDICATE_START.match(sentence[match.end() :]):
            sentence = sentence[: match.start()] + " " + sentence[match.end() :]
    return sentence


def drop_alternative_contact(sentence: str) -> str:
    """A sentence giving two numbers to call, cut after the first: "..., số 1900 1006, hoặc Đội X, số 0263..."."""
    from nlp.entities import PHONE, find_entities

    phones = [e for e in find_entities(sentence) if e.label == PHONE]
    if len(phones) < 2:
        return sentence
    rest = sentence[phones[0].end :]
    alternative = re.match(r",?\s(?:hoặc|hay)\s", rest)
    if not alternative:
        return sentence
    end = sentence.rstrip()[-1:]
    return sentence[: phones[0].end] + (end if end in ".!" else "")
