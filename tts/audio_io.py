"""Decoding audio files (WAV, MP3, OGG/Opus, M4A through PyAV's bundled FFmpeg) and encoding MP3 with LAME."""

from __future__ import annotations

import io

import numpy as np

from tts.errors import AudioRejected


def _undecodable(reason: str) -> AudioRejected:
    return AudioRejected(
        f"The audio file cannot be decoded ({reason}). Send a WAV, MP3, OGG/Opus or M4A recording.",
        f"Không giải mã được tệp âm thanh ({reason}). Hãy gửi bản ghi âm WAV, MP3, OGG/Opus hoặc M4A.",
    )


def _planes(frame) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A planar float frame as a (channels, samples) array, read straight from its buffers."""
    count = frame.samples
    return np.stack([np.frombuffer(plane, dtype=np.float32, count=count) for plane in frame.planes])


def decode_audio(data: bytes) -> tuple[np.ndarray, int]:
    """Float32 samples shaped (channels, frames) and the sample rate of an encoded audio file."""
    import av

    if not data:
        raise _undecodable("the file is empty")
    blocks: list[np.ndarray] = []
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            streams = [s for s in container.streams if s.type == "audio"]
            if not streams:
                raise _undecodable("it has no audio track")
            stream = streams[0]
            to_float = av.AudioResampler(format="fltp")
            for frame in container.decode(stream):
                if frame.format.name == "fltp":  # MP3, AAC, Opus and Vorbis decode to this already
                    blocks.append(_planes(frame))
                    continue
                blocks.extend(converted.to_ndarray() for converted in to_float.resample(frame))
            rate = stream.rate or stream.codec_context.sample_rate
    except AudioRejected:
        raise
    except (av.FFmpegError, ValueError, IndexError, OSError) as exc:
        raise _undecodable(str(exc) or type(exc).__name__) from exc
    if not blocks or not rate:
        raise _undecodable("no audio frames")
    samples = np.concatenate(blocks, axis=1).astype(np.float32, copy=False)
    if samples.shape[1] == 0:
        raise _undecodable("no audio frames")
    return samples, int(rate)


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
