"""eSpeak NG voices for Vietnamese (north, central, south) through the library bundled by espeakng-loader."""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tts.config import SynthesisConfig
from tts.engine import AudioChunk, Engine, Voice, VoiceInfo
from tts.errors import EngineUnavailable, SpeechError

LICENCE = "GPL-3.0"
SAMPLE_RATE = 22050  # eSpeak NG always synthesizes at 22.05 kHz

# Our voice name -> (eSpeak voice name, region)
_VOICES = {
    "espeak-vi-north": ("vi", "north"),
    "espeak-vi-central": ("vi-vn-x-central", "central"),
    "espeak-vi-south": ("vi-vn-x-south", "south"),
}

# Words per minute at speed 1.0: slower than eSpeak's 175 default so that outdoor listeners keep up.
BASE_RATE_WPM = 150
BASE_PITCH = 50  # eSpeak's pitch scale is 0..99, default 50

# espeak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
_ESPEAK_PITCH = 3
_ESPEAK_POS_CHARACTER = 1
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

# libespeak-ng keeps global state (current voice, parameters, one callback): one synthesis at a time.
_LOCK = threading.Lock()


class _Library:
    """The loaded libespeak-ng, initialised once for synchronous synthesis into a Python callback."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        data_path = espeakng_loader.get_data_path().encode()
        rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, 0)
        if rate <= 0:
            raise OSError(f"espeak_Initialize failed ({rate}) with data at {data_path.decode()}")
        self.sample_rate = rate
        self._buffers: list[np.ndarray] = []
        self._callback = _SYNTH_CALLBACK(self._collect)  # keep a reference: C holds only the pointer
        self.lib.espeak_SetSynthCallback(self._callback)
        self.version = self._read_version()

    def _read_version(self) -> str:
        self.lib.espeak_Info.restype = ctypes.c_char_p
        self.lib.espeak_Info.argtypes = [ctypes.c_void_p]
        return (self.lib.espeak_Info(None) or b"").decode(errors="replace")

    def _collect(self, wav, count, _events) -> int:
        if wav and count > 0:
            self._buffers.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # 0 = continue synthesis

    def synthesize(self, text: str, espeak_voice: str, rate_wpm: int, pitch: int) -> np.ndarray:
        """int16 PCM for ``text`` spoken by ``espeak_voice``."""
        with _LOCK:
            if self.lib.espeak_SetVoiceByName(espeak_voice.encode()) != 0:
                raise EngineUnavailable(
                    f"eSpeak NG has no voice {espeak_voice!r} in its bundled data.",
                    f"eSpeak NG không có giọng {espeak_voice!r} trong dữ liệu đi kèm.",
                )
            self.lib.espeak_SetParameter(_ESPEAK_RATE, rate_wpm, 0)
            self.lib.espeak_SetParameter(_ESPEAK_PITCH, pitch, 0)
            self._buffers = []
            data = text.encode("utf-8") + b"\0"
            status = self.lib.espeak_Synth(
                data, len(data), 0, _ESPEAK_POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None
            )
            self.lib.espeak_Synchronize()
            buffers, self._buffers = self._buffers, []
        if status != 0:
            raise SpeechError(
                f"eSpeak NG could not synthesize the text (status {status}).",
                f"eSpeak NG không tổng hợp được văn bản (mã lỗi {status}).",
            )
        return np.concatenate(buffers) if buffers else np.zeros(0, dtype=np.int16)


_library: _Library | None = None


def _get_library() -> _Library:
    """The process-wide libespeak-ng, loaded on first use."""
    global _library
    with _LOCK:
        if _library is None:
            _library = _Library()
        return _library


class EspeakVoice(Voice):
    """One eSpeak NG Vietnamese voice."""

    def __init__(self, info: VoiceInfo, espeak_voice: str) -> None:
        self.info = info
        self.espeak_voice = espeak_voice
        self._library = _get_library()

    def synthesize(self, text: str, config: SynthesisConfig) -> Iterator[AudioChunk]:
        """One chunk of 22.05 kHz speech for ``text``."""
        rate = round(BASE_RATE_WPM * config.speed)
        pitch = int(np.clip(round(BASE_PITCH + 49 * config.pitch), 0, 99))
        pcm = self._library.synthesize(text, self.espeak_voice, rate, pitch)
        yield AudioChunk(samples=pcm.astype(np.float32) / 32768.0, sample_rate=self._library.sample_rate)


class EspeakEngine(Engine):
    """eSpeak NG (formant synthesis): robotic but fast, tones rendered, runs everywhere."""

    name = "espeak"
    licence = LICENCE

    def availability(self) -> tuple[bool, str]:
        try:
            _get_library()
        except ImportError:
            return False, "the espeakng-loader package is not installed (pip install espeakng-loader)"
        except OSError as exc:
            return False, f"libespeak-ng from espeakng-loader does not load: {exc}"
        return True, ""

    def voices(self, models_dir: Path | None = None) -> list[VoiceInfo]:
        available, reason = self.availability()
        return [
            VoiceInfo(
                name=name,
                engine=self.name,
                language="vie",
                region=region,
                sample_rate=SAMPLE_RATE,
                licence=LICENCE,
                available=available,
                reason=reason,
                description=f"eSpeak NG voice {espeak_voice}",
            )
            for name, (espeak_voice, region) in _VOICES.items()
        ]

    def load(self, info: VoiceInfo) -> Voice:
        if info.name not in _VOICES:
            raise EngineUnavailable(
                f"eSpeak NG has no voice called {info.name!r}.",
                f"eSpeak NG không có giọng {info.name!r}.",
            )
        return EspeakVoice(info, _VOICES[info.name][0])

    def version(self) -> str:
        return f"espeak-ng {_get_library().version}"


ENGINE = EspeakEngine()
