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
) -> str:
    """Check and master a recording, then store it as the latest version's audio; returns a summary line."""
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
            storage.save_rendition(
                session=session,
                version_id=version.id,
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
    finally:
        engine.dispose()
    return (
        f"stored {key} for bulletin {bulletin} ({language}): {result.duration_s:.1f} s, "
        f"{result.loudness_lufs:.1f} LUFS, true peak {result.true_peak_dbtp:.1f} dBTP"
    )
