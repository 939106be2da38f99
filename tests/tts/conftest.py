"""Helpers for speech tests: a dict-backed object store, MP3 decoding and measurement, a tiny VITS voice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SAMPLE_SENTENCE = "Kính thưa bà con, chiều nay trời có mưa to và gió mạnh."


class DictStore:
    """The object-store protocol (exists, get, put) over a dict, remembering each write."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}
        self.writes = 0

    def exists(self, key: str) -> bool:
        return key in self.objects

    def get(self, key: str) -> bytes:
        return self.objects[key]

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.objects[key] = data
        self.content_types[key] = content_type
        self.writes += 1


def decode(data: bytes) -> tuple[np.ndarray, int, int]:
    """Mono samples, sample rate and channel count of an encoded audio file (as a player decodes it)."""
    from tts.audio_io import decode_audio

    decoded = decode_audio(data)
    return decoded.samples, decoded.sample_rate, decoded.channels


def measure(data: bytes) -> tuple[float, float]:
    """Integrated loudness (LUFS) and 4x true peak (dBTP) of an encoded audio file."""
    from tts.mastering import measure_mp3

    return measure_mp3(data)


def espeak_samples(text: str = SAMPLE_SENTENCE, voice: str = "espeak-vi-north") -> tuple[np.ndarray, int]:
    """Raw eSpeak NG speech for ``text`` (float32 mono) and its sample rate."""
    from tts.config import SynthesisConfig
    from tts.registry import get_voice

    loaded = get_voice(voice)
    chunks = list(loaded.synthesize(text, SynthesisConfig()))
    return np.concatenate([c.samples for c in chunks]), chunks[0].sample_rate


@pytest.fixture
def store() -> DictStore:
    return DictStore()


@pytest.fixture(scope="session")
def vits_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models directory with two tiny random transformers VITS voices, ``vits-tiny-vie`` and ``vits-tiny-khm``."""
    pytest.importorskip("transformers")
    from tts.tiny_vits import build_tiny_vits

    models_dir = tmp_path_factory.mktemp("tts-models")
    build_tiny_vits(models_dir / "tiny-vie", language="vie", licence="CC-BY-NC-4.0")
    build_tiny_vits(models_dir / "tiny-khm", language="khm", licence="CC-BY-NC-4.0", seed=1)
    return models_dir
