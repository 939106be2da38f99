"""Mastering for village loudspeakers: resample, band-limit, trim, compress, loudness to target, true-peak limit, MP3."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import signal
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from tts.audio_io import decode_audio, encode_mp3, to_mono
from tts.config import PROFILES, MasteringProfile
from tts.errors import SpeechError

# pyloudnorm gates 400 ms blocks; shorter audio is measured on itself repeated to this length.
_MIN_LOUDNESS_SECONDS = 0.4
_SILENT_LUFS = -70.0  # BS.1770 absolute gate: anything quieter is silence
_LIMITER_MARGIN_DB = 1.2  # MP3 encoding raises true peaks by up to ~1 dB: limit below the profile's ceiling
_LOUDNESS_TOLERANCE_LU = 0.15  # how close to target the gain/limiter loop stops


@dataclass(frozen=True)
class MasteredAudio:
    """Finished audio: the MP3, the signal it was encoded from, and loudness and true peak of the decoded MP3."""

    mp3: bytes
    samples: np.ndarray
    sample_rate: int
    loudness_lufs: float
    true_peak_dbtp: float

    @property
    def duration_s(self) -> float:
        """Length of the mastered audio in seconds."""
        return len(self.samples) / self.sample_rate


def get_profile(profile: str | MasteringProfile) -> MasteringProfile:
    """A profile by name (``loudspeaker``, ``portal``) or the profile object itself."""
    if isinstance(profile, MasteringProfile):
        return profile
    if profile in PROFILES:
        return PROFILES[profile]
    known = ", ".join(sorted(PROFILES))
    raise SpeechError(
        f"Unknown mastering profile {profile!r}; known profiles: {known}.",
        f"Không có cấu hình xử lý âm thanh {profile!r}; các cấu hình hiện có: {known}.",
    )


# --- measurement -----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _k_weighting(rate: int) -> np.ndarray:
    """pyloudnorm's BS.1770-4 K-weighting filters (high shelf, then high pass) as second-order sections."""
    import pyloudnorm

    stages = pyloudnorm.Meter(rate)._filters
    return np.vstack(
        [np.concatenate([stages[name].b, stages[name].a]) for name in ("high_shelf", "high_pass")]
    )


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """BS.1770-4 integrated loudness in LUFS; ``-inf`` for silence; clips shorter than 0.4 s are looped.

    Same K-weighting, 400 ms blocks with 75 % overlap and gates as ``pyloudnorm.Meter.integrated_loudness``
    (a test holds them equal), with block energies summed per 100 ms step instead of a Python loop.
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.size == 0 or not np.any(x):
        return -math.inf
    minimum = math.ceil(_MIN_LOUDNESS_SECONDS * rate) + 1
    if x.size < minimum:
        x = np.resize(x, minimum)  # repeats the clip: same mean-square energy, long enough for one block
    weighted = signal.sosfilt(_k_weighting(rate).astype(np.float32), x)
    np.square(weighted, out=weighted)
    step = rate / 10  # blocks of 400 ms start every 100 ms
    count = round((x.size / rate - _MIN_LOUDNESS_SECONDS) * 10) + 1
    if step.is_integer():
        step = int(step)
        steps = np.zeros((count + 3) * step, dtype=np.float32)
        used = min(len(steps), len(weighted))
        steps[:used] = weighted[:used]
        sums = steps.reshape(-1, step).sum(axis=1, dtype=np.float64)
        z = (sums[:count] + sums[1 : count + 1] + sums[2 : count + 2] + sums[3 : count + 3]) / (4 * step)
    else:  # rates that are not a multiple of 10 Hz: exact block bounds through a running sum
        energy = np.concatenate([[0.0], np.cumsum(weighted, dtype=np.float64)])
        starts = (np.arange(count) * step).astype(np.int64)
        ends = np.minimum(starts + int(_MIN_LOUDNESS_SECONDS * rate), x.size)
        z = (energy[ends] - energy[starts]) / (_MIN_LOUDNESS_SECONDS * rate)
    with np.errstate(divide="ignore"):
        block_loudness = -0.691 + 10 * np.log10(z)
    gated = z[block_loudness >= _SILENT_LUFS]
    if gated.size == 0:
        return -math.inf
    relative_gate = -0.691 + 10 * math.log10(gated.mean()) - 10
    kept = z[(block_loudness > relative_gate) & (block_loudness > _SILENT_LUFS)]
    return -0.691 + 10 * math.log10(kept.mean()) if kept.size else -math.inf


@lru_cache(maxsize=1)
def _oversampling_taps() -> np.ndarray:
    """The four 12-tap phases of a 48-tap 4x interpolation filter (as in BS.1770-4 Annex 2), shape (12, 4).

    Row j weighs input sample n - 5 + j; column k gives the signal at n + k/4 (up to a common delay).
    """
    taps = signal.firwin(48, 0.9 / 4, window=("kaiser", 8.0)) * 4
    phases = np.stack([taps[phase::4] for phase in range(4)])
    return np.ascontiguousarray(phases[:, ::-1].T, dtype=np.float32)


def _true_peak_envelope(samples: np.ndarray, floor: float) -> np.ndarray:
    """Per-sample peak of the 4x oversampled signal wherever a sample within 6 of it reaches ``floor``.

    Elsewhere the envelope is the sample peak: between samples no louder than ``floor`` (chosen 6 dB below
    what matters) band-limited audio does not overshoot to where it would matter, and skipping them keeps
    this about ten times cheaper than oversampling everything.
    """
    x = np.asarray(samples, dtype=np.float32)
    peaks = np.abs(x)
    loud = np.flatnonzero(peaks >= floor)
    if loud.size == 0:
        return peaks
    near = np.zeros(len(x) + 12, dtype=bool)
    for offset in range(13):  # every sample within 6 of a loud one
        near[loud + offset] = True
    candidates = np.flatnonzero(near[6 : 6 + len(x)])
    padded = np.pad(x, (5, 6))
    taps = _oversampling_taps()
    offsets = np.arange(12)
    for begin in range(0, candidates.size, 1 << 16):
        index = candidates[begin : begin + (1 << 16)]
        interpolated = np.abs(padded[index[:, None] + offsets] @ taps).max(axis=1)
        peaks[index] = np.maximum(peaks[index], interpolated)
    return peaks


def true_peak_dbtp(samples: np.ndarray) -> float:
    """True peak in dBTP, measured with 4x oversampling; ``-inf`` for silence."""
    if len(samples) == 0:
        return -math.inf
    sample_peak = float(np.max(np.abs(samples)))
    if sample_peak == 0:
        return -math.inf
    peak = float(_true_peak_envelope(samples, sample_peak / 2).max())
    return 20 * math.log10(peak)


# --- processing ------------------------------------------------------------------------------------


def resample(samples: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """Polyphase resampling to ``target_rate`` (float32)."""
    if rate == target_rate:
        return samples.astype(np.float32, copy=False)
    g = math.gcd(rate, target_rate)
    return signal.resample_poly(samples, target_rate // g, rate // g).astype(np.float32)


def band_limit(samples: np.ndarray, rate: int, highpass_hz: float, lowpass_hz: float | None) -> np.ndarray:
    """High-pass (4th order, removes rumble the horns cannot play) and optional low-pass (4th order)."""
    sos = signal.butter(4, highpass_hz, btype="highpass", fs=rate, output="sos")
    if lowpass_hz and lowpass_hz < rate / 2 * 0.95:
        sos = np.vstack([sos, signal.butter(4, lowpass_hz, btype="lowpass", fs=rate, output="sos")])
    return signal.sosfilt(sos, samples).astype(np.float32)


def _frame_levels_db(samples: np.ndarray, hop: int, window_frames: int) -> np.ndarray:
    """RMS level in dBFS of hop-sized frames, smoothed over ``window_frames`` frames."""
    frames = math.ceil(len(samples) / hop)
    padded = np.zeros(frames * hop, dtype=np.float32)
    padded[: len(samples)] = samples
    power = np.mean(np.square(padded.reshape(frames, hop), dtype=np.float64), axis=1)
    if window_frames > 1:
        power = uniform_filter1d(power, size=window_frames, mode="nearest")
    return 10 * np.log10(power + 1e-12)


def trim_silence(samples: np.ndarray, rate: int, threshold_db: float, keep_s: float) -> np.ndarray:
    """Cut leading and trailing audio quieter than ``threshold_db`` below the loudest passage, keep a margin."""
    if len(samples) == 0:
        return samples
    hop = max(1, rate // 100)  # 10 ms frames
    levels = _frame_levels_db(samples, hop, 3)
    loud = np.flatnonzero(levels > levels.max() + threshold_db)
    if loud.size == 0 or levels.max() < -100:
        return samples[:0]
    keep = int(keep_s * rate)
    start = max(0, loud[0] * hop - keep)
    end = min(len(samples), (loud[-1] + 1) * hop + keep)
    return samples[start:end]


def pad_edges(samples: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    """Silence of ``seconds`` before and after (so players do not clip the first syllable)."""
    pad = np.zeros(int(seconds * rate), dtype=np.float32)
    return np.concatenate([pad, samples, pad])


def compress(samples: np.ndarray, rate: int, profile: MasteringProfile) -> np.ndarray:
    """Gentle feed-forward RMS compression with soft knee, attack and release (gain computed per 5 ms)."""
    if len(samples) == 0:
        return samples
    hop = max(1, rate // 200)
    levels = _frame_levels_db(samples, hop, 4)  # ~20 ms RMS window
    over = levels - profile.compressor_threshold_db
    slope = 1.0 - 1.0 / profile.compressor_ratio
    knee = 6.0
    reduction = np.where(
        over <= -knee / 2,
        0.0,
        np.where(over >= knee / 2, over * slope, slope * (over + knee / 2) ** 2 / (2 * knee)),
    )
    attack = math.exp(-hop / (rate * profile.compressor_attack_ms / 1000))
    release = math.exp(-hop / (rate * profile.compressor_release_ms / 1000))
    smoothed = np.empty_like(reduction)
    current = 0.0
    for i, target in enumerate(reduction.tolist()):  # ~200 iterations per second of audio
        coeff = attack if target > current else release
        current = coeff * current + (1 - coeff) * target
        smoothed[i] = current
    gains = np.power(10.0, -smoothed / 20).astype(np.float32)
    centres = np.arange(len(gains), dtype=np.float32) * hop + hop / 2
    gain = np.interp(np.arange(len(samples), dtype=np.float32), centres, gains).astype(np.float32)
    gain *= samples
    return gain


def limit_true_peak(samples: np.ndarray, rate: int, ceiling_dbtp: float) -> np.ndarray:
    """Look-ahead limiter on the 4x oversampled peak: the gain ramps down before a peak and back after it."""
    ceiling = 10 ** (ceiling_dbtp / 20)
    peaks = _true_peak_envelope(samples, ceiling / 2)
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-9)).astype(np.float32)
    if needed.min() >= 1.0:
        return samples
    # Gain per 32-sample block (the block's smallest need), held for 5 ms either side, then smoothed over
    # 5 ms: a moving average no wider than the hold keeps every sample at or below the gain it needs.
    block = 32
    blocks = math.ceil(len(needed) / block)
    padded = np.ones(blocks * block, dtype=np.float32)
    padded[: len(needed)] = needed
    radius = max(1, round(0.005 * rate / block))
    held = minimum_filter1d(padded.reshape(blocks, block).min(axis=1), size=2 * radius + 3)
    gain = np.repeat(held, block)[: len(needed)]
    return (samples * uniform_filter1d(gain, size=radius * block, mode="nearest")).astype(np.float32)


def apply_gain_db(samples: np.ndarray, gain_db: float) -> np.ndarray:
    """Scale by ``gain_db`` decibels."""
    return (samples * np.float32(10 ** (gain_db / 20))).astype(np.float32, copy=False)


def normalize_loudness(samples: np.ndarray, rate: int, target_lufs: float) -> np.ndarray:
    """Gain so the integrated loudness meets ``target_lufs`` (silence is returned unchanged)."""
    loudness = integrated_loudness(samples, rate)
    return samples if not math.isfinite(loudness) else apply_gain_db(samples, target_lufs - loudness)


def meet_targets(
    samples: np.ndarray, rate: int, target_lufs: float, ceiling_dbtp: float
) -> tuple[np.ndarray, float, float]:
    """Find the gain that, followed by the true-peak limiter, meets the loudness target: (audio, LUFS, dBTP)."""
    loudness = integrated_loudness(samples, rate)
    if not math.isfinite(loudness):
        raise SpeechError("The audio is silent.", "Âm thanh không có tiếng.")
    gain = target_lufs - loudness
    tried: list[tuple[float, float]] = []  # (gain, loudness after limiting)
    for _ in range(6):
        out = limit_true_peak(apply_gain_db(samples, gain), rate, ceiling_dbtp)
        loudness = integrated_loudness(out, rate)
        tried.append((gain, loudness))
        error = target_lufs - loudness
        if abs(error) <= _LOUDNESS_TOLERANCE_LU:
            break
        if (
            len(tried) >= 2 and tried[-1][1] != tried[-2][1]
        ):  # secant step: limiting makes gain less effective
            slope = (tried[-1][1] - tried[-2][1]) / (tried[-1][0] - tried[-2][0])
            gain += error / min(max(slope, 0.2), 1.0)
        else:
            gain += error * 1.2
    peak = true_peak_dbtp(out)
    if peak > ceiling_dbtp + 0.05:  # the limiter's ramps left an overshoot: trade a little loudness
        out = apply_gain_db(out, ceiling_dbtp - peak)
        loudness, peak = integrated_loudness(out, rate), true_peak_dbtp(out)
    return out, loudness, peak


def measure_mp3(mp3: bytes) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of an MP3 as a player decodes it."""
    samples, rate = decode_audio(mp3)
    mono = to_mono(samples)
    return integrated_loudness(mono, rate), true_peak_dbtp(mono)


