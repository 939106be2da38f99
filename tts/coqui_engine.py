"""Coqui TTS voices (VITS and XTTS checkpoints) loaded from local model directories; needs the Coqui extra.

A model directory holds Coqui's ``config.json`` (``"model": "vits"`` or ``"xtts"``) and its checkpoint
(``model.pth``; XTTS also ``vocab.json``), plus an optional ``bantin-voice.json`` saying what it speaks::

    {"language": "vie", "region": "south", "licence": "...", "speaker_wav": "reference.wav"}

XTTS clones a voice, so it needs a reference recording: ``speaker_wav`` in ``bantin-voice.json`` (or a
``speaker.wav`` / ``reference.wav`` in the directory), or ``speaker`` naming one of ``speakers_xtts.pth``.
Coqui's package imports as ``TTS``; everything from it (and torch) is imported inside the functions below.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from tts.config import SynthesisConfig
from tts.engine import (
    UNKNOWN_LICENCE,
    VOICE_MANIFEST,
    AudioChunk,
    Engine,
    Voice,
    VoiceInfo,
    local_voice_info,
    model_dirs,
    read_json,
)
from tts.errors import EngineUnavailable, SpeechError, SpeechTextTooLong

COQUI_MODELS = ("vits", "xtts")
CHECKPOINT_NAMES = ("model.pth", "model_file.pth", "best_model.pth", "checkpoint.pth")
XTTS_LICENCE = "Coqui Public Model License (CPML)"
LIBRARY_LICENCE = "MPL-2.0 (coqui-tts); model licence per voice"
INSTALL_HINT = "see README 'Coqui extra'"
REFERENCE_WAVS = ("speaker.wav", "reference.wav")
DEFAULT_THREADS = 2  # the loudspeaker servers are small; Coqui would otherwise take every core

# ISO 639-1 codes in Coqui configs -> the ISO 639-3 codes voices are listed under, and back.
_ISO639_3 = {"vi": "vie", "km": "khm", "en": "eng", "lo": "lao", "th": "tha", "zh": "zho", "fr": "fra"}
_ISO639_1 = {three: two for two, three in _ISO639_3.items()}


def coqui_model_type(model_dir: Path) -> str | None:
    """``"vits"`` or ``"xtts"`` when ``model_dir`` holds a Coqui config and its checkpoint, else ``None``."""
    model = str(read_json(model_dir / "config.json").get("model", "")).lower()
    if model not in COQUI_MODELS or checkpoint_path(model_dir) is None:
        return None
    return model


def checkpoint_path(model_dir: Path) -> Path | None:
    """The checkpoint file of a Coqui model directory (``model.pth`` first), or ``None``."""
    for name in CHECKPOINT_NAMES:
        if (model_dir / name).is_file():
            return model_dir / name
    # A Coqui training folder as the trainer left it: the latest best_model_<step> or checkpoint_<step>.
    for pattern in ("best_model_*.pth", "checkpoint_*.pth"):
        steps = sorted(model_dir.glob(pattern), key=_training_step)
        if steps:
            return steps[-1]
    return None


def _training_step(path: Path) -> int:
    """``checkpoint_25000.pth`` -> 25000 (-1 when the name carries no step)."""
    digits = re.findall(r"\d+", path.stem)
    return int(digits[-1]) if digits else -1


def _config_language(config: dict[str, Any]) -> str | None:
    """ISO 639-3 code a Coqui config names: an XTTS's only language, VITS ``phoneme_language`` or dataset's."""
    datasets = config.get("datasets")
    dataset = datasets[0] if isinstance(datasets, list) and datasets and isinstance(datasets[0], dict) else {}
    languages = config.get("languages") if config.get("model") == "xtts" else None
    only = languages[0] if isinstance(languages, list) and len(languages) == 1 else None
    code = only or config.get("phoneme_language") or dataset.get("language")
    if not code:
        return None
    code = str(code).lower().split("-")[0]
    return _ISO639_3.get(code, code if len(code) == 3 else None)


def coqui_voice_info(model_dir: Path) -> VoiceInfo:
    """VoiceInfo for one Coqui model directory, with the licence its kind of model carries."""
    from dataclasses import replace

    info = local_voice_info(model_dir, CoquiEngine.name)
    config = read_json(model_dir / "config.json")
    language = info.language
    if language == "und":
        language = _config_language(config) or language
    licence = info.licence
    kind = coqui_model_type(model_dir)
    if kind == "xtts":
        licence = XTTS_LICENCE  # XTTS weights and every fine-tune of them (viXTTS too) are under CPML
    elif licence == UNKNOWN_LICENCE:
        licence = str(config.get("license") or config.get("licence") or UNKNOWN_LICENCE)
    description = info.description or f"Coqui {kind.upper() if kind else 'model'} from {model_dir.name}"
    return replace(info, language=language, licence=licence, description=description)


def _set_threads(threads: int) -> None:
    """Cap torch's intra-op threads (process-wide) so synthesis leaves cores for the rest of the server."""
    import torch

    if torch.get_num_threads() > threads:
        torch.set_num_threads(threads)


