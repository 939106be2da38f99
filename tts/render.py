"""Text to mastered speech: split into paragraphs and sentences, synthesize chunk by chunk, join with pauses, master."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path

import numpy as np

from tts.config import DEFAULT_VOICE, MAX_TEXT_CHARS, MasteringProfile, SynthesisConfig
from tts.engine import Voice, VoiceInfo
from tts.errors import EmptySpeechText, SpeechError, SpeechTextTooLong
from tts.mastering import MasteredAudio, get_profile, master

# Bump when the splitting, joining or mastering code changes what audio a request produces.
PIPELINE_VERSION = "1"
# A sentence longer than this is cut at commas (then spaces) so neural voices stay within memory.
MAX_CHUNK_CHARS = 300

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"[.!?;:…]+[\"'”’»)\]]*\s+")
# Abbreviations that end in "." before a capitalised name: "TP. Huế", "TS. Lan", "Q. Ba Đình".
_ABBREVIATION = re.compile(r"(?:^|\s)(?:[A-ZĐ]{1,4}|ThS|Ths|GS\.TS|PGS\.TS)\.$")


@dataclass(frozen=True)
class SpeechResult:
    """A mastered MP3 with what made it and what was measured."""

    mp3: bytes
    sha256: str  # hex digest of the mp3 bytes (the object store key is audio/<sha256>.mp3)
    duration_s: float
    sample_rate: int
    loudness_lufs: float  # integrated loudness of the mastered signal
    true_peak_dbtp: float  # 4x oversampled true peak of the mastered signal
    engine: str  # "espeak", "vits", "coqui"... or "recording" for uploaded audio
    voice: str
    language: str
    licence: str
    profile: str
    fingerprint: str  # speech_fingerprint of the request (empty for recordings)
    synthesis_seconds: float  # wall time spent in the voice
    mastering_seconds: float  # wall time spent mastering and encoding
    audio_seconds: float  # length of the raw speech before mastering (pauses included)
    chunks: int  # sentence chunks synthesized

    @property
    def real_time_factor(self) -> float:
        """Processing time over audio duration (lower is faster)."""
        return (self.synthesis_seconds + self.mastering_seconds) / max(self.duration_s, 1e-9)

    def metadata(self) -> dict[str, object]:
        """Everything but the MP3 bytes, JSON-friendly."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "mp3"}

    @classmethod
    def from_mastered(cls, mastered: MasteredAudio, **made_by: object) -> SpeechResult:
        """A result for ``mastered`` audio: its bytes, key and measurements, plus what made it."""
        return cls(
            mp3=mastered.mp3,
            sha256=hashlib.sha256(mastered.mp3).hexdigest(),
            duration_s=round(mastered.duration_s, 3),
            sample_rate=mastered.sample_rate,
            loudness_lufs=round(mastered.loudness_lufs, 2),
            true_peak_dbtp=round(mastered.true_peak_dbtp, 2),
            **made_by,  # type: ignore[arg-type]
        )

    @classmethod
    def from_metadata(cls, metadata: dict[str, object], mp3: bytes) -> SpeechResult:
        """Rebuild a result from ``metadata()`` and its MP3 bytes."""
        names = {f.name for f in fields(cls)} - {"mp3"}
        return cls(mp3=mp3, **{k: v for k, v in metadata.items() if k in names})  # type: ignore[arg-type]


# --- splitting -------------------------------------------------------------------------------------


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines, stripped, empty ones dropped."""
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph: a break after . ! ? ; : when a capital letter follows, and at line ends."""
    sentences: list[str] = []
    for line in paragraph.splitlines():
        start = 0
        for match in _SENTENCE_END.finditer(line):
            following = line[match.end() : match.end() + 1]
            before = line[start : match.start() + 1]
            if following.isupper() and not (match.group().startswith(".") and _ABBREVIATION.search(before)):
                sentences.append(line[start : match.end()].strip())
                start = match.end()
        sentences.append(line[start:].strip())
    return [s for s in sentences if s]


