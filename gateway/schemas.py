"""Request and response shapes of the device API; they never expose table internals."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

# A batch larger than this is refused with 413: split it (devices send at most this many per POST).
MAX_CONFIRMATIONS_PER_BATCH = 500
# Requests with a larger body are refused with 413 before they are parsed.
MAX_BODY_BYTES = 256 * 1024


# Largest id a 32-bit INTEGER column holds; larger numbers cannot name a playlist item.
MAX_ID = 2**31 - 1


class ErrorBody(BaseModel):
    """Every error the gateway returns, in Vietnamese and English."""

    error: str = Field(description="A stable machine-readable code, e.g. device_auth, batch_too_large.")
    message_vi: str
    message_en: str
    details: list[str] = Field(default_factory=list, description="Per-field problems, when there are any.")


class ManifestItem(BaseModel):
    """One thing a device plays (audio) or shows (eboard) in its window."""

    item_id: int
    bulletin_id: int
    title: str
    priority: Literal["normal", "priority", "emergency"]
    language: str = Field(description="ISO 639-3 code of the rendition, e.g. vie, khm.")
    kind: Literal["audio", "eboard"]
    starts_at: datetime
    ends_at: datetime
    audio_key: str | None = Field(description="Object key of the audio, audio/<sha256>.mp3.")
    audio_url: str | None = Field(description="Relative URL to download the audio from this gateway.")
    sha256: str | None = Field(
        description="sha256 hex of the exact audio bytes a reviewer approved; check it after downloading."
    )
    duration_s: float | None
    text: str = Field(description="Text for e-boards (may be empty for audio items).")


class Manifest(BaseModel):
    """The signed content: who it is for, when it was made, until when it may be used, what to play."""

    version: Literal[1] = 1
    device_id: str
    issued_at: datetime
    expires_at: datetime
    items: list[ManifestItem]


class SignedManifestOut(BaseModel):
    """``manifest`` is the canonical JSON text that ``signature`` (base64 Ed25519) signs."""

    manifest: str = Field(description="Canonical JSON of a Manifest: sorted keys, compact, UTF-8.")
    signature: str = Field(description="Base64 Ed25519 signature of the UTF-8 bytes of `manifest`.")
    key_id: str = Field(description="Id of the signing key (GET /v1/keys/manifest).")
    algorithm: Literal["Ed25519"] = "Ed25519"


class PublicKeyOut(BaseModel):
    key_id: str
    algorithm: Literal["Ed25519"] = "Ed25519"
    public_key_pem: str


class ConfirmationIn(BaseModel):
    """A device's report on one item; ``event_id`` is made by the device so retries are safe."""

    event_id: uuid.UUID
    item_id: int = Field(ge=1, le=MAX_ID)
    status: Literal["played", "displayed", "failed", "skipped"]
    occurred_at: datetime = Field(description="When it happened (device clock); no timezone means UTC.")
    duration_s: float | None = Field(None, ge=0, le=24 * 3600)


class ConfirmationBatch(BaseModel):
    events: list[ConfirmationIn] = Field(
        description=f"At most {MAX_CONFIRMATIONS_PER_BATCH} events; larger batches get 413."
    )


class ConfirmationOut(BaseModel):
    """New events, events already known (a retry), and refused events with the reason."""

    accepted: list[str]
    duplicates: list[str]
    rejected: dict[str, str]


class HeartbeatIn(BaseModel):
    status: str = Field("ok", max_length=32, description="ok, degraded, error... as the device sees itself.")
    signal_dbm: int | None = Field(None, ge=-200, le=50, description="Radio signal strength in dBm.")
    battery_pct: int | None = Field(None, ge=0, le=100)
    fm_fallback: bool = Field(
        False, description="True when the cluster relays FM because the network is down."
    )
    firmware: str = Field("", max_length=64)


class HeartbeatOut(BaseModel):
    device_id: str
    received_at: datetime


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"
    database: Literal["ok"] = "ok"
