"""Speech engines registered by name ("module:attribute", imported lazily) and voice lookup across them."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from pathlib import Path

from tts.engine import Engine, Voice, VoiceInfo, detect_model_format, local_voice_info, model_dirs
from tts.errors import UnknownLanguage, UnknownVoice

__all__ = [
    "ENGINES",
    "VoiceInfo",
    "engine_status",
    "engine_voices",
    "get_engine",
    "get_voice",
    "list_engines",
    "list_voices",
    "load_voice",
    "register_engine",
    "voice_info",
    "voices_for_language",
]

# Engine name -> "module:attribute" of its engine object. Modules are imported only when asked for.
ENGINES: dict[str, str] = {
    "espeak": "tts.espeak_engine:ENGINE",
    "vits": "tts.vits_engine:ENGINE",
    "coqui": "tts.coqui_engine:ENGINE",
}

# Licence shown for a local model's voices when neither the model nor bantin-voice.json states one.
_ENGINE_LICENCES = {"espeak": "GPL-3.0", "vits": "MIT (library)", "coqui": "MPL-2.0 (library)"}


def register_engine(name: str, target: str) -> None:
    """Register (or replace) an engine under ``name``; ``target`` is ``"module:attribute"``."""
    ENGINES[name] = target
    _load_engine.cache_clear()


@cache
def _load_engine(name: str) -> tuple[Engine | None, str]:
    """Import the engine object registered as ``name``: ``(engine, "")`` or ``(None, why not)``."""
    module_name, _, attribute = ENGINES[name].partition(":")
    try:
        module = import_module(module_name)
        return getattr(module, attribute), ""
    except ImportError as exc:  # the engine's module or one of its dependencies is not installed
        missing = getattr(exc, "name", None) or str(exc)
        return None, f"cannot import {missing} ({exc}); install the engine's extra"
    except Exception as exc:  # a broken optional backend must not break the listing of the others
        return None, f"failed to load {ENGINES[name]}: {exc}"


def get_engine(name: str) -> Engine:
    """The engine registered as ``name``; unknown names raise UnknownVoice listing the known engines."""
    if name not in ENGINES:
        known = ", ".join(sorted(ENGINES))
        raise UnknownVoice(
            f"No speech engine named {name!r}; known engines: {known}.",
            f"Không có bộ tổng hợp tiếng nói tên {name!r}; các bộ hiện có: {known}.",
        )
    engine, reason = _load_engine(name)
    if engine is None:
        from tts.errors import EngineUnavailable

        raise EngineUnavailable(
            f"Speech engine {name!r} is not available: {reason}.",
            f"Bộ tổng hợp tiếng nói {name!r} chưa dùng được: {reason}.",
        )
    return engine


def engine_status(name: str) -> tuple[bool, str]:
    """Whether the engine ``name`` can run here, and why not."""
    engine, reason = _load_engine(name)
    if engine is None:
        return False, reason
    try:
        return engine.availability()
    except Exception as exc:  # availability checks import optional libraries
        return False, f"availability check failed: {exc}"


def _unavailable_local_voices(name: str, models_dir: Path | None, reason: str) -> list[VoiceInfo]:
    """Local model directories of an engine that cannot run, listed with the reason."""
    licence = _ENGINE_LICENCES.get(name, "")
    infos = [local_voice_info(d, name) for d in model_dirs(models_dir) if detect_model_format(d) == name]
    return [_mark(info, False, reason, licence) for info in infos]


def _mark(info: VoiceInfo, available: bool, reason: str, licence: str = "") -> VoiceInfo:
    """A copy of ``info`` with availability set (and a fallback licence)."""
    from dataclasses import replace

    return replace(info, available=available, reason=reason, licence=info.licence or licence)


def engine_voices(name: str, models_dir: Path | None = None) -> list[VoiceInfo]:
    """The voices of one registered engine, available or not (with why)."""
    available, reason = engine_status(name)
    engine, _ = _load_engine(name)
    if engine is None:
        return _unavailable_local_voices(name, models_dir, reason)
    try:
        found = engine.voices(models_dir)
    except Exception as exc:  # a malformed model directory must not hide the other voices
        return _unavailable_local_voices(name, models_dir, f"cannot list voices: {exc}")
    return [info if available else _mark(info, False, reason) for info in found]


def list_voices(models_dir: Path | None = None) -> list[VoiceInfo]:
    """Every voice of every registered engine, available or not (with why), built-in voices first."""
    return [info for name in ENGINES for info in engine_voices(name, models_dir)]


def list_engines() -> list[dict[str, object]]:
    """Every registered engine with its licence and whether it can run here (and why not)."""
    rows = []
    for name in ENGINES:
        available, reason = engine_status(name)
        engine, _ = _load_engine(name)
        licence = getattr(engine, "licence", "") or _ENGINE_LICENCES.get(name, "")
        rows.append({"engine": name, "licence": licence, "available": available, "reason": reason})
    return rows


def _find_voice(name: str, models_dir: Path | None) -> VoiceInfo:
    """The listed voice called ``name``; unknown names raise UnknownVoice listing the known ones."""
    # Ask the engine the name points at first ("vits-x" -> vits), so looking up an eSpeak voice never
    # imports torch for the neural engines.
    prefix = name.split("-", 1)[0]
    order = sorted(ENGINES, key=lambda engine: engine != prefix)
    for engine in order:
        for info in engine_voices(engine, models_dir):
            if info.name == name:
                return info
    voices = list_voices(models_dir)
    known = ", ".join(v.name for v in voices) or "none"
    raise UnknownVoice(
        f"Unknown voice {name!r}. Known voices: {known}. Run `bantin voices` to see which can run here.",
        f"Không có giọng đọc {name!r}. Các giọng hiện có: {known}. Chạy `bantin voices` để xem giọng dùng được.",
    )


def get_voice(name: str, models_dir: Path | None = None) -> Voice:
    """Load the voice called ``name`` (built-in or a model under ``models_dir``)."""
    return load_voice(_find_voice(name, models_dir))


def load_voice(info: VoiceInfo) -> Voice:
    """Load a listed voice; one that cannot run here raises EngineUnavailable with the reason."""
    if not info.available:
        from tts.errors import EngineUnavailable

        raise EngineUnavailable(
            f"Voice {info.name!r} cannot run here: {info.reason}.",
            f"Giọng {info.name!r} chưa dùng được trên máy này: {info.reason}.",
        )
    return get_engine(info.engine).load(info)


def voice_info(name: str, models_dir: Path | None = None) -> VoiceInfo:
    """The VoiceInfo of the voice called ``name``, without loading it."""
    return _find_voice(name, models_dir)


def voices_for_language(language: str, models_dir: Path | None = None) -> list[VoiceInfo]:
    """Available voices for an ISO 639-3 language (``vie``, ``khm``...); none raises UnknownLanguage."""
    code = _iso639_3(language)
    everything = list_voices(models_dir)
    voices = [v for v in everything if v.available]
    matching = [v for v in voices if v.language == code]
    if matching:
        return matching
    have = ", ".join(sorted({v.language for v in voices})) or "none"
    upload = f"bantin audio import FILE --bulletin ID --language {code}"
    blocked = "; ".join(f"{v.name}: {v.reason}" for v in everything if v.language == code)
    blocked_en = f" Voices for {code} that cannot run here: {blocked}." if blocked else ""
    blocked_vi = f" Giọng cho {code} chưa chạy được trên máy này: {blocked}." if blocked else ""
    raise UnknownLanguage(
        f"{code} has no speech engine configured; languages with voices: {have}.{blocked_en} "
        f"Upload a recording instead: `{upload}`.",
        f"Chưa có giọng đọc cho ngôn ngữ {code}; các ngôn ngữ có giọng đọc: {have}.{blocked_vi} "
        f"Hãy tải lên bản ghi âm thay thế: `{upload}`.",
    )


# Two-letter codes people type, mapped to the ISO 639-3 codes voices are listed under.
_ISO639_1_TO_3 = {"vi": "vie", "km": "khm", "en": "eng", "lo": "lao", "th": "tha", "zh": "zho", "fr": "fra"}


def _iso639_3(language: str) -> str:
    """``vi`` -> ``vie``; three-letter codes pass through, lowercased."""
    code = language.strip().lower()
    return _ISO639_1_TO_3.get(code, code)