def _load_failed(model_dir: Path, kind: str, exc: BaseException) -> EngineUnavailable:
    """The error for a model directory whose files Coqui cannot load."""
    return EngineUnavailable(
        f"Cannot load the Coqui {kind.upper()} model in {model_dir}: {type(exc).__name__}: {exc}. "
        "Check that config.json and the checkpoint belong together and were copied completely.",
        f"Không nạp được mô hình Coqui {kind.upper()} trong thư mục {model_dir}: {type(exc).__name__}: {exc}. "
        "Hãy kiểm tra config.json và tệp checkpoint có đúng bộ và được sao chép đầy đủ không.",
    )


def _unreadable(info: VoiceInfo, text: str) -> SpeechError:
    """The error for a text none of whose letters the voice's vocabulary has."""
    return SpeechError(
        f"Voice {info.name} cannot read any character of {text[:60]!r}; "
        f"is the text in its language ({info.language}) and normalized for speech?",
        f"Giọng {info.name} không đọc được ký tự nào trong {text[:60]!r}; "
        f"văn bản có đúng ngôn ngữ của giọng ({info.language}) và đã được chuẩn hoá để đọc chưa?",
    )


def _is_speakable(char: str) -> bool:
    """A letter or digit (punctuation and spaces alone make no speech)."""
    return unicodedata.category(char)[0] in "LN"


class CoquiVitsVoice(Voice):
    """A Coqui VITS checkpoint built from its config with Coqui's own classes, on the CPU."""

    def __init__(self, info: VoiceInfo, model_dir: Path) -> None:
        import torch
        from TTS.config import load_config
        from TTS.tts.models.vits import Vits

        self.info = info
        self._torch = torch
        checkpoint = checkpoint_path(model_dir)
        try:
            config = load_config(model_dir / "config.json")
            _use_local_speaker_files(config, model_dir)
            self.model = Vits(config)
            self.model.load_checkpoint(config, str(checkpoint), eval=True)
        except Exception as exc:  # torch/pickle/state-dict errors all mean the same to an operator
            raise _load_failed(model_dir, "vits", exc) from exc
        self.model.cpu()
        self.sample_rate_hz = int(config.audio.sample_rate)
        self._length_scale = float(self.model.length_scale)
        self._speaker = self._pick_speaker(read_json(model_dir / VOICE_MANIFEST).get("speaker"))
        self._language = self._pick_language()
        self._lock = threading.Lock()  # a torch module is not safe to call from several threads at once

    @property
    def sample_rate(self) -> int:
        """Sample rate of the chunks (the model's own, whatever the listing guessed)."""
        return self.sample_rate_hz

    def _pick_speaker(self, wanted: str | None) -> str | None:
        """The manifest's speaker of a multi-speaker model, else its first; ``None`` for one speaker."""
        manager = self.model.speaker_manager
        names = list(manager.speaker_names) if manager is not None and manager.num_speakers > 1 else []
        if not names:
            return None
        if wanted is None:
            return names[0]
        if wanted not in names:
            raise EngineUnavailable(
                f"The model of voice {self.info.name} has no speaker {wanted!r}; it has: {', '.join(names)}. "
                f'Fix "speaker" in {VOICE_MANIFEST}.',
                f"Mô hình của giọng {self.info.name} không có người đọc {wanted!r}; chỉ có: {', '.join(names)}. "
                f'Hãy sửa "speaker" trong {VOICE_MANIFEST}.',
            )
        return wanted

    def _pick_language(self) -> str | None:
        """The language name to pass a multilingual model (its first), else ``None``."""
        manager = self.model.language_manager
        if manager is None or manager.num_languages <= 1:
            return None
        wanted = _ISO639_1.get(self.info.language, self.info.language)
        names = list(manager.language_names)
        return wanted if wanted in names else names[0]

    def _speakable_ids(self, text: str) -> int:
        """How many letters/digits of ``text`` survive Coqui's cleaner and tokenizer."""
        tokenizer = self.model.tokenizer
        ids = tokenizer.text_to_ids(text, language=self._language)
        chars = (tokenizer.characters.id_to_char(i) for i in ids)
        return sum(1 for ch in chars if len(ch) == 1 and _is_speakable(ch))

    def synthesize(self, text: str, config: SynthesisConfig) -> Iterator[AudioChunk]:
        """One chunk of speech for ``text`` at the model's sample rate."""
        text = unicodedata.normalize("NFC", text)  # NFD would split tone marks off their vowels
        if self._speakable_ids(text) == 0:
            raise _unreadable(self.info, text)
        with self._lock, self._torch.inference_mode():
            self.model.length_scale = self._length_scale / config.speed
            outputs = self.model.synthesize(text, speaker=self._speaker, language=self._language)
        samples = np.clip(np.asarray(outputs["wav"], dtype=np.float32).reshape(-1), -1.0, 1.0)
        yield AudioChunk(samples=samples, sample_rate=self.sample_rate_hz)


