"""Storage: SQLModel tables, sessions and migrations, the object store, data functions."""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Public name -> module that defines it. Imported on first use so heavy
# dependencies load only in the code path that needs them.
_API: dict[str, str] = {
    "StorageSettings": "storage.config",
    "StorageError": "storage.errors",
    "UnknownUnit": "storage.errors",
    "UnknownDevice": "storage.errors",
    "DeviceAuthError": "storage.errors",
    "UnknownBulletin": "storage.errors",
    "InvalidDraft": "storage.errors",
    "InvalidImport": "storage.errors",
    "AdminLevel": "storage.models",
    "AdminUnit": "storage.models",
    "Bulletin": "storage.models",
    "BulletinStatus": "storage.models",
    "BulletinTarget": "storage.models",
    "BulletinVersion": "storage.models",
    "Rendition": "storage.models",
    "RenditionKind": "storage.models",
    "Review": "storage.models",
    "ReviewDecision": "storage.models",
    "Device": "storage.models",
    "DeviceKind": "storage.models",
    "BroadcastWindow": "storage.models",
    "PlaylistItem": "storage.models",
    "PlaybackConfirmation": "storage.models",
    "PlaybackStatus": "storage.models",
    "Heartbeat": "storage.models",
    "CitizenFeedback": "storage.models",
    "Priority": "storage.models",
    "utcnow": "storage.models",
    "make_engine": "storage.db",
    "session_scope": "storage.db",
    "upgrade_database": "storage.db",
    "current_revision": "storage.db",
    "ObjectStore": "storage.objects",
    "LocalObjectStore": "storage.objects",
    "S3ObjectStore": "storage.objects",
    "ObjectNotFound": "storage.objects",
    "InvalidKey": "storage.objects",
    "content_key": "storage.objects",
    "put_content": "storage.objects",
    "open_object_store": "storage.objects",
    "UnitImport": "storage.units",
    "import_province": "storage.units",
    "get_unit": "storage.units",
    "find_units": "storage.units",
    "descendant_codes": "storage.units",
    "ancestor_codes": "storage.units",
    "DeviceImport": "storage.devices",
    "parse_records": "storage.devices",
    "import_records": "storage.devices",
    "get_device": "storage.devices",
    "issue_token": "storage.devices",
    "authenticate_device": "storage.devices",
    "record_heartbeat": "storage.devices",
    "list_devices": "storage.devices",
    "hash_token": "storage.devices",
    "BulletinDraft": "storage.bulletins",
    "save_draft": "storage.bulletins",
    "get_bulletin": "storage.bulletins",
    "latest_version": "storage.bulletins",
    "target_codes": "storage.bulletins",
    "save_rendition": "storage.bulletins",
    "renditions": "storage.bulletins",
    "set_status": "storage.bulletins",
    "record_review": "storage.bulletins",
    "approved_review": "storage.bulletins",
    "latest_review": "storage.bulletins",
    "Distribution": "storage.playback",
    "distribute_version": "storage.playback",
    "ManifestEntry": "storage.playback",
    "device_playlist": "storage.playback",
    "ConfirmationEvent": "storage.playback",
    "ConfirmationResult": "storage.playback",
    "record_confirmations": "storage.playback",
    "ensure_default_windows": "storage.playback",
    "ReachRow": "storage.reports",
    "reach": "storage.reports",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