def encode_to_targets(
    samples: np.ndarray, rate: int, profile: MasteringProfile
) -> tuple[bytes, np.ndarray, float, float]:
    """MP3 whose decoded audio meets the profile's loudness and true-peak targets: (mp3, audio, LUFS, dBTP).

    The encoder adds its own overshoot (up to ~1 dB at 64 kbit/s), so the limiter works below the ceiling;
    the MP3 is then decoded and measured, and if a peak still went over, the audio is turned down by the
    excess and encoded again (the loudness stays within tolerance: the excess is a few tenths of a dB).
    """
    out, _, _ = meet_targets(samples, rate, profile.target_lufs, profile.true_peak_dbtp - _LIMITER_MARGIN_DB)
    for _ in range(3):
        mp3 = encode_mp3(out, rate, profile.mp3_bitrate_kbps)
        loudness, peak = measure_mp3(mp3)
        excess = peak - (profile.true_peak_dbtp - 0.02)
        if excess <= 0:
            break
        out = apply_gain_db(out, -(excess + 0.05))
    return mp3, out, loudness, peak


def prepare_jingle(data: bytes, profile: MasteringProfile) -> np.ndarray:
    """A jingle decoded, resampled, band-limited and brought to the profile's loudness target."""
    samples, rate = decode_audio(data)
    x = resample(to_mono(samples), rate, profile.sample_rate)
    x = band_limit(x, profile.sample_rate, profile.highpass_hz, profile.lowpass_hz)
    x = trim_silence(x, profile.sample_rate, profile.silence_threshold_db, 0.0)
    return normalize_loudness(x, profile.sample_rate, profile.target_lufs)


