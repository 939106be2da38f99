"""The languages bantin broadcasts in: ISO 639-3 codes, names, scripts, provinces, model codes, orthography."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from nlp.errors import TextError

DATA = Path(__file__).with_name("data") / "languages.json"
SOURCE_LANGUAGE = "vie"

# Unicode ranges of the scripts (ISO 15924) the registry names.
SCRIPT_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "Khmr": ((0x1780, 0x17FF), (0x19E0, 0x19FF)),
    "Tavt": ((0xAA80, 0xAADF),),
    "Cham": ((0xAA00, 0xAA5F),),
    "Arab": ((0x0600, 0x06FF), (0x0750, 0x077F)),
    "Latn": ((0x0041, 0x005A), (0x0061, 0x007A), (0x00C0, 0x024F), (0x1E00, 0x1EFF)),
}
# Two-letter and alternative codes people type, mapped to the registry's codes.
ALIASES = {"blu": "hnj", "hmn": "hnj", "tay": "tyz", "tha_vn": "blt", "cham": "cjm"}


class UnsupportedLanguage(TextError):
    code = "unsupported_language"


@dataclass(frozen=True)
class Orthography:
    """The letters of a Latin orthography beyond a-z, and the combining marks it uses."""

    letters: frozenset[str] = frozenset()
    marks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Language:
    """One broadcast language of the registry."""

    code: str
    name_en: str
    name_vi: str
    scripts: tuple[str, ...]
    provinces: tuple[str, ...]
    why: str = ""
    iso639_1: str | None = None
    nllb: str | None = None
    m2m100: str | None = None
    detector: str | None = None  # the code nlp.language.check_language answers for it, if it knows it
    orthography: Orthography | None = None
    length_ratio: tuple[float, float] = (0.4, 2.5)
    model_codes: dict[str, str] = field(default_factory=dict, compare=False)

    def label(self) -> str:
        """``Tiếng Khmer / Khmer (khm)``."""
        return f"{self.name_vi} / {self.name_en} ({self.code})"


@cache
def _registry() -> dict[str, Language]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    orthographies = {
        name: Orthography(frozenset(o["letters"]), frozenset(chr(int(m, 16)) for m in o["marks"]))
        for name, o in data["orthographies"].items()
    }
    out: dict[str, Language] = {}
    for row in data["languages"]:
        codes = {k: row[k] for k in ("nllb", "m2m100") if row.get(k)}
        out[row["code"]] = Language(
            code=row["code"],
            name_en=row["name_en"],
            name_vi=row["name_vi"],
            scripts=tuple(row["scripts"]),
            provinces=tuple(row["provinces"]),
            why=row.get("why", ""),
            iso639_1=row.get("iso639_1"),
            nllb=row.get("nllb"),
            m2m100=row.get("m2m100"),
            detector=row.get("detector"),
            orthography=orthographies[row["orthography"]] if row.get("orthography") else None,
            length_ratio=tuple(row.get("length_ratio", (0.4, 2.5))),  # type: ignore[arg-type]
            model_codes=codes,
        )
    return out


def list_languages() -> list[Language]:
    """Every registered language, Vietnamese first."""
    return list(_registry().values())


def supported_codes() -> list[str]:
    """The registered ISO 639-3 codes."""
    return list(_registry())


def get_language(code: str) -> Language:
    """The registered language for an ISO 639-3 (or ISO 639-1) code; otherwise UnsupportedLanguage."""
    wanted = (code or "").strip().lower()
    registry = _registry()
    wanted = ALIASES.get(wanted, wanted)
    by_two = {lang.iso639_1: lang.code for lang in registry.values() if lang.iso639_1}
    wanted = by_two.get(wanted, wanted)
    if wanted in registry:
        return registry[wanted]
    listed = ", ".join(f"{lang.code} ({lang.name_vi})" for lang in registry.values())
    raise UnsupportedLanguage(
        f"Unsupported language code {code!r}. Supported (ISO 639-3): {listed}.",
        f"Mã ngôn ngữ {code!r} chưa được hỗ trợ. Các mã được hỗ trợ (ISO 639-3): {listed}.",
    )


def target_language(code: str) -> Language:
    """A language a Vietnamese bulletin can be translated into (not Vietnamese itself)."""
    language = get_language(code)
    if language.code == SOURCE_LANGUAGE:
        others = ", ".join(c for c in supported_codes() if c != SOURCE_LANGUAGE)
        raise UnsupportedLanguage(
            f"Bulletins are written in Vietnamese; translate into another language: {others}.",
            f"Bản tin được viết bằng tiếng Việt; hãy dịch sang ngôn ngữ khác: {others}.",
        )
    return language


@dataclass(frozen=True)
class LanguagePath:
    """What happens today to a bulletin in one language: how its text and its speech are made."""

    language: Language
    text: str
    speech: str
    ready: bool  # a bulletin in this language can be produced without adding anyone or anything

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        lang = self.language
        return {
            "code": lang.code,
            "name_vi": lang.name_vi,
            "name_en": lang.name_en,
            "scripts": list(lang.scripts),
            "provinces": list(lang.provinces),
            "text": self.text,
            "speech": self.speech,
            "ready": self.ready,
        }


def language_path(
    language: Language,
    *,
    model: str | None,
    voice: str | None,
    translators: int,
    memory_segments: int = 0,
    glossary_terms: int = 0,
) -> LanguagePath:
    """The path a bulletin in ``language`` takes given a translation model, a voice and translators."""
    if language.code == SOURCE_LANGUAGE:
        text = "nguồn tiếng Việt, không cần dịch / Vietnamese source, no translation"
        has_text = True
    else:
        steps = [f"bộ nhớ dịch / memory ({memory_segments})"]
        if glossary_terms:
            steps.append(f"thuật ngữ / glossary ({glossary_terms})")
        if model:
            steps.append(f"máy dịch / model {model}")
        if translators:
            steps.append(f"người dịch / translator ({translators})")
        else:
            steps.append(
                "chưa có người dịch / no translator: bantin people add NAME --unit CODE --role translator"
            )
        text = " → ".join(steps)
        has_text = bool(translators)  # a model's output can fail validation: someone must be able to fix it
    if voice:
        speech = f"tổng hợp giọng / voice {voice}"
    else:
        speech = f"bản ghi âm / recorded reading: bantin audio import FILE --bulletin ID --language {language.code}"
    return LanguagePath(language, text, speech, has_text)
