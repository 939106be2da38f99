"""transformers VITS voices from a local models directory (a tiny random model built here, MMS-TTS format)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest

import tts
from tts.config import PROFILES, SynthesisConfig

from .conftest import SAMPLE_SENTENCE, decode, measure

pytest.importorskip("torch")


def _speak(voice: tts.engine.Voice, text: str) -> np.ndarray:
    import torch

    torch.manual_seed(0)  # VITS samples noise: the same seed gives the same audio
    chunks = list(voice.synthesize(text, SynthesisConfig()))
    return np.concatenate([c.samples for c in chunks])


def test_local_vits_model_is_listed_with_language_and_licence(vits_models_dir: Path) -> None:
    info = next(v for v in tts.list_voices(vits_models_dir) if v.name == "vits-tiny-vie")
    assert info.available, info.reason
    assert (info.engine, info.language, info.sample_rate, info.licence) == (
        "vits",
        "vie",
        16000,
        "CC-BY-NC-4.0",
    )
    assert "vits-tiny-vie" in {v.name for v in tts.voices_for_language("vie", vits_models_dir)}


def test_vits_voice_loads_from_the_directory_and_synthesizes_audio(vits_models_dir: Path) -> None:
    voice = tts.get_voice("vits-tiny-vie", vits_models_dir)
    samples = _speak(voice, SAMPLE_SENTENCE)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) > 16000 * 0.2
    assert np.abs(samples).max() <= 1.0 and np.std(samples) > 0


def test_decomposed_unicode_reads_like_precomposed(vits_models_dir: Path) -> None:
    voice = tts.get_voice("vits-tiny-vie", vits_models_dir)
    nfd = unicodedata.normalize("NFD", SAMPLE_SENTENCE)
    assert nfd != SAMPLE_SENTENCE
    assert np.array_equal(_speak(voice, nfd), _speak(voice, SAMPLE_SENTENCE))


def test_text_without_any_known_character_is_a_clear_error(vits_models_dir: Path) -> None:
    voice = tts.get_voice("vits-tiny-vie", vits_models_dir)
    with pytest.raises(tts.SpeechError) as caught:
        list(voice.synthesize("សេចក្តីជូនដំណឹង", SynthesisConfig()))
    assert "cannot read any character" in caught.value.message_en
    assert "vie" in caught.value.message_vi


def test_render_with_a_vits_voice_is_mastered_to_the_targets(vits_models_dir: Path) -> None:
    result = tts.render_speech(
        f"{SAMPLE_SENTENCE}\n\n{SAMPLE_SENTENCE}", voice="vits-tiny-vie", models_dir=vits_models_dir
    )
    assert (result.engine, result.licence) == ("vits", "CC-BY-NC-4.0")
    _samples, rate, channels = decode(result.mp3)
    assert (rate, channels) == (22050, 1)
    loudness, peak = measure(result.mp3)
    assert abs(loudness - PROFILES["loudspeaker"].target_lufs) <= 0.5 and peak <= -1.0


def test_fingerprint_follows_the_model_files(vits_models_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "models"
    shutil.copytree(vits_models_dir, copy)
    before = tts.speech_fingerprint("Xin chào.", "vits-tiny-vie", models_dir=copy)
    assert before == tts.speech_fingerprint("Xin chào.", "vits-tiny-vie", models_dir=vits_models_dir)
    from tts.tiny_vits import build_tiny_vits

    build_tiny_vits(copy / "tiny-vie", seed=1)  # retrained weights, same name
    assert tts.speech_fingerprint("Xin chào.", "vits-tiny-vie", models_dir=copy) != before


def test_broken_model_directory_is_reported_not_crashed(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "vits"}')
    with pytest.raises(tts.EngineUnavailable) as caught:
        tts.get_voice("vits-broken", tmp_path)
    assert str(broken) in caught.value.message_en


def test_faster_speed_gives_shorter_vits_speech(vits_models_dir: Path) -> None:
    import torch

    voice = tts.get_voice("vits-tiny-vie", vits_models_dir)
    lengths = []
    for speed in (1.0, 2.0):
        torch.manual_seed(0)
        lengths.append(
            sum(len(c.samples) for c in voice.synthesize(SAMPLE_SENTENCE, SynthesisConfig(speed=speed)))
        )
    assert lengths[1] < 0.75 * lengths[0]
