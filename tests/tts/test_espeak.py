"""eSpeak NG voices speak Vietnamese: real, audible PCM whose length follows the text and the speed."""

from __future__ import annotations

import numpy as np
import pytest

import tts
from tts.config import SynthesisConfig

from .conftest import SAMPLE_SENTENCE


def _speak(voice: str, text: str, config: SynthesisConfig | None = None) -> np.ndarray:
    loaded = tts.get_voice(voice)
    chunks = list(loaded.synthesize(text, config or SynthesisConfig()))
    assert all(c.sample_rate == loaded.sample_rate == 22050 for c in chunks)
    return np.concatenate([c.samples for c in chunks])


@pytest.mark.parametrize("voice", ["espeak-vi-north", "espeak-vi-central", "espeak-vi-south"])
def test_each_vietnamese_voice_produces_audible_speech(voice: str) -> None:
    samples = _speak(voice, SAMPLE_SENTENCE)
    assert samples.dtype == np.float32
    assert len(samples) / 22050 > 1.5
    assert np.abs(samples).max() <= 1.0
    assert np.sqrt(np.mean(samples**2)) > 0.01  # not silence


def test_longer_text_gives_longer_speech() -> None:
    short = _speak("espeak-vi-north", "Xin chào bà con.")
    long = _speak("espeak-vi-north", "Xin chào bà con. " + SAMPLE_SENTENCE + " " + SAMPLE_SENTENCE)
    assert len(long) > 2.5 * len(short)


def test_faster_speed_gives_shorter_speech_and_pitch_changes_the_sound() -> None:
    normal = _speak("espeak-vi-north", SAMPLE_SENTENCE)
    fast = _speak("espeak-vi-north", SAMPLE_SENTENCE, SynthesisConfig(speed=1.5))
    assert len(fast) < 0.8 * len(normal)
    high = _speak("espeak-vi-north", SAMPLE_SENTENCE, SynthesisConfig(pitch=0.8))
    assert len(high) != len(normal) or not np.allclose(high, normal)


def test_regional_voices_sound_different() -> None:
    assert not np.array_equal(
        _speak("espeak-vi-north", SAMPLE_SENTENCE), _speak("espeak-vi-south", SAMPLE_SENTENCE)
    )


def test_out_of_range_settings_are_refused_with_a_message() -> None:
    with pytest.raises(tts.SpeechError) as caught:
        SynthesisConfig(speed=5)
    assert "0.5" in caught.value.message_en and "0,5" in caught.value.message_vi
