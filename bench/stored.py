"""A bulletin version as production leaves it, made directly in storage for the gateway benchmarks:
a draft, stored audio bytes (devices only see their sha256) and an e-board text."""

from __future__ import annotations

import os
from typing import Any


def save_rendered_version(
    session: Any,
    store: Any,
    *,
    title: str,
    body: str,
    eboard_text: str,
    priority: Any,
    communes: list[str],
    duration_s: float,
) -> Any:
    """Save the draft and its Vietnamese audio and e-board renditions; the new version."""
    import storage

    draft = storage.BulletinDraft(
        title=title, body=body, priority=priority, source_unit=communes[0], target_units=communes
    )
    _, version, _ = storage.save_draft(session=session, draft=draft)
    audio = bytes([0xFF, 0xFB, 0x90, 0x64]) + os.urandom(4000)  # an MPEG frame header, then noise
    storage.save_rendition(
        session=session,
        version_id=version.id,
        language="vie",
        kind=storage.RenditionKind.audio,
        audio_key=storage.put_content(store, audio),
        duration_s=duration_s,
    )
    storage.save_rendition(
        session=session,
        version_id=version.id,
        language="vie",
        kind=storage.RenditionKind.eboard,
        text=eboard_text,
    )
    return version
