"""Speech cache over any object store: the same text, voice, config and profile are synthesized once."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Protocol

from tts.render import SpeechResult, render_speech, speech_fingerprint


class ObjectStore(Protocol):
    """What the cache needs from a store (the project's local and S3 stores have it)."""

    def exists(self, key: str) -> bool: ...

    def get(self, key: str) -> bytes: ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...


def audio_key(sha256: str) -> str:
    """Object key of an MP3 by content: ``audio/<sha256>.mp3``."""
    return f"audio/{sha256}.mp3"


def index_key(fingerprint: str) -> str:
    """Object key of a cached render's metadata: ``speech-cache/<fingerprint>.json``."""
    return f"speech-cache/{fingerprint}.json"


def cached_speech(store: ObjectStore, fingerprint: str) -> SpeechResult | None:
    """The cached result for ``fingerprint``, or None when absent or its audio is missing or altered."""
    key = index_key(fingerprint)
    if not store.exists(key):
        return None
    try:
        metadata = json.loads(store.get(key))
        mp3_key = audio_key(str(metadata["sha256"]))
        if not store.exists(mp3_key):
            return None
        result = SpeechResult.from_metadata(metadata, store.get(mp3_key))
    except (ValueError, KeyError, TypeError):
        return None  # an unreadable index entry is rebuilt, not trusted
    return result if hashlib.sha256(result.mp3).hexdigest() == result.sha256 else None


def render_speech_cached(store: ObjectStore, text: str, **kwargs: Any) -> SpeechResult:
    """``render_speech(text, **kwargs)``, reusing the stored MP3 when the same request was rendered before."""
    fingerprint = speech_fingerprint(
        text.strip(),
        kwargs.get("voice") or _default_voice(),
        kwargs.get("config"),
        kwargs.get("profile", "loudspeaker"),
        models_dir=_path(kwargs.get("models_dir")),
        normalize=kwargs.get("normalize"),
    )
    hit = cached_speech(store, fingerprint)
    if hit is not None:
        return hit
    result = render_speech(text, **kwargs)
    mp3_key = audio_key(result.sha256)
    if not store.exists(mp3_key) or hashlib.sha256(store.get(mp3_key)).hexdigest() != result.sha256:
        store.put(mp3_key, result.mp3, "audio/mpeg")
    metadata = json.dumps(result.metadata(), ensure_ascii=False, sort_keys=True).encode()
    store.put(index_key(result.fingerprint), metadata, "application/json")
    return result


def _default_voice() -> str:
    from tts.config import DEFAULT_VOICE

    return DEFAULT_VOICE


def _path(value: object) -> Path | None:
    return Path(value) if value is not None else None  # type: ignore[arg-type]