def _use_local_speaker_files(config: Any, model_dir: Path) -> None:
    """Point a config's speaker/language files at the copies in ``model_dir`` (training paths are stale)."""
    for holder in (config, getattr(config, "model_args", None)):
        if holder is None:
            continue
        for key in ("speakers_file", "speaker_file", "language_ids_file", "d_vector_file"):
            value = getattr(holder, key, None)
            if isinstance(value, str) and value and (model_dir / Path(value).name).is_file():
                setattr(holder, key, str(model_dir / Path(value).name))


class CoquiXttsVoice(Voice):
    """A Coqui XTTS checkpoint (viXTTS, for example) with its speaker latents computed once at load."""

    max_sentence_chars = 250  # XTTS's own per-sentence budget; longer input is cut off mid-word

    def __init__(self, info: VoiceInfo, model_dir: Path) -> None:
        import torch
        from TTS.tts.configs.xtts_config import XttsConfig
        from TTS.tts.models.xtts import Xtts

        self.info = info
        self._torch = torch
        manifest = read_json(model_dir / VOICE_MANIFEST)
        speaker = manifest.get("speaker") if (model_dir / "speakers_xtts.pth").is_file() else None
        wav = None if speaker else reference_wav(model_dir, manifest)  # checked before the long load
        try:
            config = XttsConfig()
            config.load_json(str(model_dir / "config.json"))
            self.model = Xtts(config)
            self.model.load_checkpoint(config, checkpoint_dir=str(model_dir), eval=True, use_deepspeed=False)
        except Exception as exc:
            raise _load_failed(model_dir, "xtts", exc) from exc
        self.model.cpu()
        self.config = config
        self.sample_rate_hz = int(config.audio.output_sample_rate)
        self.language = self._pick_language(config, manifest.get("xtts_language"))
        _read_vietnamese(self.model.tokenizer)
        self._latents = self._speaker_latents(speaker, wav)
        self._lock = threading.Lock()

    @property
    def sample_rate(self) -> int:
        """Sample rate of the chunks (XTTS decodes at 24 kHz)."""
        return self.sample_rate_hz

    def _pick_language(self, config: Any, wanted: str | None) -> str:
        """The XTTS language code for this voice; one the checkpoint was not trained on is refused."""
        code = wanted or _ISO639_1.get(self.info.language, self.info.language)
        if code not in config.languages:
            known = ", ".join(config.languages)
            raise EngineUnavailable(
                f"The XTTS model of voice {self.info.name} has no language {code!r} (it has: {known}). "
                'Set "language" (ISO 639-3) or "xtts_language" in bantin-voice.json.',
                f"Mô hình XTTS của giọng {self.info.name} không có ngôn ngữ {code!r} (chỉ có: {known}). "
                'Hãy đặt "language" (ISO 639-3) hoặc "xtts_language" trong bantin-voice.json.',
            )
        return code

    def _speaker_latents(self, speaker: str | None, wav: Path | None) -> tuple[Any, Any]:
        """GPT conditioning latents and speaker embedding: from the reference wav, else a stored speaker."""
        if wav is None:
            manager = self.model.speaker_manager
            known = list(manager.speakers) if manager is not None else []
            if speaker not in known:
                raise EngineUnavailable(
                    f"The XTTS voice {self.info.name} has no stored speaker {speaker!r} "
                    f"(speakers_xtts.pth has: {', '.join(known[:20]) or 'none'}).",
                    f"Giọng XTTS {self.info.name} không có người đọc {speaker!r} "
                    f"(speakers_xtts.pth có: {', '.join(known[:20]) or 'không có'}).",
                )
            latents, embedding = manager.speakers[speaker].values()
            return latents, embedding
        audio, rate = _read_mono(wav)
        with self._torch.inference_mode():
            embedding = self.model.get_speaker_embedding(audio, rate)
            latents = self.model.get_gpt_cond_latents(
                audio, rate, length=self.config.gpt_cond_len, chunk_length=self.config.gpt_cond_chunk_len
            )
        return latents, embedding

    def _check_readable(self, text: str) -> None:
        """Refuse a text with no letter or digit the BPE vocabulary knows (XTTS would babble)."""
        vocab = self.model.tokenizer.tokenizer.get_vocab()
        if not any(_is_speakable(ch) and ch in vocab for ch in text.lower()):
            raise _unreadable(self.info, text)

    def synthesize(self, text: str, config: SynthesisConfig) -> Iterator[AudioChunk]:
        """One chunk per sentence (XTTS reads at most ~250 characters at a time well)."""
        text = unicodedata.normalize("NFC", text)
        self._check_readable(text)
        sentences = _sentences(text, self.max_sentence_chars)
        for index, sentence in enumerate(sentences):
            samples = self._generate(sentence, config.speed)
            pause = config.sentence_pause_s if index < len(sentences) - 1 else 0.0
            yield AudioChunk(samples=samples, sample_rate=self.sample_rate_hz, pause_after_s=pause)

    def _generate(self, sentence: str, speed: float) -> np.ndarray:
        """Float32 samples for one sentence with this voice's latents and the checkpoint's sampling knobs."""
        latents, embedding = self._latents
        settings = {key: self.config[key] for key in ("temperature", "length_penalty", "top_k", "top_p")}
        with self._lock, self._torch.inference_mode():
            outputs = self.model.inference(
                sentence,
                self.language,
                latents,
                embedding,
                repetition_penalty=self.config.repetition_penalty,
                speed=speed,
                **settings,
            )
        return np.clip(np.asarray(outputs["wav"], dtype=np.float32).reshape(-1), -1.0, 1.0)


