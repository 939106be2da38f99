"""The engine interface every speech backend implements: engines list and load voices, voices stream chunks.

An engine module (``tts/espeak_engine.py``, ``tts/vits_engine.py``, ``tts/coqui_engine.py``) exposes one
object, ``ENGINE``, registered by name in ``tts/registry.py``. Heavy libraries (torch, transformers, TTS)
are imported inside ``availability()`` and ``load()``, never at module top level.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tts.config import SynthesisConfig

# Small JSON file an operator puts next to a local model to say what it speaks and under which licence.
VOICE_MANIFEST = "bantin-voice.json"
UNKNOWN_LICENCE = "unknown (check the model card)"


@dataclass(frozen=True)
class AudioChunk:
    """Mono float32 samples in [-1, 1] for one stretch of speech, with silence to add after it."""

    samples: np.ndarray
    sample_rate: int
    pause_after_s: float = 0.0

    @property
    def duration_s(self) -> float:
        """Length of the samples in seconds (without the pause)."""
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class VoiceInfo:
    """One voice as listed to users: who speaks what, under which licence, and whether it can run here."""

    name: str
    engine: str
    language: str  # ISO 639-3: "vie", "khm", ...
    region: str | None  # "north" | "central" | "south" | None
    sample_rate: int
    licence: str
    available: bool = True
    reason: str = ""  # why not available; empty when available
    model_dir: Path | None = None
    description: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form (for ``bantin voices --json`` and flow artifacts)."""
        return {
            "name": self.name,
            "engine": self.engine,
            "language": self.language,
            "region": self.region,
            "sample_rate": self.sample_rate,
            "licence": self.licence,
            "available": self.available,
            "reason": self.reason,
            "model_dir": str(self.model_dir) if self.model_dir else None,
            "description": self.description,
        }


class Voice(ABC):
    """A loaded voice: turns one sentence-sized text into audio chunks."""

    info: VoiceInfo

    @property
    def sample_rate(self) -> int:
        """Sample rate of the chunks this voice yields."""
        return self.info.sample_rate

    @abstractmethod
    def synthesize(self, text: str, config: SynthesisConfig) -> Iterator[AudioChunk]:
        """Yield mono float32 chunks for ``text`` (one sentence or a short paragraph at a time)."""


class Engine(ABC):
    """A speech backend: says whether it can run, lists its voices and loads one."""

    name: str
    licence: str

    @abstractmethod
    def availability(self) -> tuple[bool, str]:
        """``(True, "")`` when the engine can run here, else ``(False, why not and what to install)``."""

    @abstractmethod
    def voices(self, models_dir: Path | None = None) -> list[VoiceInfo]:
        """Every voice this engine offers (built-in or found under ``models_dir``), available or not."""

    @abstractmethod
    def load(self, info: VoiceInfo) -> Voice:
        """Load the voice described by ``info`` (raise ``tts.errors.EngineUnavailable`` when it cannot)."""

    def version(self) -> str:
        """Version string of the backend (part of the speech cache fingerprint)."""
        return ""


# --- Helpers for engines that load models from a local directory -------------------------------------


def model_dirs(models_dir: Path | None) -> list[Path]:
    """Subdirectories of ``models_dir`` (one per voice), sorted; empty when the directory is unset or missing."""
    if models_dir is None or not Path(models_dir).is_dir():
        return []
    return sorted(p for p in Path(models_dir).iterdir() if p.is_dir() and not p.name.startswith("."))


def read_json(path: Path) -> dict:
    """A JSON object from ``path``, or ``{}`` when the file is missing or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def detect_model_format(model_dir: Path) -> str | None:
    """Which engine a model directory belongs to: ``"vits"`` (transformers), ``"coqui"`` or ``None``."""
    config_path = model_dir / "config.json"
    if not config_path.is_file():
        return None
    if read_json(config_path).get("model_type") == "vits":
        return "vits"
    if any(model_dir.glob("*.pth")) or any(model_dir.glob("*.pt")):
        return "coqui"
    return None


def _language_from_name(dirname: str) -> str | None:
    """``mms-tts-vie`` -> ``vie``: a trailing three-letter code in the directory name."""
    match = re.search(r"(?:^|[-_])([a-z]{3})$", dirname.lower())
    return match.group(1) if match else None


def local_voice_info(model_dir: Path, engine: str, *, default_licence: str = UNKNOWN_LICENCE) -> VoiceInfo:
    """VoiceInfo for a local model directory, from ``bantin-voice.json``, the model's config and its name."""
    manifest = read_json(model_dir / VOICE_MANIFEST)
    config = read_json(model_dir / "config.json")
    tokenizer_config = read_json(model_dir / "tokenizer_config.json")
    audio = config.get("audio") if isinstance(config.get("audio"), dict) else {}
    language = (
        manifest.get("language")
        or tokenizer_config.get("language")
        or config.get("language")
        or _language_from_name(model_dir.name)
        or "und"
    )
    sample_rate = int(
        manifest.get("sample_rate")
        or config.get("sampling_rate")
        or audio.get("output_sample_rate")
        or audio.get("sample_rate")
        or 16000
    )
    licence = manifest.get("licence") or manifest.get("license") or config.get("license") or default_licence
    if licence == UNKNOWN_LICENCE and "mms-tts" in model_dir.name.lower():
        licence = "CC-BY-NC-4.0"
    return VoiceInfo(
        name=f"{engine}-{model_dir.name}",
        engine=engine,
        language=str(language).lower(),
        region=manifest.get("region"),
        sample_rate=sample_rate,
        licence=str(licence),
        model_dir=model_dir,
        description=str(manifest.get("description", "")),
    )


def local_voices(
    models_dir: Path | None, engine: str, *, default_licence: str = UNKNOWN_LICENCE
) -> list[VoiceInfo]:
    """VoiceInfo for every subdirectory of ``models_dir`` whose files belong to ``engine``."""
    return [
        local_voice_info(d, engine, default_licence=default_licence)
        for d in model_dirs(models_dir)
        if detect_model_format(d) == engine
    ]
