"""Speech: voices by name, synthesis by sentence chunk, mastering for loudspeakers, recorded-audio intake."""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Public name -> module that defines it. Imported on first use so heavy
# dependencies load only in the code path that needs them.
_API: dict[str, str] = {
    "SpeechError": "tts.errors",
    "UnknownVoice": "tts.errors",
    "UnknownLanguage": "tts.errors",
    "EngineUnavailable": "tts.errors",
    "EmptySpeechText": "tts.errors",
    "SpeechTextTooLong": "tts.errors",
    "AudioRejected": "tts.errors",
    "SynthesisConfig": "tts.config",
    "MasteringProfile": "tts.config",
    "PROFILES": "tts.config",
    "DEFAULT_VOICE": "tts.config",
    "VoiceInfo": "tts.registry",
    "list_voices": "tts.registry",
    "get_voice": "tts.registry",
    "voices_for_language": "tts.registry",
    "SpeechResult": "tts.render",
    "render_speech": "tts.render",
    "speech_fingerprint": "tts.render",
    "render_speech_cached": "tts.cache",
    "import_recording": "tts.recording",
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