def split_long(sentence: str, limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """A sentence cut at commas (clauses packed together), else at spaces, into pieces of at most ``limit``."""
    if len(sentence) <= limit:
        return [sentence]
    clauses = re.split(r"(?<=[,;])\s+", sentence)
    parts = [word for clause in clauses for word in (clause.split() if len(clause) > limit else [clause])]
    pieces: list[str] = []
    current = ""
    for part in parts:
        if current and len(current) + 1 + len(part) > limit:
            pieces.append(current)
            current = part
        else:
            current = f"{current} {part}" if current else part
    pieces.append(current)
    return [p[i : i + limit] for p in pieces for i in range(0, len(p), limit)]


def speech_segments(text: str) -> Iterator[tuple[str, bool]]:
    """``(sentence, ends_paragraph)`` for every sentence-sized piece of ``text``."""
    for paragraph in split_paragraphs(text):
        pieces = [piece for sentence in split_sentences(paragraph) for piece in split_long(sentence)]
        for i, piece in enumerate(pieces):
            yield piece, i == len(pieces) - 1


# --- fingerprint -----------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _model_digest(model_dir: str, stamp: tuple) -> str:
    """sha256 over a model directory's file names and contents (large files: size, head and tail)."""
    digest = hashlib.sha256()
    for path in sorted(Path(model_dir).rglob("*")):
        if not path.is_file():
            continue
        digest.update(str(path.relative_to(model_dir)).encode())
        size = path.stat().st_size
        digest.update(str(size).encode())
        with path.open("rb") as handle:
            if size <= 4 << 20:
                digest.update(handle.read())
            else:
                digest.update(handle.read(1 << 20))
                handle.seek(-(1 << 20), 2)
                digest.update(handle.read())
    return digest.hexdigest()


def _model_identity(info: VoiceInfo) -> str:
    if info.model_dir is None:
        return ""
    files = sorted(p for p in Path(info.model_dir).rglob("*") if p.is_file())
    stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _model_digest(str(info.model_dir), stamp)


def _engine_version(engine: str) -> str:
    from tts.registry import get_engine

    try:
        return get_engine(engine).version()
    except SpeechError:
        return ""


def _profile_identity(profile: MasteringProfile) -> dict[str, object]:
    values = asdict(profile)
    for jingle in ("intro_jingle", "outro_jingle"):
        data = values[jingle]
        values[jingle] = hashlib.sha256(data).hexdigest() if data is not None else None
    return values


def _callable_name(function: Callable | None) -> str:
    if function is None:
        return ""
    return f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', repr(function))}"


def speech_fingerprint(
    text: str,
    voice: str | VoiceInfo | Voice = DEFAULT_VOICE,
    config: SynthesisConfig | None = None,
    profile: str | MasteringProfile = "loudspeaker",
    *,
    models_dir: Path | None = None,
    normalize: Callable[[str], str] | None = None,
) -> str:
    """sha256 over everything that decides the audio: text, voice, engine version, model, config, profile."""
    info = _voice_info(voice, models_dir)
    payload = {
        "pipeline": PIPELINE_VERSION,
        "text": text,
        "voice": info.name,
        "engine": info.engine,
        "engine_version": _engine_version(info.engine),
        "model": _model_identity(info),
        "config": asdict(config or SynthesisConfig()),
        "profile": _profile_identity(get_profile(profile)),
        "normalize": _callable_name(normalize),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _voice_info(voice: str | VoiceInfo | Voice, models_dir: Path | None) -> VoiceInfo:
    from tts.registry import voice_info

    if isinstance(voice, VoiceInfo):
        return voice
    if isinstance(voice, Voice):
        return voice.info
    return voice_info(voice, models_dir)


# --- rendering -------------------------------------------------------------------------------------


def _vi_number(value: int) -> str:
    """20000 -> "20.000" (Vietnamese groups thousands with dots)."""
    return f"{value:,}".replace(",", ".")


def check_text(text: str) -> str:
    """The text stripped; empty or over-long text raises a SpeechError saying what to do."""
    stripped = text.strip() if isinstance(text, str) else ""
    if not stripped:
        raise EmptySpeechText("There is no text to read aloud.", "Không có nội dung để đọc.")
    if len(stripped) > MAX_TEXT_CHARS:
        raise SpeechTextTooLong(
            f"The text has {len(stripped):,} characters; at most {MAX_TEXT_CHARS:,} can be read in one "
            "bulletin. Shorten or summarize it, or split it into several bulletins.",
            f"Văn bản có {_vi_number(len(stripped))} ký tự; mỗi bản tin đọc tối đa {_vi_number(MAX_TEXT_CHARS)} ký tự. "
            "Hãy rút gọn, tóm tắt hoặc chia thành nhiều bản tin.",
        )
    return stripped


@lru_cache(maxsize=4)
def _cached_voice(info: VoiceInfo, model_identity: str) -> Voice:
    """Voices stay loaded between renders (a neural model takes a while to load) until their files change.

    ``model_identity`` is only part of the cache key: new weights under the same name load afresh.
    """
    from tts.registry import load_voice

    return load_voice(info)


def _loaded_voice(name: str, models_dir: Path | None) -> Voice:
    """The voice called ``name``, reloaded when its model files changed since it was last loaded."""
    info = _voice_info(name, models_dir)
    return _cached_voice(info, _model_identity(info))


def _synthesize(
    voice: Voice, text: str, config: SynthesisConfig, normalize: Callable[[str], str] | None
) -> tuple[np.ndarray, int, int]:
    """Raw speech for all sentences joined with pauses: (samples, sample rate, chunk count)."""
    parts: list[np.ndarray] = []
    rate = voice.sample_rate
    chunks = 0
    pause_after = 0.0
    for sentence, ends_paragraph in speech_segments(text):
        spoken = normalize(sentence).strip() if normalize else sentence
        if not spoken:
            continue
        if parts and pause_after:
            parts.append(np.zeros(int(pause_after * rate), dtype=np.float32))
        for chunk in voice.synthesize(spoken, config):
            if chunk.sample_rate != rate:
                from tts.mastering import resample

                parts.append(resample(chunk.samples, chunk.sample_rate, rate))
            else:
                parts.append(np.asarray(chunk.samples, dtype=np.float32))
            if chunk.pause_after_s:
                parts.append(np.zeros(int(chunk.pause_after_s * rate), dtype=np.float32))
            chunks += 1
        pause_after = config.paragraph_pause_s if ends_paragraph else config.sentence_pause_s
    samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    if not samples.size or float(np.abs(samples).max()) < 1e-4:  # e.g. only punctuation: nothing to say
        raise EmptySpeechText(
            "Nothing in the text can be read aloud (after preparing it for speech, only silence is left).",
            "Văn bản không có nội dung đọc được (sau khi chuẩn hoá chỉ còn khoảng lặng).",
        )
    return samples, rate, chunks


def render_speech(
    text: str,
    *,
    voice: str | Voice = DEFAULT_VOICE,
    config: SynthesisConfig | None = None,
    profile: str | MasteringProfile = "loudspeaker",
    models_dir: Path | None = None,
    normalize: Callable[[str], str] | None = None,
) -> SpeechResult:
    """Read ``text`` aloud with ``voice`` and master it for ``profile``; ``normalize`` gives the spoken form."""
    text = check_text(text)
    config = config or SynthesisConfig()
    mastering_profile = get_profile(profile)
    loaded = voice if isinstance(voice, Voice) else _loaded_voice(voice, models_dir)
    fingerprint = speech_fingerprint(text, loaded, config, mastering_profile, normalize=normalize)
    started = time.perf_counter()
    samples, rate, chunks = _synthesize(loaded, text, config, normalize)
    synthesized = time.perf_counter()
    mastered = master(samples, rate, mastering_profile)
    finished = time.perf_counter()
    return SpeechResult.from_mastered(
        mastered,
        engine=loaded.info.engine,
        voice=loaded.info.name,
        language=loaded.info.language,
        licence=loaded.info.licence,
        profile=mastering_profile.name,
        fingerprint=fingerprint,
        synthesis_seconds=round(synthesized - started, 4),
        mastering_seconds=round(finished - synthesized, 4),
        audio_seconds=round(len(samples) / rate, 3),
        chunks=chunks,
    )
