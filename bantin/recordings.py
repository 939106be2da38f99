"""Recorded readings for languages with no voice: master, store by content, attach to a bulletin."""

from __future__ import annotations

import storage
import tts
from bantin.settings import Settings


def store_recording(
    settings: Settings,
    data: bytes,
    *,
    filename: str | None,
    bulletin: str,
    language: str,
    profile: str = "loudspeaker",
    actor: str = "cli",
) -> str:
    """Check and master a recording and store it as the latest version's audio; returns what happened.

    A version under review or approved never changes: the recording then goes into a new version.
    """
    if len(language) != 3 or not language.isalpha():
        raise storage.StorageError(
            f"language must be an ISO 639-3 code such as khm or hnj, not {language!r}",
            f"mã ngôn ngữ phải theo ISO 639-3 (ví dụ khm, hnj), không phải {language!r}",
        )
    engine = storage.make_engine(settings.resolved_database_url)
    try:
        with storage.session_scope(engine) as session:  # check the bulletin before any work
            version = storage.latest_version(session, storage.get_bulletin(session, bulletin).id)
        result = tts.import_recording(data, filename=filename, profile=profile)
        key = storage.put_content(storage.open_object_store(settings), result.mp3)
        with storage.session_scope(engine) as session:
            current = storage.latest_version(session, version.bulletin_id)
            target, note_en, note_vi = _editable_version(session, current.id, language.lower(), actor)
            storage.save_rendition(
                session=session,
                version_id=target.id,
                language=language.lower(),
                kind=storage.RenditionKind.audio,
                audio_key=key,
                duration_s=result.duration_s,
                loudness_lufs=result.loudness_lufs,
                true_peak_dbtp=result.true_peak_dbtp,
                engine="recording",
                voice=filename or "",
                details={"sha256": result.sha256},
            )
            storage.append_audit(
                session,
                actor=actor,
                action="recording_imported",
                bulletin_id=target.bulletin_id,
                version_id=target.id,
                content_hash=result.sha256,
                details={"language": language.lower(), "file": filename or "", "version": target.number},
            )
    finally:
        engine.dispose()
    summary = (
        f"stored {key} for bulletin {bulletin} ({language}) version {target.number}: {result.duration_s:.1f} s, "
        f"{result.loudness_lufs:.1f} LUFS, true peak {result.true_peak_dbtp:.1f} dBTP"
    )
    return "\n".join(line for line in (note_vi, note_en, summary) if line)


def _editable_version(session, version_id: int, language: str, actor: str):  # type: ignore[no-untyped-def]
    """The version a recording may go into: this one, or a new one if it is under review or reviewed."""
    if not storage.version_frozen(session, version_id):
        return session.get(storage.BulletinVersion, version_id), "", ""
    old = session.get(storage.BulletinVersion, version_id)
    new = storage.derive_version(
        session,
        version_id,
        actor=actor,
        reason=f"recording imported ({language})",
        drop_audio_language=language,
    )
    return (
        new,
        f"Version {old.number} is under review or approved and stays as it is (what was approved keeps playing); "
        f"the recording went into a new version {new.number}, which needs its own review (bantin produce).",
        f"Phiên bản {old.number} đang chờ duyệt hoặc đã duyệt nên giữ nguyên (nội dung đã duyệt vẫn phát); "
        f"bản ghi âm được đưa vào phiên bản mới {new.number}, cần được duyệt lại (bantin produce).",
    )
