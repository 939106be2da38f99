"""Manifests: a device's playlist as signed content, its ETag, and audio keys as URLs."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import datetime, timedelta

import storage
from gateway.schemas import Manifest, ManifestItem
from gateway.signing import canonical_json

POLL_INTERVAL_VARIABLE = "BANTIN_POLL_INTERVAL_SECONDS"
DEFAULT_POLL_INTERVAL_S = 60
MIN_POLL_INTERVAL_S, MAX_POLL_INTERVAL_S = 5, 86_400

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
    return manifest_items_etag(device_id, [i.model_dump(mode="json") for i in items], key_id)


def manifest_items_etag(device_id: str, dumped_items: list[dict], key_id: str) -> str:
    """``manifest_etag`` of items already dumped as JSON (``model_dump(mode="json")``)."""
    content = {"device_id": device_id, "key_id": key_id, "items": dumped_items}
    return '"' + hashlib.sha256(canonical_json(content)).hexdigest()[:32] + '"'


def poll_interval_s() -> int:
    """Seconds between a device's polls: BANTIN_POLL_INTERVAL_SECONDS (default 60, 5 to 86400)."""
    raw = os.environ.get(POLL_INTERVAL_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_POLL_INTERVAL_S
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not MIN_POLL_INTERVAL_S <= value <= MAX_POLL_INTERVAL_S:
        raise ValueError(
            f"{POLL_INTERVAL_VARIABLE}={raw!r} is not a whole number of seconds from {MIN_POLL_INTERVAL_S} to "
            f"{MAX_POLL_INTERVAL_S} / {POLL_INTERVAL_VARIABLE}={raw!r} phải là số giây nguyên từ "
            f"{MIN_POLL_INTERVAL_S} đến {MAX_POLL_INTERVAL_S}"
        )
    return value


def build_manifest(
    device_id: str,
    items: list[ManifestItem],
    *,
    now: datetime,
    ttl: timedelta,
    poll_interval: int | None = None,
) -> Manifest:
    """The manifest to sign: bound to one device, valid for ``ttl`` from ``now``, with the poll interval
    and the server time (``now``) a device corrects its clock by."""
    return Manifest(
        device_id=device_id,
        issued_at=now,
        expires_at=now + ttl,
        poll_interval_s=poll_interval_s() if poll_interval is None else poll_interval,
        server_time=now,
        items=items,
    )


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """True when an If-None-Match header names ``etag`` (or ``*``); weak tags compare equal."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags
