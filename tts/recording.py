"""Recorded-audio intake: check an uploaded recording (decodes, not silent, not clipped, right length), master it."""

from __future__ import annotations

import math
import time

from tts.audio_io import DecodedAudio, decode_audio
from tts.config import MasteringProfile
from tts.errors import AudioRejected, SpeechError
from tts.mastering import get_profile, integrated_loudness, master
from tts.render import SpeechResult

MAX_CLIPPED_FRACTION = 0.01  # more than 1 % of samples at full scale: the recording was clipped
SILENT_PEAK_DBFS = -50.0  # a recording whose loudest sample is quieter than this is silent
SILENT_LUFS = -60.0  # ...or whose speech is quieter than this


def _describe(filename: str | None) -> str:
    return f" ({filename})" if filename else ""


def check_recording(
    decoded: DecodedAudio, *, filename: str | None, min_seconds: float, max_seconds: float
) -> None:
    """Raise AudioRejected when a decoded recording is too short, too long, silent or clipped."""
    name = _describe(filename)
    duration = decoded.duration_s
    if duration < min_seconds:
        raise AudioRejected(
            f"The recording{name} lasts {duration:.1f} s; it must last at least {min_seconds:g} s.",
            f"Bản ghi âm{name} chỉ dài {duration:.1f} giây; cần dài ít nhất {min_seconds:g} giây.",
        )
    if duration > max_seconds:
        raise AudioRejected(
            f"The recording{name} lasts {duration:.0f} s; at most {max_seconds:g} s can be broadcast. "
            "Cut it or split it into several bulletins.",
            f"Bản ghi âm{name} dài {duration:.0f} giây; tối đa {max_seconds:g} giây. "
            "Hãy cắt ngắn hoặc chia thành nhiều bản tin.",
        )
    peak_db = 20 * math.log10(decoded.peak) if decoded.peak > 0 else -math.inf
    if peak_db < SILENT_PEAK_DBFS or integrated_loudness(decoded.samples, decoded.sample_rate) < SILENT_LUFS:
        raise AudioRejected(
            f"The recording{name} is silent or almost silent. Check the microphone and record again.",
            f"Bản ghi âm{name} không có tiếng hoặc quá nhỏ. Hãy kiểm tra micrô và ghi âm lại.",
        )
    if decoded.clipped_fraction > MAX_CLIPPED_FRACTION:
        raise AudioRejected(
            f"The recording{name} is distorted: {decoded.clipped_fraction:.1%} of it is clipped at full scale. "
            "Record again further from the microphone or with a lower input level.",
            f"Bản ghi âm{name} bị méo tiếng: {decoded.clipped_fraction:.1%} bị cắt đỉnh. "
            "Hãy ghi âm lại, để micrô xa hơn hoặc giảm mức thu.",
        )


def import_recording(
    data: bytes,
    *,
    filename: str | None = None,
    profile: str | MasteringProfile = "loudspeaker",
    min_seconds: float = 1.0,
    max_seconds: float = 900.0,
) -> SpeechResult:
    """Check an uploaded WAV/MP3/OGG/M4A recording and master it like synthesized speech."""
    mastering_profile = get_profile(profile)
    started = time.perf_counter()
    decoded = decode_audio(data)
    check_recording(decoded, filename=filename, min_seconds=min_seconds, max_seconds=max_seconds)
    checked = time.perf_counter()
    try:
        mastered = master(decoded.samples, decoded.sample_rate, mastering_profile)
    except SpeechError as exc:  # e.g. nothing left above the noise floor once rumble is filtered out
        raise AudioRejected(exc.message_en, exc.message_vi) from exc
    finished = time.perf_counter()
    return SpeechResult.from_mastered(
        mastered,
        engine="recording",
        voice="recording",
        language="",
        licence="",
        profile=mastering_profile.name,
        fingerprint="",
        synthesis_seconds=round(checked - started, 4),
        mastering_seconds=round(finished - checked, 4),
        audio_seconds=round(decoded.duration_s, 3),
        chunks=1,
    )
