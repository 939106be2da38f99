"""Checks every machine or human translation passes: script, values, glossary, length, language."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from nlp.errors import TextError
from nlp.glossary import Glossary
from nlp.languages import SCRIPT_RANGES, Language
from nlp.placeholders import PLACEHOLDER, mask, missing_values, value_kind

MIN_SCRIPT_SHARE = 0.6  # Latin names of places and offices may stay in a Khmer or Tai Viet text
MIN_ORTHOGRAPHY_SHARE = 0.98  # one slip is tolerated, a Vietnamese text pasted as Ê Đê is not
MIN_RATIO_CHARS = 20
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LEFTOVER = re.compile(r"⟦\d*#?⟧|\bZZ[A-Z]\b")


class TranslationRejected(TextError):
    code = "translation_rejected"

    def __init__(self, message_en: str, message_vi: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message_en, message_vi)
        self.problems = problems or []


@dataclass(frozen=True)
class Problem:
    """Why a translation cannot be used, in English and Vietnamese."""

    code: str
    en: str
    vi: str

    def text(self) -> str:
        return f"{self.vi} / {self.en}"


def _script_of(char: str) -> str | None:
    point = ord(char)
    for script, ranges in SCRIPT_RANGES.items():
        if any(lo <= point <= hi for lo, hi in ranges):
            return script
    return None


def script_problem(text: str, language: Language) -> Problem | None:
    """A problem when the letters are not in the language's script(s) or Latin orthography."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    scripts = [_script_of(c) for c in letters]
    share = sum(s in language.scripts for s in scripts) / len(letters)
    wanted = "/".join(language.scripts)
    if share < MIN_SCRIPT_SHARE:
        found = max(set(scripts), key=scripts.count) or "other"
        return Problem(
            "wrong_script",
            f"the text is not in the {wanted} script of {language.name_en} ({share:.0%} of letters; mostly {found})",
            f"bản dịch không viết bằng chữ {wanted} của {language.name_vi} ({share:.0%} số chữ; chủ yếu {found})",
        )
    if language.orthography is None or "Latn" not in language.scripts:
        return None
    outside = _outside_orthography(text, language)
    if outside:
        return Problem(
            "wrong_letters",
            f"letters not used in {language.name_en} writing: {' '.join(outside[:8])}",
            f"có chữ cái không dùng trong chữ viết {language.name_vi}: {' '.join(outside[:8])}",
        )
    return None


def _outside_orthography(text: str, language: Language) -> list[str]:
    """Letters of lower-case Latin words (names aside) outside the orthography, when they are too many."""
    ortho = language.orthography
    assert ortho is not None
    bad: list[str] = []
    total = 0
    for word in _WORD.findall(unicodedata.normalize("NFC", text)):
        if word[0].isupper() or _script_of(word[0]) != "Latn":
            continue  # proper names keep their Vietnamese spelling
        for char in word:
            total += 1
            base, *marks = unicodedata.normalize("NFD", char)
            if not (char in ortho.letters or (base.isascii() and all(m in ortho.marks for m in marks))):
                bad.append(char)
    if len(bad) >= 2 and len(bad) / total > 1 - MIN_ORTHOGRAPHY_SHARE:
        return list(dict.fromkeys(bad))
    return []


def check_translation(
    source: str, translation: str, language: Language, *, glossary: Glossary | None = None
) -> list[Problem]:
    """Every reason ``translation`` of the Vietnamese ``source`` cannot be used (empty list: it passes)."""
    text = unicodedata.normalize("NFC", translation or "").strip()
    if not text or not any(c.isalnum() for c in text):
        return [Problem("empty", "the translation is empty", "bản dịch trống")]
    problems: list[Problem] = []
    if _LEFTOVER.search(text) or PLACEHOLDER.search(text):
        problems.append(
            Problem("placeholder", "a number placeholder was left in the text", "còn sót ký hiệu giữ chỗ số")
        )
    found = script_problem(text, language)
    if found:
        problems.append(found)
    lost = missing_values(mask(source).values, text)
    if lost:
        listed = ", ".join(f"{v} ({value_kind(v)})" for v in lost)
        problems.append(
            Problem(
                "missing_values",
                f"numbers, dates, amounts or phone numbers of the source are missing: {listed}",
                f"thiếu số, ngày, số tiền hoặc số điện thoại của bản gốc: {listed}",
            )
        )
    problems += _glossary_problems(source, text, glossary)
    problems += _shape_problems(source, text, language)
    return problems


def _glossary_problems(source: str, text: str, glossary: Glossary | None) -> list[Problem]:
    if glossary is None:
        return []
    lowered = text.lower()
    wrong = [
        h.term
        for h in glossary.hits(source)
        if h.term.target and not any(f.lower() in lowered for f in h.term.forms)
    ]
    if not wrong:
        return []
    listed = ", ".join(f"{t.source} → {t.target}" for t in dict.fromkeys(wrong))
    return [
        Problem(
            "glossary",
            f"approved glossary terms are not used: {listed}",
            f"chưa dùng thuật ngữ đã duyệt: {listed}",
        )
    ]


def _shape_problems(source: str, text: str, language: Language) -> list[Problem]:
    problems: list[Problem] = []
    if len(source) >= MIN_RATIO_CHARS:
        ratio = len(text) / len(source)
        low, high = language.length_ratio
        if not low <= ratio <= high:
            problems.append(
                Problem(
                    "length",
                    f"the translation is {ratio:.2f} times the source's length (expected {low}-{high})",
                    f"bản dịch dài gấp {ratio:.2f} lần bản gốc (cần trong khoảng {low}-{high})",
                )
            )
    if len(_WORD.findall(source)) >= 3 and " ".join(text.lower().split()) == " ".join(source.lower().split()):
        problems.append(
            Problem(
                "untranslated",
                "the text is the Vietnamese source, not a translation",
                "bản dịch giống hệt bản gốc tiếng Việt",
            )
        )
    if language.detector and sum(c.isalpha() for c in text) >= 20:
        from nlp.language import check_language

        report = check_language(text)
        if report.language != language.detector and report.confidence >= 0.5:
            problems.append(
                Problem(
                    "detector",
                    f"the language detector reads {report.language}, not {language.code}",
                    f"bộ nhận dạng ngôn ngữ cho kết quả {report.language}, không phải {language.code}",
                )
            )
    return problems


def validate_translation(
    source: str, translation: str, language: Language, *, glossary: Glossary | None = None
) -> str:
    """The cleaned translation, or TranslationRejected naming every problem in both languages."""
    problems = check_translation(source, translation, language, glossary=glossary)
    if problems:
        raise TranslationRejected(
            f"The {language.name_en} translation cannot be used: " + "; ".join(p.en for p in problems) + ".",
            f"Bản dịch {language.name_vi} chưa dùng được: " + "; ".join(p.vi for p in problems) + ".",
            problems,
        )
    return unicodedata.normalize("NFC", translation).strip()
