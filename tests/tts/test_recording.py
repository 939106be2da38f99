"""Recorded-audio intake: WAV, MP3, OGG/Opus and M4A recordings are checked and mastered; bad ones refused."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

import tts
from tts.audio_io import encode_mp3
from tts.config import PROFILES
from tts.mastering import resample

from .conftest import SAMPLE_SENTENCE, decode, espeak_samples, measure


def _speech(seconds_at_least: float = 3.0) -> tuple[np.ndarray, int]:
    samples, rate = espeak_samples(SAMPLE_SENTENCE)
    while len(samples) < seconds_at_least * rate:
        samples = np.concatenate([samples, samples])
    return samples * 0.5, rate


def wav_bytes(samples: np.ndarray, rate: int, channels: int = 1) -> bytes:
    pcm = np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2")
    if channels == 2:
        pcm = np.repeat(pcm, 2)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def av_bytes(samples: np.ndarray, rate: int, container: str, codec: str, codec_rate: int) -> bytes:
    """Encode mono float samples with PyAV (bundled FFmpeg): ogg/libopus, ipod (m4a)/aac."""
    import av

    samples = resample(samples, rate, codec_rate)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        stream = out.add_stream(codec, rate=codec_rate)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples[None, :].astype(np.float32), format="flt", layout="mono")
        frame.sample_rate = codec_rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def _formats() -> dict[str, bytes]:
    speech, rate = _speech()
    return {
        "bulletin.wav": wav_bytes(speech, rate),
        "stereo.wav": wav_bytes(speech, rate, channels=2),
        "bulletin.mp3": encode_mp3(speech, rate, 64),
        "bulletin.ogg": av_bytes(speech, rate, "ogg", "libopus", 48000),
        "bulletin.m4a": av_bytes(speech, rate, "ipod", "aac", 44100),
    }


@pytest.mark.parametrize(
    "filename", ["bulletin.wav", "stereo.wav", "bulletin.mp3", "bulletin.ogg", "bulletin.m4a"]
)
def test_recordings_in_common_formats_are_mastered_for_loudspeakers(filename: str) -> None:
    data = _formats()[filename]
    result = tts.import_recording(data, filename=filename)
    _samples, rate, channels = decode(result.mp3)
    assert (rate, channels) == (22050, 1)
    loudness, peak = measure(result.mp3)
    assert abs(loudness - PROFILES["loudspeaker"].target_lufs) <= 0.5
    assert peak <= -1.0
    assert result.duration_s > 2.5
    assert result.engine == "recording"


def test_recording_for_the_portal_profile_is_wider_band() -> None:
    speech, rate = _speech()
    result = tts.import_recording(wav_bytes(speech, rate), profile="portal")
    assert decode(result.mp3)[1] == PROFILES["portal"].sample_rate == 24000


def _rejected(data: bytes, **kwargs: object) -> tts.AudioRejected:
    with pytest.raises(tts.AudioRejected) as caught:
        tts.import_recording(data, filename="upload.wav", **kwargs)  # type: ignore[arg-type]
    assert caught.value.message_vi and caught.value.message_en
    return caught.value


def test_corrupt_file_is_refused() -> None:
    speech, rate = _speech()
    good = wav_bytes(speech, rate)
    error = _rejected(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 4)
    assert "cannot be decoded" in error.message_en and "giải mã" in error.message_vi
    _rejected(b"")
    _rejected(b"this is a text file, not audio\n" * 40)
    _rejected(encode_mp3(speech, rate, 64)[:0] + good[:40])  # a header with no audio


def test_silent_recording_is_refused() -> None:
    error = _rejected(wav_bytes(np.zeros(22050 * 3, np.float32), 22050))
    assert "silent" in error.message_en


def test_almost_silent_hiss_is_refused() -> None:
    noise = np.random.default_rng(0).normal(0, 10 ** (-66 / 20), 22050 * 3).astype(np.float32)
    _rejected(wav_bytes(noise, 22050))


def test_clipped_recording_is_refused() -> None:
    speech, rate = _speech()
    clipped = np.clip(speech / np.abs(speech).max() * 8, -1, 1)
    error = _rejected(wav_bytes(clipped, rate))
    assert "clipped" in error.message_en and "méo" in error.message_vi


def test_too_short_and_too_long_recordings_are_refused() -> None:
    speech, rate = _speech()
    error = _rejected(wav_bytes(speech[: rate // 2], rate))
    assert "at least 1 s" in error.message_en
    error = _rejected(wav_bytes(speech, rate), max_seconds=2.0)
    assert "at most 2 s" in error.message_en


def test_loud_but_clean_recording_is_accepted() -> None:
    speech, rate = _speech()
    loud = speech / np.abs(speech).max() * 0.999  # peaks touch full scale a few times: not clipping
    assert tts.import_recording(wav_bytes(loud, rate)).duration_s > 2.5
