"""VITS voices (MMS-TTS format) loaded with transformers from local model directories."""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tts.config import SynthesisConfig
from tts.engine import AudioChunk, Engine, Voice, VoiceInfo, local_voices
from tts.errors import EngineUnavailable, SpeechError

LIBRARY_LICENCE = "Apache-2.0 (transformers); model licence per voice"


class VitsVoice(Voice):
    """A transformers ``VitsModel`` with its tokenizer, loaded from one local directory."""

    def __init__(self, info: VoiceInfo) -> None:
        import torch
        from transformers import AutoTokenizer, VitsModel
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no progress bars in CLI output and flow logs

        self.info = info
        self._torch = torch
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(info.model_dir), local_files_only=True)
            self.model = VitsModel.from_pretrained(str(info.model_dir), local_files_only=True).eval()
        except Exception as exc:  # a user-supplied directory can be broken in many ways: say which and why
            raise EngineUnavailable(
                f"Cannot load the VITS model in {info.model_dir}: {exc}",
                f"Không nạp được mô hình VITS trong {info.model_dir}: {exc}",
            ) from exc
        self._vocab = set(self.tokenizer.get_vocab())
        self._lock = threading.Lock()  # a torch module is not safe to call from several threads at once

    def _known_characters(self, text: str) -> int:
        """How many characters of ``text`` the model's vocabulary can read (after its own lower-casing)."""
        lowered = text.lower() if getattr(self.tokenizer, "normalize", False) else text
        return sum(1 for ch in lowered if ch in self._vocab and not ch.isspace())

    def synthesize(self, text: str, config: SynthesisConfig) -> Iterator[AudioChunk]:
        """One chunk of speech for ``text`` at the model's sampling rate."""
        text = unicodedata.normalize("NFC", text)  # NFD input would lose its diacritics in the tokenizer
        if self._known_characters(text) == 0:
            # VITS crashes deep inside torch ("narrow(): length must be non-negative") on such input.
            raise SpeechError(
                f"Voice {self.info.name} cannot read any character of {text[:60]!r}; "
                f"is the text in its language ({self.info.language})?",
                f"Giọng {self.info.name} không đọc được ký tự nào trong {text[:60]!r}; "
                f"văn bản có đúng ngôn ngữ của giọng ({self.info.language}) không?",
            )
        inputs = self.tokenizer(text, return_tensors="pt")
        with self._lock, self._torch.inference_mode():
            self.model.speaking_rate = config.speed
            waveform = self.model(**inputs).waveform[0]
        samples = np.clip(waveform.float().cpu().numpy(), -1.0, 1.0).astype(np.float32)
        yield AudioChunk(samples=samples, sample_rate=int(self.model.config.sampling_rate))


class VitsEngine(Engine):
    """transformers VITS from local directories (for example MMS-TTS ``facebook/mms-tts-vie`` copied offline)."""

    name = "vits"
    licence = LIBRARY_LICENCE

    def availability(self) -> tuple[bool, str]:
        from importlib.util import find_spec

        missing = [name for name in ("torch", "transformers") if find_spec(name) is None]
        if missing:
            return (
                False,
                f"needs {' and '.join(missing)}; install the 'neural' extra (pip install 'bantin[neural]')",
            )
        return True, ""

    def voices(self, models_dir: Path | None = None) -> list[VoiceInfo]:
        return local_voices(models_dir, self.name)

    def load(self, info: VoiceInfo) -> Voice:
        available, reason = self.availability()
        if not available:
            raise EngineUnavailable(
                f"The VITS engine cannot run here: {reason}.",
                f"Bộ tổng hợp VITS chưa chạy được trên máy này: {reason}.",
            )
        if info.model_dir is None:
            raise EngineUnavailable(
                f"Voice {info.name} has no model directory.", f"Giọng {info.name} không có thư mục mô hình."
            )
        return VitsVoice(info)

    def version(self) -> str:
        try:
            import transformers
        except ImportError:
            return "transformers missing"
        return f"transformers {transformers.__version__}"


ENGINE = VitsEngine()
