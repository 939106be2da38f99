"""Request and response shapes of the device API; they never expose table internals."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, NotRequired

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StrictFloat, StrictInt, StrictStr
from typing_extensions import TypedDict

# A batch larger than this is refused with 413: split it (devices send at most this many per POST).
MAX_CONFIRMATIONS_PER_BATCH = 500
# Requests with a larger body are refused with 413 before they are parsed.
MAX_BODY_BYTES = 256 * 1024


# Largest id a 32-bit INTEGER column holds; larger numbers cannot name a playlist item.
MAX_ID = 2**31 - 1
# Longest device id (the column's length); longer ids are refused with 422 before any query.
MAX_DEVICE_ID = 64
# A device id: printable, no control characters (PostgreSQL cannot store NUL in text).
DEVICE_ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"


def _no_control_characters(value: str) -> str:
    """Refuse NUL and other control characters (PostgreSQL text cannot hold NUL; logs should not)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters such as NUL (\\x00)")
    return value


# A string field of a device's report: a JSON string (not a number), without control characters.
DeviceText = Annotated[StrictStr, AfterValidator(_no_control_characters)]


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
    key_id: str = Field(
        "", description="Id of the key that signed this manifest (one of GET /v1/keys/manifest's keys)."
    )
    device_id: str
    issued_at: datetime
    expires_at: datetime
    poll_interval_s: int = Field(
        60, description="Seconds between two polls of this manifest (BANTIN_POLL_INTERVAL_SECONDS)."
    )
    server_time: datetime | None = Field(
        None,
        description="The server clock when the manifest was signed: a device adds (server_time - its own "
        "clock at receipt) to its clock to play at the slot and date its confirmations.",
    )
    items: list[ManifestItem]


class SignedManifestOut(BaseModel):
    """``manifest`` is the canonical JSON text that ``signature`` (base64 Ed25519) signs."""

    manifest: str = Field(description="Canonical JSON of a Manifest: sorted keys, compact, UTF-8.")
    signature: str = Field(description="Base64 Ed25519 signature of the UTF-8 bytes of `manifest`.")
    key_id: str = Field(description="Id of the signing key (GET /v1/keys/manifest).")
    algorithm: Literal["Ed25519"] = "Ed25519"
    server_time: datetime | None = Field(
        None,
        description="The server clock when this answer was sent (not signed). The signed manifest's "
        "server_time is when it was signed, which may be earlier: a manifest is signed once and served "
        "until it changes. A device sets its clock offset from this one.",
    )


class ManifestKey(BaseModel):
    """One key of the key set."""

    key_id: str
    algorithm: Literal["Ed25519"] = "Ed25519"
    public_key_pem: str
    expires_at: datetime | None = Field(
        description="Until when manifests signed with this key are valid; null for the active key."
    )


class KeySignature(BaseModel):
    key_id: str
    signature: str = Field(description="Base64 Ed25519 signature of the UTF-8 bytes of `key_set`.")


class PublicKeyOut(BaseModel):
    """The active key (``key_id``, ``public_key_pem``) and the key set devices should hold.

    After ``bantin keys rotate`` the set holds the new active key and the retired ones until they
    expire. A device takes a new set only if a key it already trusts signed ``key_set``.
    """

    key_id: str = Field(description="Id of the active key, which signs new manifests.")
    algorithm: Literal["Ed25519"] = "Ed25519"
    public_key_pem: str = Field(description="The active public key as PEM.")
    keys: list[ManifestKey] = Field(description="Every key a manifest may be signed with now.")
    key_set: str = Field(description='Canonical JSON of {"keys"}: what `signatures` sign.')
    signatures: list[KeySignature] = Field(description="`key_set` signed by each key in it.")