def add_jingles(speech: np.ndarray, profile: MasteringProfile) -> np.ndarray:
    """Intro jingle, a short gap, the speech, a gap, outro jingle (each part present only if set)."""
    if profile.intro_jingle is None and profile.outro_jingle is None:
        return speech
    gap = np.zeros(int(profile.jingle_gap_s * profile.sample_rate), dtype=np.float32)
    parts: list[np.ndarray] = []
    if profile.intro_jingle is not None:
        parts += [prepare_jingle(profile.intro_jingle, profile), gap]
    parts.append(speech)
    if profile.outro_jingle is not None:
        parts += [gap, prepare_jingle(profile.outro_jingle, profile)]
    return np.concatenate(parts)


def master(
    samples: np.ndarray, sample_rate: int, profile: str | MasteringProfile = "loudspeaker"
) -> MasteredAudio:
    """Shape mono float audio for ``profile`` and encode it as MP3 meeting its loudness and peak targets."""
    p = get_profile(profile)
    rate = p.sample_rate
    x = resample(to_mono(np.asarray(samples, dtype=np.float32)), sample_rate, rate)
    x = band_limit(x, rate, p.highpass_hz, p.lowpass_hz)
    x = trim_silence(x, rate, p.silence_threshold_db, 0.0)
    loudness = integrated_loudness(x, rate)
    if not math.isfinite(loudness):
        raise SpeechError(
            "The audio is silent: there is nothing to broadcast.",
            "Âm thanh không có tiếng: không có gì để phát.",
        )
    # Bring speech to the target first so the compressor's threshold means the same for every source.
    x = compress(apply_gain_db(x, p.target_lufs - loudness), rate, p)
    x = pad_edges(add_jingles(x, p), rate, p.edge_silence_s)
    mp3, x, loudness, peak = encode_to_targets(x, rate, p)
    return MasteredAudio(mp3=mp3, samples=x, sample_rate=rate, loudness_lufs=loudness, true_peak_dbtp=peak)
