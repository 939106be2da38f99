"""Errors raised on bad text, each with a message for the editor in Vietnamese and English."""

from __future__ import annotations


class TextError(ValueError):
    """A draft text the pipeline cannot use; ``str(err)`` is the English message."""

    code = "text_error"

    def __init__(self, message_en: str, message_vi: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_vi = message_vi

    def message(self, language: str = "vi") -> str:
        """The message in Vietnamese (``vi``) or English (``en``)."""
        return self.message_vi if language.startswith("vi") else self.message_en


class EmptyText(TextError):
    code = "empty_text"


class TextTooLong(TextError):
    code = "text_too_long"


class NotVietnamese(TextError):
    code = "not_vietnamese"


class MissingDiacritics(TextError):
    code = "missing_diacritics"
