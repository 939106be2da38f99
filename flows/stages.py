"""The pipeline's stages as plain functions: text, speech, renditions, review, distribution, reach."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

import nlp
import storage
import tts
from flows.settings import PipelineSettings
from storage import RenditionKind


@functools.lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per database URL per process."""
    return storage.make_engine(url)


def open_session(settings: PipelineSettings):  # type: ignore[no-untyped-def]
    """A committing session on the settings' database."""
    return storage.session_scope(engine_for(settings.resolved_database_url))


@functools.lru_cache(maxsize=8)
def _store_for(settings_json: str) -> storage.ObjectStore:
    return storage.open_object_store(PipelineSettings.model_validate_json(settings_json))


def object_store(settings: PipelineSettings) -> storage.ObjectStore:
    """The settings' object store, opened once per process."""
    return _store_for(settings.model_dump_json())


@dataclass(frozen=True)
class TextRendition:
    """A version's text for radio and e-boards in one language."""

    language: str
    script: str
    spoken: str
    eboard: str
    estimated_seconds: float
    backend: str
    fallback_reason: str | None


def prepare_text(
    body: str,
    *,
    title: str,
    target_seconds: float,
    voice: str,
    places: tuple[str, ...] = (),
    model_dir: Path | None = None,
) -> TextRendition:
    """Validate the draft, summarize it to the spoken length, and write the spoken form."""
    cleaned = nlp.validate_draft(body)
    summary = nlp.summarize(
        cleaned, target_seconds=target_seconds, title=title, voice=voice, model_dir=model_dir, places=places
    )
    spoken = nlp.normalize_for_speech(summary.script)
    return TextRendition(
        "vie",
        summary.script,
        spoken,
        summary.eboard,
        summary.estimated_seconds,
        summary.backend,
        summary.fallback_reason,
    )


def edited_text(script: str, *, title: str) -> TextRendition:
    """A reviewer's edited script as it is broadcast whole: its spoken form and e-board text."""
    whole = nlp.summarize(script, target_seconds=24 * 3600, title=title)
    return TextRendition(
        "vie", script, nlp.normalize_for_speech(script), whole.eboard, whole.estimated_seconds, "edited", None
    )


@dataclass(frozen=True)
class AudioRendition:
    """Mastered speech stored in the object store under its content key."""

    language: str
    audio_key: str
    sha256: str
    duration_s: float
    loudness_lufs: float
    true_peak_dbtp: float
    engine: str
    voice: str


def render_audio(
    store: storage.ObjectStore, spoken: str, *, language: str, voice: str, models_dir: Path | None = None
) -> AudioRendition:
    """Synthesize and master the spoken form once per text, voice and config (content-addressed)."""
    result = tts.render_speech_cached(store, spoken, voice=voice, models_dir=models_dir)
    key = storage.put_content(store, result.mp3)
    return AudioRendition(
        language,
        key,
        result.sha256,
        result.duration_s,
        result.loudness_lufs,
        result.true_peak_dbtp,
        result.engine,
        result.voice,
    )


def save_text(
    session: Session,
    version_id: int,
    text: TextRendition,
    kinds: tuple[RenditionKind, ...] = (RenditionKind.script, RenditionKind.spoken, RenditionKind.eboard),
) -> None:
    """Store the script, spoken form and e-board text of a version (those of ``kinds``)."""
    details = {
        "estimated_seconds": text.estimated_seconds,
        "backend": text.backend,
        "fallback_reason": text.fallback_reason,
    }
    for kind, body in (
        (RenditionKind.script, text.script),
        (RenditionKind.spoken, text.spoken),
        (RenditionKind.eboard, text.eboard),
    ):
        if kind not in kinds:
            continue
        storage.save_rendition(
            session=session,
            version_id=version_id,
            language=text.language,
            kind=kind,
            text=body,
            details=details,
        )


def save_audio(session: Session, version_id: int, audio: AudioRendition, spoken: str) -> None:
    """Store the audio rendition with its engine, voice, duration and loudness."""
    storage.save_rendition(
        session=session,
        version_id=version_id,
        language=audio.language,
        kind=RenditionKind.audio,
        text=spoken,
        audio_key=audio.audio_key,
        duration_s=audio.duration_s,
        loudness_lufs=audio.loudness_lufs,
        true_peak_dbtp=audio.true_peak_dbtp,
        engine=audio.engine,
        voice=audio.voice,
        details={"sha256": audio.sha256},
    )


def reach_markdown(
    report: dict[str, list[storage.ReachRow]], *, title: str, since: datetime | None, until: datetime | None
) -> str:
    """The evaluation report as Markdown tables (Vietnamese headings with English)."""
    names = {
        "bulletin": "Theo bản tin / By bulletin",
        "language": "Theo ngôn ngữ / By language",
        "level": "Theo cấp hành chính / By administrative level",
        "unit": "Theo đơn vị / By unit",
    }
    period = f"{since:%Y-%m-%d} → {until:%Y-%m-%d}" if since and until else "toàn bộ / all time"
    out = [f"# {title}", "", f"Kỳ báo cáo / Period: {period}", ""]
    for group in ("bulletin", "language", "level", "unit"):
        rows = report.get(group, [])
        out += [
            f"## {names[group]}",
            "",
            "| | Lượt lên lịch / Scheduled | Đã nhận / Delivered | Đã phát / Played | Lỗi / Failed | Tỷ lệ / Rate |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        out += [
            f"| {r.label} | {r.scheduled} | {r.delivered} | {r.played} | {r.failed} | {r.delivery_rate:.0%} |"
            for r in rows
        ]
        out.append("")
    return "\n".join(out)


def editor_message(error: BaseException) -> str:
    """A failure as the editor reads it: Vietnamese / English for known errors."""
    vi, en = getattr(error, "message_vi", None), getattr(error, "message_en", None)
    return f"{vi} / {en}" if vi and en else f"{type(error).__name__}: {error}"


def note_failure(settings: PipelineSettings, bulletin_id: int, message: str) -> None:
    """Keep the reason a bulletin was not produced where the editor sees it."""
    with open_session(settings) as session:
        storage.note_production_failure(session, bulletin_id, message)


def as_dict(value: object) -> dict:
    """A dataclass as a plain dict (Prefect results stay small and JSON-friendly)."""
    return asdict(value)  # type: ignore[call-overload]
