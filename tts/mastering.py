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
_LIMITER_MARGIN_DB = 1.7  # 64 kbit/s MP3 raised true peaks by 0.4-1.5 dB on the sample bulletins: limit below
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


def k_weighted_power(samples: np.ndarray, rate: int) -> np.ndarray:
    """Squared K-weighted signal (float32), the quantity BS.1770 averages over its gating blocks."""
    weighted = signal.sosfilt(_k_weighting(rate).astype(np.float32), np.asarray(samples, dtype=np.float32))
    np.square(weighted, out=weighted)
    return weighted


def _block_energies(power: np.ndarray, rate: int) -> np.ndarray:
    """Mean power of each 400 ms block, blocks starting every 100 ms (pyloudnorm's block bounds)."""
    step = rate / 10
    count = round((power.size / rate - _MIN_LOUDNESS_SECONDS) * 10) + 1
    if step.is_integer():
        step = int(step)
        whole = min(power.size // step, count + 3)
        sums = np.zeros(count + 3)
        sums[:whole] = power[: whole * step].reshape(whole, step).sum(axis=1, dtype=np.float64)
        if power.size > whole * step and whole < count + 3:  # the last, partial 100 ms step
            sums[whole] = power[whole * step :].sum(dtype=np.float64)
        return (sums[:count] + sums[1 : count + 1] + sums[2 : count + 2] + sums[3 : count + 3]) / (4 * step)
    # Rates that are not a multiple of 10 Hz: exact block bounds through a running sum.
    energy = np.concatenate([[0.0], np.cumsum(power, dtype=np.float64)])
    starts = (np.arange(count) * step).astype(np.int64)
    ends = np.minimum(starts + int(_MIN_LOUDNESS_SECONDS * rate), power.size)
    return (energy[ends] - energy[starts]) / (_MIN_LOUDNESS_SECONDS * rate)


def _gate(z: np.ndarray) -> float:
    """BS.1770 integrated loudness from block mean powers: absolute gate at -70 LUFS, relative at -10 LU."""
    with np.errstate(divide="ignore"):
        block_loudness = -0.691 + 10 * np.log10(z)
    gated = z[block_loudness >= _SILENT_LUFS]
    if gated.size == 0:
        return -math.inf
    relative_gate = -0.691 + 10 * math.log10(gated.mean()) - 10
    kept = z[(block_loudness > relative_gate) & (block_loudness > _SILENT_LUFS)]
    return -0.691 + 10 * math.log10(kept.mean()) if kept.size else -math.inf


def gated_loudness(power: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) from K-weighted power, with BS.1770's absolute and relative gates."""
    return _gate(_block_energies(power, rate))


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
    return gated_loudness(k_weighted_power(x, rate), rate)


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
    return signal.sosfilt(sos.astype(np.float32), np.asarray(samples, dtype=np.float32))


def _frame_levels_db(samples: np.ndarray, hop: int, window_frames: int) -> np.ndarray:
    """RMS level in dBFS of hop-sized frames, smoothed over ``window_frames`` frames."""
    x = np.asarray(samples, dtype=np.float32)
    whole = len(x) // hop
    frames = x[: whole * hop].reshape(whole, hop)
    power = np.einsum("ij,ij->i", frames, frames) / hop  # no squared copy of the whole signal
    if whole * hop < len(x):
        tail = x[whole * hop :]
        power = np.append(power, np.dot(tail, tail) / hop)
    if window_frames > 1:
        power = uniform_filter1d(power.astype(np.float64), size=window_frames, mode="nearest")
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
    # Per-sample gain: each frame's value held for its 5 ms, then a moving average over one frame turns the
    # steps into straight ramps between frame centres (linear interpolation without a float64 temporary).
    gains = np.power(10.0, -smoothed / 20).astype(np.float32)
    gain = uniform_filter1d(np.repeat(gains, hop)[: len(samples)], size=hop, mode="nearest")
    gain *= samples
    return gain


_LIMITER_BLOCK = 32  # samples per limiter gain step


def _block_reduce(values: np.ndarray, block: int, reduce: np.ufunc) -> np.ndarray:
    """``reduce`` (np.minimum, np.maximum, np.add) over every ``block`` values (the last may be shorter)."""
    whole = len(values) // block
    result = reduce.reduce(values[: whole * block].reshape(whole, block), axis=1)
    if whole * block < len(values):
        result = np.append(result, reduce.reduce(values[whole * block :]))
    return result


def _limiter_radius(rate: int) -> int:
    """Look-ahead, hold and release of the limiter (5 ms) in blocks."""
    return max(1, round(0.005 * rate / _LIMITER_BLOCK))


def _held_gain(block_peaks: np.ndarray, rate: int, ceiling_dbtp: float) -> np.ndarray | None:
    """Per-block gain keeping each block's true peak under the ceiling, held 5 ms either side; None if unneeded."""
    ceiling = 10 ** (ceiling_dbtp / 20)
    needed = np.minimum(1.0, ceiling / np.maximum(block_peaks, 1e-9))
    if needed.min() >= 1.0:
        return None
    return minimum_filter1d(needed, size=2 * _limiter_radius(rate) + 3)


def _gain_curve(held: np.ndarray, length: int, rate: int) -> np.ndarray:
    """Per-sample gain from held block gains, smoothed over 5 ms.

    A moving average no wider than the hold keeps every sample at or below the gain it needs.
    """
    size = _limiter_radius(rate) * _LIMITER_BLOCK
    return uniform_filter1d(
        np.repeat(held.astype(np.float32), _LIMITER_BLOCK)[:length], size=size, mode="nearest"
    )


def limiter_gain(peaks: np.ndarray, rate: int, ceiling_dbtp: float) -> np.ndarray | None:
    """Per-sample gain that keeps a true-peak envelope under the ceiling (look-ahead, hold, release ramps)."""
    held = _held_gain(_block_reduce(peaks, _LIMITER_BLOCK, np.maximum), rate, ceiling_dbtp)
    return None if held is None else _gain_curve(held, len(peaks), rate)


def apply_gain_db(samples: np.ndarray, gain_db: float) -> np.ndarray:
    """Scale by ``gain_db`` decibels."""
    return (samples * np.float32(10 ** (gain_db / 20))).astype(np.float32, copy=False)


def normalize_loudness(samples: np.ndarray, rate: int, target_lufs: float) -> np.ndarray:
    """Gain so the integrated loudness meets ``target_lufs`` (silence is returned unchanged)."""
    loudness = integrated_loudness(samples, rate)
    return samples if not math.isfinite(loudness) else apply_gain_db(samples, target_lufs - loudness)


def meet_targets(
    samples: np.ndarray, rate: int, target_lufs: float, ceiling_dbtp: float
) -> tuple[np.ndarray, float]:
    """Find the gain that, followed by the true-peak limiter, meets the loudness target: (audio, LUFS estimate).

    Gain is linear, so the true-peak envelope and the K-weighted power are computed once and reduced to
    32-sample blocks; each try scales the block peaks, derives the limiter's block gains and estimates the
    loudness from the block powers weighted by them (the limiter's gain moves slowly next to the audio).
    Only the chosen gain is applied sample by sample. The caller measures the encoded result exactly.
    """
    minimum = math.ceil(_MIN_LOUDNESS_SECONDS * rate) + 1
    x = np.asarray(samples, dtype=np.float32)
    looped = np.resize(x, minimum) if x.size < minimum else x  # short clips are measured looped
    power = k_weighted_power(looped, rate)
    loudness = gated_loudness(power, rate)
    if not math.isfinite(loudness):
        raise SpeechError("The audio is silent.", "Âm thanh không có tiếng.")
    start = target_lufs - loudness
    most = start + 12.0  # the limiter never needs more than 12 dB of extra gain to reach the target
    floor = 10 ** ((ceiling_dbtp - most) / 20) / 2
    block_peaks = _block_reduce(_true_peak_envelope(looped, floor), _LIMITER_BLOCK, np.maximum)
    block_power = _block_reduce(power.astype(np.float64), _LIMITER_BLOCK, np.add)
    step_of_block = (np.arange(block_power.size) * _LIMITER_BLOCK / (rate / 10)).astype(np.int64)
    count = round((power.size / rate - _MIN_LOUDNESS_SECONDS) * 10) + 1
    gain_db, tried, held = start, [], None
    for _ in range(10):
        scale = 10 ** (gain_db / 20)
        held = _held_gain(block_peaks * scale, rate, ceiling_dbtp)
        if held is None:
            loudness = gated_loudness(power, rate) + gain_db
        else:
            gains = uniform_filter1d(held, size=_limiter_radius(rate), mode="nearest") * scale
            steps = np.bincount(step_of_block, weights=block_power * gains * gains, minlength=count + 3)
            z = (steps[:count] + steps[1 : count + 1] + steps[2 : count + 2] + steps[3 : count + 3]) / (
                _MIN_LOUDNESS_SECONDS * rate
            )
            loudness = _gate(z)
        tried.append((gain_db, loudness))
        error = target_lufs - loudness
        if abs(error) <= _LOUDNESS_TOLERANCE_LU / 2:
            break
        if len(tried) >= 2 and tried[-1][1] != tried[-2][1]:  # secant: limiting makes gain less effective
            slope = (tried[-1][1] - tried[-2][1]) / (tried[-1][0] - tried[-2][0])
            gain_db += error / min(max(slope, 0.1), 1.0)
        else:
            gain_db += error * 1.5
        gain_db = min(gain_db, most)
    if held is None:
        return apply_gain_db(x, tried[-1][0]), loudness
    curve = _gain_curve(held, x.size, rate)
    curve *= np.float32(10 ** (tried[-1][0] / 20))
    curve *= x
    return curve, loudness


def measure_mp3(mp3: bytes) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of an MP3 as a player decodes it."""
    decoded = decode_audio(mp3)
    return integrated_loudness(decoded.samples, decoded.sample_rate), true_peak_dbtp(decoded.samples)


def encode_to_targets(
    samples: np.ndarray, rate: int, profile: MasteringProfile
) -> tuple[bytes, np.ndarray, float, float]:
    """MP3 whose decoded audio meets the profile's loudness and true-peak targets: (mp3, audio, LUFS, dBTP).

    The encoder adds its own overshoot (up to ~1 dB at 64 kbit/s), so the limiter works below the ceiling;
    the MP3 is then decoded and measured. If a peak went over or the loudness drifted, the audio is turned
    down or up when that is enough, else limited again to a lower ceiling; then encoded again.
    """
    ceiling = profile.true_peak_dbtp - _LIMITER_MARGIN_DB
    target = profile.target_lufs
    out, _ = meet_targets(samples, rate, target, ceiling)
    for _ in range(4):
        mp3 = encode_mp3(out, rate, profile.mp3_bitrate_kbps)
        loudness, peak = measure_mp3(mp3)
        excess = peak - (profile.true_peak_dbtp - 0.02)
        error = profile.target_lufs - loudness
        if excess <= 0 and abs(error) <= _LOUDNESS_TOLERANCE_LU * 2:
            break
        shift = min(error, -excess - 0.05)  # toward the target loudness, never pushing a peak over
        if abs(profile.target_lufs - (loudness + shift)) <= _LOUDNESS_TOLERANCE_LU * 2:
            out = apply_gain_db(out, shift)  # a plain gain change is enough
        else:
            ceiling -= max(excess, 0.0) + 0.1
            target += error
            out, _ = meet_targets(samples, rate, target, ceiling)
    return mp3, out, loudness, peak


def prepare_jingle(data: bytes, profile: MasteringProfile) -> np.ndarray:
    """A jingle decoded, resampled, band-limited and brought to the profile's loudness target."""
    try:
        decoded = decode_audio(data)
    except SpeechError as exc:
        raise SpeechError(
            f"The jingle of mastering profile {profile.name!r} is not usable audio: {exc.message_en}",
            f"Nhạc hiệu của cấu hình {profile.name!r} không dùng được: {exc.message_vi}",
        ) from exc
    x = resample(decoded.samples, decoded.sample_rate, profile.sample_rate)
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