def reference_wav(model_dir: Path, manifest: dict[str, Any]) -> Path:
    """The speaker reference recording of an XTTS voice (manifest ``speaker_wav`` or a default name)."""
    names = [manifest["speaker_wav"]] if manifest.get("speaker_wav") else list(REFERENCE_WAVS)
    for name in names:
        if (model_dir / name).is_file():
            return model_dir / name
    raise EngineUnavailable(
        f"The XTTS voice in {model_dir} needs a reference recording of its speaker (3-10 s, wav): put it "
        f'there as speaker.wav or name it in {VOICE_MANIFEST} as "speaker_wav".',
        f"Giọng XTTS trong thư mục {model_dir} cần một bản ghi giọng mẫu của người đọc (3-10 giây, wav): "
        f'đặt vào đó với tên speaker.wav hoặc khai báo "speaker_wav" trong {VOICE_MANIFEST}.',
    )


def _read_mono(path: Path) -> tuple[Any, int]:
    """A wav as a ``[1, samples]`` float32 torch tensor and its sample rate."""
    import soundfile
    import torch

    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises its own LibsndfileError for unreadable files
        raise EngineUnavailable(
            f"Cannot read the speaker reference {path}: {exc}. Use a PCM wav file.",
            f"Không đọc được bản ghi giọng mẫu {path}: {exc}. Hãy dùng tệp wav PCM.",
        ) from exc
    return torch.from_numpy(np.ascontiguousarray(data.mean(axis=1))).unsqueeze(0), int(rate)