class ConfirmationIn(BaseModel):
    """A device's report on one item; ``event_id`` is made by the device so retries are safe."""

    event_id: uuid.UUID
    item_id: StrictInt = Field(ge=1, le=MAX_ID)
    status: Literal["played", "displayed", "failed", "skipped"]
    occurred_at: datetime = Field(
        description="When it happened (device clock); no timezone means UTC. Events before 2020-01-01 or "
        "more than a day ahead of the server clock are refused (in `rejected`)."
    )
    duration_s: StrictFloat | None = Field(None, ge=0, le=24 * 3600)
    # Proof of play: optional, so devices that predate it still confirm; the simulator sends them all.
    sha256: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{64}$",
        description="sha256 hex of the audio bytes played (the manifest item's sha256); an audio that is "
        "not the item's approved one is refused (in `rejected`). Without it the item's approved audio is kept.",
    )
    slot_starts_at: datetime | None = Field(None, description="Start of the slot the manifest gave the item.")
    slot_ends_at: datetime | None = Field(None, description="End of the slot the manifest gave the item.")
    started_at: datetime | None = Field(
        None, description="When playing really started (server time: device clock plus its offset)."
    )
    ended_at: datetime | None = Field(None, description="When playing really ended (server time).")
    outcome: DeviceText | None = Field(
        None,
        max_length=200,
        description='How it ended in the device\'s words, e.g. "completed", "interrupted".',
    )


class ConfirmationBatch(BaseModel):
    events: list[ConfirmationIn] = Field(
        description=f"At most {MAX_CONFIRMATIONS_PER_BATCH} events; larger batches get 413."
    )


# The fast path's model (gateway.ingest): ConfirmationIn as devices send it, checked inside pydantic-core
# without making datetimes or UUIDs: times aware ISO 8601 (parsed afterwards with datetime.fromisoformat,
# which reads these exactly as pydantic does), event ids canonical, the outcome's control characters
# refused by a pattern. A batch it refuses goes to the route, whose model takes any form it takes, or
# says why not.
_AWARE_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
_CANONICAL_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
AwareTime = Annotated[StrictStr, Field(pattern=_AWARE_TIME)]


class FastConfirmationIn(TypedDict):
    """ConfirmationIn's fields as the fast path takes them (a dict: no model instance per event)."""

    event_id: Annotated[StrictStr, Field(pattern=_CANONICAL_UUID)]
    item_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
    status: Literal["played", "displayed", "failed", "skipped"]
    occurred_at: AwareTime
    duration_s: NotRequired[Annotated[StrictFloat, Field(ge=0, le=24 * 3600)] | None]
    sha256: NotRequired[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None]
    slot_starts_at: NotRequired[AwareTime | None]
    slot_ends_at: NotRequired[AwareTime | None]
    started_at: NotRequired[AwareTime | None]
    ended_at: NotRequired[AwareTime | None]
    outcome: NotRequired[Annotated[StrictStr, Field(max_length=200, pattern=_NO_CONTROL_CHARACTERS)] | None]


class FastConfirmationBatch(TypedDict):
    events: list[FastConfirmationIn]


class ConfirmationOut(BaseModel):
    """New events, events already known (a retry), conflicting reuses of an id, and refused events."""

    accepted: list[str] = Field(description="Event ids stored now.")
    duplicates: list[str] = Field(
        description="Event ids already stored with the same content: a resend, nothing to do."
    )
    conflicts: list[str] = Field(
        default_factory=list,
        description="Event ids already stored with different content (item, status, time or duration): "
        "the device reused an id; the stored event is kept and this one is not stored. Make a new id "
        "(a random UUID) for every event.",
    )
    rejected: dict[str, str] = Field(description="Refused event ids with the reason.")


class HeartbeatIn(BaseModel):
    """A device's status report; numbers must be JSON numbers and flags JSON booleans (typed strictly)."""

    status: DeviceText = Field(
        "ok", max_length=32, description="ok, degraded, error... as the device sees itself."
    )
    signal_dbm: StrictInt | None = Field(None, ge=-200, le=50, description="Radio signal strength in dBm.")
    battery_pct: StrictInt | None = Field(None, ge=0, le=100)
    fm_fallback: StrictBool = Field(
        False, description="True when the cluster relays FM because the network is down."
    )
    firmware: DeviceText = Field("", max_length=64)
    free_storage_bytes: int | None = Field(
        None,
        ge=0,
        le=2**63 - 1,
        strict=True,
        description="Free storage on the device in bytes (a JSON integer), shown to officers.",
    )


class HeartbeatOut(BaseModel):
    device_id: str
    received_at: datetime


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"
    database: Literal["ok"] = "ok"
