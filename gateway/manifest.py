"""Manifests: a device's playlist as signed content, its ETag, and audio keys as URLs."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

import storage
from gateway.schemas import Manifest, ManifestItem
from gateway.signing import canonical_json

AUDIO_NAME = re.compile(r"^(?:audio/)?(?P<sha>[0-9a-f]{64})\.mp3$")


def manifest_item(entry: storage.ManifestEntry) -> ManifestItem:
    """One playlist entry as devices see it: its audio named by the sha256 that was approved."""
    sha = entry.sha256
    return ManifestItem(
        item_id=entry.item_id,
        bulletin_id=entry.bulletin_id,
        title=entry.title,
        priority=entry.priority,
        language=entry.language,
        kind="audio" if entry.kind == "audio" else "eboard",
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        audio_key=entry.audio_key,
        audio_url=f"/v1/audio/{sha}.mp3" if sha else None,
        sha256=sha,
        duration_s=entry.duration_s,
        text=entry.text,
    )


def manifest_etag(device_id: str, items: list[ManifestItem], key_id: str) -> str:
    """A strong ETag of what the device would play; it ignores issued_at so unchanged lists give 304."""
    content = {"device_id": device_id, "key_id": key_id, "items": [i.model_dump(mode="json") for i in items]}
    return '"' + hashlib.sha256(canonical_json(content)).hexdigest()[:32] + '"'


def build_manifest(device_id: str, items: list[ManifestItem], *, now: datetime, ttl: timedelta) -> Manifest:
    """The manifest to sign: bound to one device and valid for ``ttl`` from ``now``."""
    return Manifest(device_id=device_id, issued_at=now, expires_at=now + ttl, items=items)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """True when an If-None-Match header names ``etag`` (or ``*``); weak tags compare equal."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags
