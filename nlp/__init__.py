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
