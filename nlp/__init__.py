"""Pure Vietnamese text processing: cleanup, sentences, spoken form, summaries, language checks."""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Public name -> module that defines it. Imported on first use so heavy
# dependencies load only in the code path that needs them.
_API: dict[str, str] = {
    "TextError": "nlp.errors",
    "EmptyText": "nlp.errors",
    "TextTooLong": "nlp.errors",
    "NotVietnamese": "nlp.errors",
    "MissingDiacritics": "nlp.errors",
    "clean_text": "nlp.clean",
    "normalize_for_speech": "nlp.normalize",
    "split_sentences": "nlp.sentences",
    "Summary": "nlp.summary",
    "summarize": "nlp.summary",
    "LanguageReport": "nlp.language",
    "check_language": "nlp.language",
    "validate_draft": "nlp.language",
    "Language": "nlp.languages",
    "LanguagePath": "nlp.languages",
    "UnsupportedLanguage": "nlp.languages",
    "get_language": "nlp.languages",
    "target_language": "nlp.languages",
    "list_languages": "nlp.languages",
    "supported_codes": "nlp.languages",
    "language_path": "nlp.languages",
    "Glossary": "nlp.glossary",
    "InvalidGlossary": "nlp.glossary",
    "load_glossary": "nlp.glossary",
    "parse_glossary": "nlp.glossary",
    "TranslationMemory": "nlp.translation_memory",
    "MemoryEntry": "nlp.translation_memory",
    "InvalidMemoryFile": "nlp.translation_memory",
    "memory_entry": "nlp.translation_memory",
    "segment_key": "nlp.translation_memory",
    "parse_memory_file": "nlp.translation_memory",
    "TranslationRejected": "nlp.translation_check",
    "check_translation": "nlp.translation_check",
    "validate_translation": "nlp.translation_check",
    "TranslationModelError": "nlp.translation_model",
    "ModelInfo": "nlp.translation_model",
    "NeuralTranslator": "nlp.translation_model",
    "list_models": "nlp.translation_model",
    "model_for": "nlp.translation_model",
    "load_translator": "nlp.translation_model",
    "Segment": "nlp.translate",
    "Translation": "nlp.translate",
    "ORIGIN_LABELS": "nlp.translate",
    "translate_segments": "nlp.translate",
    "translate_text": "nlp.translate",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
