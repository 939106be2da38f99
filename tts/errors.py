"""Errors raised by speech synthesis and audio intake, with Vietnamese and English messages."""

from __future__ import annotations


class SpeechError(ValueError):
    """A speech request or an audio file the system cannot use; ``str(err)`` is English."""

    code = "speech_error"

    def __init__(self, message_en: str, message_vi: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_vi = message_vi

    def message(self, language: str = "vi") -> str:
        """The message in Vietnamese (``vi``) or English (``en``)."""
        return self.message_vi if language.startswith("vi") else self.message_en


class UnknownVoice(SpeechError):
    code = "unknown_voice"


class UnknownLanguage(SpeechError):
    code = "unknown_language"


class EngineUnavailable(SpeechError):
    code = "engine_unavailable"


class EmptySpeechText(SpeechError):
    code = "empty_text"


class SpeechTextTooLong(SpeechError):
    code = "text_too_long"


class AudioRejected(SpeechError):
    """An uploaded recording that does not decode, is silent, clipped, too short or too long."""

    code = "audio_rejected"
