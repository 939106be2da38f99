"""Mastering for village loudspeakers: valid mono MP3 at the profile rate, -16 LUFS, true peak <= -1 dBTP."""

from __future__ import annotations

import io
import math
import wave

import numpy as np
import pytest

import tts
from tts.config import PROFILES, MasteringProfile
from tts.mastering import integrated_loudness, master, resample, true_peak_dbtp

from .conftest import SAMPLE_SENTENCE, decode, espeak_samples, measure


def _assert_meets_targets(mp3: bytes, profile: MasteringProfile) -> tuple[np.ndarray, int]:
    samples, rate, channels = decode(mp3)
    assert channels == 1
    assert rate == profile.sample_rate
    loudness, peak = measure(mp3)
    assert abs(loudness - profile.target_lufs) <= 0.5, loudness
    assert peak <= profile.true_peak_dbtp, peak
    return samples, rate


@pytest.mark.parametrize("profile", ["loudspeaker", "portal"])
def test_rendered_speech_is_a_mono_mp3_at_target_loudness_and_peak(profile: str) -> None:
    result = tts.render_speech(SAMPLE_SENTENCE + "\n\n" + SAMPLE_SENTENCE, profile=profile)
    assert result.mp3[:3] == b"ID3" or result.mp3[0] == 0xFF  # an MP3 frame sync or tag
    samples, rate = _assert_meets_targets(result.mp3, PROFILES[profile])
    assert abs(len(samples) / rate - result.duration_s) < 0.2
    assert abs(result.loudness_lufs - PROFILES[profile].target_lufs) <= 0.5
    assert result.true_peak_dbtp <= -1.0
    assert result.sample_rate == PROFILES[profile].sample_rate


def test_quiet_and_loud_sources_come_out_at_the_same_loudness() -> None:
    speech, rate = espeak_samples()
    quiet = master(speech * 0.02, rate)
    loud = master(np.clip(speech * 1.0, -1, 1), rate)
    for mastered in (quiet, loud):
        _assert_meets_targets(mastered.mp3, PROFILES["loudspeaker"])


def test_leading_and_trailing_silence_is_trimmed() -> None:
    speech, rate = espeak_samples()
    padded = np.concatenate([np.zeros(3 * rate, np.float32), speech, np.zeros(4 * rate, np.float32)])
    plain, trimmed = master(speech, rate), master(padded, rate)
    assert abs(trimmed.duration_s - plain.duration_s) < 0.1
    edge = PROFILES["loudspeaker"].edge_silence_s
    head = trimmed.samples[: int(0.5 * trimmed.sample_rate)]
    first_sound = np.flatnonzero(np.abs(head) > 0.01)[0] / trimmed.sample_rate
    assert edge * 0.5 <= first_sound <= edge + 0.2


def _tone_wav(frequency: float, seconds: float, rate: int = 44100, level: float = 0.3) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (level * np.sin(2 * np.pi * frequency * t) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def test_intro_and_outro_jingles_frame_the_speech_and_the_whole_meets_targets() -> None:
    from dataclasses import replace

    speech, rate = espeak_samples()
    profile = replace(
        PROFILES["loudspeaker"],
        intro_jingle=_tone_wav(880, 1.5),
        outro_jingle=_tone_wav(660, 1.0, level=0.05),
    )
    plain = master(speech, rate)
    framed = master(speech, rate, profile)
    added = framed.duration_s - plain.duration_s
    assert 1.5 + 1.0 + 2 * profile.jingle_gap_s - 0.3 < added < 1.5 + 1.0 + 2 * profile.jingle_gap_s + 0.3
    out, out_rate = _assert_meets_targets(framed.mp3, profile)
    start = int((profile.edge_silence_s + 0.3) * out_rate)
    assert abs(_dominant_frequency(out[start : start + out_rate // 2], out_rate) - 880) < 10
    end = len(framed.samples) - int((profile.edge_silence_s + 0.3) * out_rate)
    assert abs(_dominant_frequency(framed.samples[end - out_rate // 2 : end], out_rate) - 660) < 10


def test_very_short_audio_is_mastered_to_the_targets() -> None:
    rate = 22050
    t = np.arange(int(0.25 * rate)) / rate
    beep = (0.2 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    mastered = master(beep, rate)
    _assert_meets_targets(mastered.mp3, PROFILES["loudspeaker"])
    assert mastered.duration_s < 1.0


def test_silent_audio_is_refused() -> None:
    with pytest.raises(tts.SpeechError):
        master(np.zeros(22050 * 2, np.float32), 22050)


@pytest.mark.parametrize("rate", [22050, 16000, 44100, 11025])
def test_loudness_agrees_with_pyloudnorm(rate: int) -> None:
    import pyloudnorm

    speech, speech_rate = espeak_samples()
    speech = resample(speech, speech_rate, rate)
    expected = pyloudnorm.Meter(rate).integrated_loudness(speech.astype(np.float64))
    assert integrated_loudness(speech, rate) == pytest.approx(expected, abs=0.01)


def test_true_peak_sees_peaks_between_samples() -> None:
    rate = 22050
    n = np.arange(rate)
    # A sine at a quarter of the sample rate, phase-shifted so every sample misses the crest by 45 degrees.
    x = (0.5 * np.sin(2 * np.pi * n / 4 + math.pi / 4)).astype(np.float32)
    sample_peak = 20 * math.log10(np.abs(x).max())
    assert sample_peak == pytest.approx(20 * math.log10(0.5) - 3.01, abs=0.05)
    assert true_peak_dbtp(x) == pytest.approx(20 * math.log10(0.5), abs=0.3)


def test_unusable_jingle_is_reported_as_the_profiles_jingle() -> None:
    from dataclasses import replace

    speech, rate = espeak_samples()
    with pytest.raises(tts.SpeechError) as caught:
        master(speech, rate, replace(PROFILES["loudspeaker"], intro_jingle=b"not audio"))
    assert "jingle" in caught.value.message_en and "Nhạc hiệu" in caught.value.message_vi
