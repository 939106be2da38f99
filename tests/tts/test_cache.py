"""Speech cache over an object store: the same request is synthesized once, then served from the store."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np

from tts.cache import render_speech_cached
from tts.config import SynthesisConfig
from tts.engine import AudioChunk, Voice, VoiceInfo

from .conftest import DictStore
from .test_render import A, B, CountingVoice


def test_second_request_is_served_from_the_store_without_synthesis(store: DictStore) -> None:
    voice = CountingVoice()
    first = render_speech_cached(store, A, voice=voice)
    assert voice.spoken == [A]
    assert set(store.objects) == {f"audio/{first.sha256}.mp3", f"speech-cache/{first.fingerprint}.json"}
    assert store.content_types[f"audio/{first.sha256}.mp3"] == "audio/mpeg"
    writes = store.writes

    second = render_speech_cached(store, A, voice=voice)
    assert voice.spoken == [A]  # not synthesized again
    assert store.writes == writes
    assert second == first


def test_cache_index_holds_the_metadata(store: DictStore) -> None:
    result = render_speech_cached(store, A)
    metadata = json.loads(store.get(f"speech-cache/{result.fingerprint}.json"))
    assert metadata["sha256"] == result.sha256
    assert metadata["voice"] == "espeak-vi-north"
    assert metadata["loudness_lufs"] == result.loudness_lufs
    assert "mp3" not in metadata


def test_a_different_request_is_synthesized(store: DictStore) -> None:
    voice = CountingVoice()
    render_speech_cached(store, A, voice=voice)
    render_speech_cached(store, B, voice=voice)
    render_speech_cached(store, A, voice=voice, config=SynthesisConfig(speed=1.3))
    assert voice.spoken == [A, B, A]
    assert len([k for k in store.objects if k.startswith("speech-cache/")]) == 3


def test_missing_or_damaged_audio_is_synthesized_again(store: DictStore) -> None:
    voice = CountingVoice()
    first = render_speech_cached(store, A, voice=voice)
    store.objects[f"audio/{first.sha256}.mp3"] = b"damaged"
    again = render_speech_cached(store, A, voice=voice)
    assert voice.spoken == [A, A]
    assert again.mp3 != b"damaged"
    assert store.get(f"audio/{again.sha256}.mp3") == again.mp3
    third = render_speech_cached(store, A, voice=voice)
    assert voice.spoken == [A, A] and third == again


class ToneVoice(Voice):
    """A deterministic voice: one short tone per word (same text, same samples, same MP3)."""

    info = VoiceInfo(
        name="tone-test", engine="espeak", language="vie", region=None, sample_rate=16000, licence="-"
    )

    def synthesize(self, text: str, config: SynthesisConfig) -> Iterator[AudioChunk]:
        t = np.arange(int(0.25 * 16000)) / 16000
        words = [np.sin(2 * np.pi * (300 + 10 * len(w)) * t) * 0.3 for w in text.split()]
        gaps = [np.zeros(800)] * len(words)
        yield AudioChunk(
            np.concatenate([x for pair in zip(words, gaps, strict=True) for x in pair]).astype(np.float32),
            16000,
        )


def test_damaged_audio_under_the_same_key_is_replaced(store: DictStore) -> None:
    first = render_speech_cached(store, A, voice=ToneVoice())
    key = f"audio/{first.sha256}.mp3"
    store.objects[key] = b"damaged"
    store.objects.pop(f"speech-cache/{first.fingerprint}.json")
    again = render_speech_cached(store, A, voice=ToneVoice())
    assert again.sha256 == first.sha256
    assert store.get(key) == first.mp3