def _read_vietnamese(tokenizer: Any) -> None:
    """Let Coqui's XTTS tokenizer take ``vi`` text (its cleaner list lacks it; viXTTS was trained on it).

    The text arrives already normalized for speech (numbers, abbreviations read out by ``nlp``), so
    lower-casing and collapsing spaces is all that is left to do.
    """
    original = tokenizer.preprocess_text

    def preprocess_text(txt: str, lang: str) -> str:
        if lang == "vi":
            return " ".join(unicodedata.normalize("NFC", txt).lower().split())
        return original(txt, lang)

    tokenizer.preprocess_text = preprocess_text


def _sentences(text: str, max_chars: int) -> list[str]:
    """Split at sentence ends, then at commas when a sentence is still longer than ``max_chars``."""
    pieces: list[str] = []
    for sentence in re.split(r"(?<=[.!?…;])\s+", text.strip()):
        if len(sentence) <= max_chars:
            pieces.append(sentence)
            continue
        for part in re.split(r"(?<=[,:])\s+", sentence):
            if len(part) > max_chars:
                raise SpeechTextTooLong(
                    f"A sentence of {len(part)} characters without punctuation is too long for XTTS "
                    f"(at most {max_chars}); split it.",
                    f"Một câu dài {len(part)} ký tự không có dấu câu là quá dài cho XTTS "
                    f"(tối đa {max_chars}); hãy tách câu.",
                )
            pieces.append(part)
    return [p for p in pieces if p.strip()]


@cache
def _availability() -> tuple[bool, str]:
    """Whether torch, torchaudio and coqui-tts import here (cached: it does not change in a process)."""
    from importlib.util import find_spec

    for module, package in (("TTS", "coqui-tts"), ("torch", "torch"), ("torchaudio", "torchaudio")):
        if find_spec(module) is None:
            return False, f"{package} is not installed in this environment; {INSTALL_HINT}"
    try:
        import torchaudio  # noqa: F401
        import TTS  # noqa: F401
    except (ImportError, OSError) as exc:  # a torchaudio built for another torch fails with OSError
        return False, f"coqui-tts does not import here ({exc}); {INSTALL_HINT}"
    return True, ""


class CoquiEngine(Engine):
    """Coqui TTS (the maintained ``coqui-tts`` fork): VITS and XTTS models from local directories."""

    name = "coqui"
    licence = LIBRARY_LICENCE

    def __init__(self, threads: int = DEFAULT_THREADS) -> None:
        self.threads = threads

    def availability(self) -> tuple[bool, str]:
        return _availability()

    def voices(self, models_dir: Path | None = None) -> list[VoiceInfo]:
        return [coqui_voice_info(d) for d in model_dirs(models_dir) if coqui_model_type(d)]

    def load(self, info: VoiceInfo) -> Voice:
        available, reason = self.availability()
        if not available:
            raise EngineUnavailable(
                f"The Coqui engine cannot run here: {reason}.",
                f"Bộ tổng hợp Coqui chưa chạy được trên máy này: {reason}.",
            )
        model_dir = info.model_dir
        kind = coqui_model_type(model_dir) if model_dir is not None else None
        if model_dir is None or kind is None:
            raise EngineUnavailable(
                f'Voice {info.name} has no Coqui model directory (config.json with "model": "vits" or '
                f'"xtts" and model.pth) at {model_dir}.',
                f'Giọng {info.name} không có thư mục mô hình Coqui (config.json có "model": "vits" hoặc '
                f'"xtts" và model.pth) tại {model_dir}.',
            )
        _set_threads(self.threads)
        voice_class = CoquiXttsVoice if kind == "xtts" else CoquiVitsVoice
        return voice_class(info, model_dir)

    def version(self) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"coqui-tts {version('coqui-tts')}"
        except PackageNotFoundError:
            return "coqui-tts missing"


ENGINE = CoquiEngine()
