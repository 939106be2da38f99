"""Decoding audio files (WAV, MP3, OGG/Opus, M4A through PyAV's bundled FFmpeg) and encoding MP3 with LAME."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from tts.errors import AudioRejected


def _undecodable(reason: str) -> AudioRejected:
    return AudioRejected(
        f"The audio file cannot be decoded ({reason}). Send a WAV, MP3, OGG/Opus or M4A recording.",
        f"Không giải mã được tệp âm thanh ({reason}). Hãy gửi bản ghi âm WAV, MP3, OGG/Opus hoặc M4A.",
    )


# A sample at or above this magnitude is taken as full scale (decoders ring slightly around clipped peaks).
FULL_SCALE = 0.98


@dataclass(frozen=True)
class DecodedAudio:
    """A decoded file mixed down to mono, with what the original channels showed about clipping."""

    samples: np.ndarray  # mono float32
    sample_rate: int
    channels: int
    peak: float  # largest magnitude in any channel
    clipped_fraction: float  # share of all channel samples at full scale

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate


def _planes(frame) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A planar float frame as a (channels, samples) array, read straight from its buffers."""
    count = frame.samples
    return np.stack([np.frombuffer(plane, dtype=np.float32, count=count) for plane in frame.planes])


def _float_frames(container, stream):  # type: ignore[no-untyped-def]
    """(channels, samples) float32 arrays for every decoded frame of ``stream``."""
    import av

    to_float = None
    for frame in container.decode(stream):
        if frame.format.name == "fltp":  # MP3, AAC, Opus and Vorbis decode to this already
            yield _planes(frame)
            continue
        to_float = to_float or av.AudioResampler(format="fltp")
        for converted in to_float.resample(frame):
            yield converted.to_ndarray()
    if to_float is not None:
        for converted in to_float.resample(None):
            yield converted.to_ndarray()


def decode_audio(data: bytes) -> DecodedAudio:
    """Decode an audio file frame by frame into mono float32 (only the mono signal is kept in memory)."""
    import av

    if not data:
        raise _undecodable("the file is empty")
    blocks: list[np.ndarray] = []
    channels, peak, clipped, total = 0, 0.0, 0, 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            streams = [s for s in container.streams if s.type == "audio"]
            if not streams:
                raise _undecodable("it has no audio track")
            for block in _float_frames(container, streams[0]):
                if block.size == 0:
                    continue
                magnitude = np.abs(block)
                channels = max(channels, block.shape[0])
                peak = max(peak, float(magnitude.max()))
                clipped += int(np.count_nonzero(magnitude >= FULL_SCALE))
                total += block.size
                blocks.append(
                    block[0].copy() if block.shape[0] == 1 else block.mean(axis=0, dtype=np.float32)
                )
            rate = streams[0].rate or streams[0].codec_context.sample_rate
    except AudioRejected:
        raise
    except (av.FFmpegError, ValueError, IndexError, OSError) as exc:
        raise _undecodable(str(exc) or type(exc).__name__) from exc
    if not blocks or not rate:
        raise _undecodable("no audio frames")
    samples = np.concatenate(blocks)
    return DecodedAudio(samples, int(rate), channels, peak, clipped / total)


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels of a (channels, frames) array into one float32 channel."""
    if samples.ndim == 1:
        return samples.astype(np.float32, copy=False)
    if samples.shape[0] == 1:
        return samples[0].astype(np.float32, copy=False)
    return samples.mean(axis=0, dtype=np.float32)


LAME_INPUT_SCALE = 0.95


def encode_mp3(samples: np.ndarray, sample_rate: int, bitrate_kbps: int, *, quality: int = 5) -> bytes:
    """Constant-bitrate mono MP3 of float samples in [-1, 1]."""
    import lameenc

    # LAME scales its input by 0.95 (measured: -0.446 dB at every rate and bitrate, decoded by FFmpeg
    # and by libsndfile/mpg123 alike): scale up so the decoded file carries the mastered level.
    scaled = np.multiply(samples, np.float32(32767.0 / LAME_INPUT_SCALE), dtype=np.float32)
    np.round(scaled, out=scaled)
    np.clip(scaled, -32768, 32767, out=scaled)
    pcm = scaled.astype("<i2")
    del scaled
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate_kbps)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_out_sample_rate(sample_rate)
    encoder.set_channels(1)
    encoder.set_quality(quality)
    encoder.silence()
    return bytes(encoder.encode(pcm.tobytes()) + encoder.flush())
