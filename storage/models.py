"""SQLModel tables: administrative units, bulletins and their renditions, devices, playback."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime, time

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now in UTC; SQLModel stores aware datetimes and returns them in UTC."""
    return datetime.now(UTC)


class AdminLevel(enum.StrEnum):
    """Administrative levels, top to bottom; districts only in plans written before July 2025."""

    country = "country"
    province = "province"
    district = "district"
    commune = "commune"
    village = "village"


class Priority(enum.StrEnum):
    """The three broadcast priorities of Thông tư 39/2020/TT-BTTTT."""

    normal = "normal"
    priority = "priority"
    emergency = "emergency"


class BulletinStatus(enum.StrEnum):
    draft = "draft"
    produced = "produced"
    pending_review = "pending_review"
    approved = "approved"
    rejected = "rejected"
    changes_requested = "changes_requested"
    distributed = "distributed"
    expired = "expired"  # nobody approved it before its broadcast window


class RenditionKind(enum.StrEnum):
    script = "script"  # spoken script, written form
    spoken = "spoken"  # normalized spoken form fed to speech synthesis
    eboard = "eboard"  # short text for electronic bulletin boards
    audio = "audio"  # mastered MP3 in the object store


class DeviceKind(enum.StrEnum):
    speaker_cluster = "speaker_cluster"
    eboard = "eboard"


class ReviewDecision(enum.StrEnum):
    approve = "approve"
    reject = "reject"
    request_changes = "request_changes"


class PersonRole(enum.StrEnum):
    editor = "editor"
    reviewer = "reviewer"
    translator = "translator"
    officer = "officer"


class ReviewRequestStatus(enum.StrEnum):
    waiting = "waiting"
    decided = "decided"
    expired = "expired"


class PlaybackStatus(enum.StrEnum):
    played = "played"
    displayed = "displayed"
    failed = "failed"
    skipped = "skipped"


class AdminUnit(SQLModel, table=True):
    """A unit of the administrative hierarchy; the code is GSO's where one exists."""

    __tablename__ = "admin_unit"

    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(index=True, max_length=200)
    level: AdminLevel = Field(index=True)
    division_type: str = Field(default="", max_length=64)
    parent_code: str | None = Field(default=None, foreign_key="admin_unit.code", index=True, max_length=32)
    languages: list[str] = Field(default_factory=lambda: ["vie"], sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Bulletin(SQLModel, table=True):
    """An editor's bulletin; its text lives in versions."""

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, unique=True, max_length=100)
    title: str = Field(max_length=500)
    category: str = Field(default="van_hoa_xa_hoi", max_length=64)
    priority: Priority = Field(default=Priority.normal)
    status: BulletinStatus = Field(default=BulletinStatus.draft, index=True)
    source_unit_code: str = Field(foreign_key="admin_unit.code", max_length=32)
    created_by: str = Field(default="", max_length=200)
    target_seconds: int = Field(default=60)
    production_note: str = Field(default="", description="Why production failed, for the editor.")
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class BulletinTarget(SQLModel, table=True):
    """A unit a bulletin is addressed to; its devices and those below it receive it."""

    __tablename__ = "bulletin_target"

    bulletin_id: int = Field(foreign_key="bulletin.id", primary_key=True)
    unit_code: str = Field(foreign_key="admin_unit.code", primary_key=True, max_length=32)


class BulletinVersion(SQLModel, table=True):
    """One immutable text of a bulletin; an edit makes a new version."""

    __tablename__ = "bulletin_version"
    __table_args__ = (UniqueConstraint("bulletin_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="bulletin.id", index=True)
    number: int
    body: str
    content_hash: str = Field(max_length=64, index=True)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Rendition(SQLModel, table=True):
    """A version rendered in one language and kind: script, spoken form, e-board text or audio."""

    __table_args__ = (UniqueConstraint("version_id", "language", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="bulletin_version.id", index=True)
    language: str = Field(default="vie", max_length=8)
    kind: RenditionKind
    text: str = ""
    audio_key: str | None = Field(default=None, max_length=200)
    duration_s: float | None = None
    loudness_lufs: float | None = None
    true_peak_dbtp: float | None = None
    engine: str = Field(default="", max_length=100)
    voice: str = Field(default="", max_length=200)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Review(SQLModel, table=True):
    """A reviewer's decision on one version."""

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="bulletin_version.id", index=True)
    reviewer: str = Field(max_length=200)
    decision: ReviewDecision
    comment: str = ""
    flow_run_id: str | None = Field(default=None, max_length=64)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    content_digest: str = Field(default="", max_length=64, description="version_digest of what was approved.")
    created_at: datetime = Field(default_factory=utcnow)


class Person(SQLModel, table=True):
    """Someone who drafts, reviews, translates or oversees bulletins for one unit."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, max_length=200)
    unit_code: str = Field(foreign_key="admin_unit.code", index=True, max_length=32)
    role: PersonRole = Field(index=True)
    office: str = Field(default="", max_length=200, description="e.g. Phó Chủ tịch UBND xã.")
    emergency: bool = Field(default=False, description="Pre-authorised to approve emergency bulletins.")
    active: bool = True
    totp_secret_enc: str = Field(default="", description="Fernet-encrypted base32 TOTP secret.")
    totp_last_step: int | None = Field(default=None, description="Time step of the last accepted code.")
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class ReviewRequest(SQLModel, table=True):
    """The one review of a version: who waits for it, until when, and how it ended."""

    __tablename__ = "review_request"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="bulletin_version.id", unique=True)
    flow_run_id: str = Field(default="", max_length=64)
    status: ReviewRequestStatus = Field(default=ReviewRequestStatus.waiting, index=True)
    level: int = Field(default=0, description="0 = the targets' own reviewers, n = escalated n levels.")
    requested_at: datetime = Field(default_factory=utcnow)
    due_at: datetime | None = None
    decided_at: datetime | None = None
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AuditEvent(SQLModel, table=True):
    """One appended state change; each row's hash covers the previous row's hash."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=200)
    action: str = Field(index=True, max_length=64)
    bulletin_id: int | None = Field(default=None, index=True)
    version_id: int | None = Field(default=None)
    content_hash: str = Field(default="", max_length=64)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(default="", max_length=64)
    row_hash: str = Field(default="", max_length=64)


class Device(SQLModel, table=True):
    """A loudspeaker-cluster controller or an e-board; it authenticates with a token."""

    id: str = Field(primary_key=True, max_length=64)
    kind: DeviceKind
    unit_code: str = Field(foreign_key="admin_unit.code", index=True, max_length=32)
    name: str = Field(default="", max_length=200)
    languages: list[str] = Field(default_factory=lambda: ["vie"], sa_column=Column(JSON, nullable=False))
    token_hash: str = Field(default="", max_length=64)
    simulated: bool = False
    last_seen_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class BroadcastWindow(SQLModel, table=True):
    """A daily time window (local time) in which a unit's loudspeakers broadcast."""

    __tablename__ = "broadcast_window"

    id: int | None = Field(default=None, primary_key=True)
    unit_code: str | None = Field(default=None, foreign_key="admin_unit.code", index=True, max_length=32)
    name: str = Field(max_length=100)
    starts: time
    ends: time


class BroadcastSetting(SQLModel, table=True):
    """A unit's program limits, when set on it; units without one inherit their parent's."""

    __tablename__ = "broadcast_setting"

    unit_code: str = Field(foreign_key="admin_unit.code", primary_key=True, max_length=32)
    max_program_minutes: int | None = Field(default=None, description="Longest program in one window.")
    language_order: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False), description="Order languages play in."
    )
    updated_by: str = Field(default="", max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)


class PlaylistItem(SQLModel, table=True):
    """One rendition scheduled on one device for one day's window."""

    __tablename__ = "playlist_item"
    # A loudspeaker plays a version once per language in a window, one language after the other.
    __table_args__ = (
        UniqueConstraint(
            "device_id",
            "version_id",
            "broadcast_date",
            "window_name",
            "language",
            name="uq_playlist_item_device_version_window_language",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(foreign_key="device.id", index=True, max_length=64)
    bulletin_id: int = Field(foreign_key="bulletin.id", index=True)
    version_id: int = Field(foreign_key="bulletin_version.id")
    rendition_id: int = Field(foreign_key="rendition.id")
    audio_sha256: str = Field(default="", max_length=64, description="sha256 of the approved audio bytes.")
    language: str = Field(max_length=8)
    priority: Priority = Field(default=Priority.normal)
    broadcast_date: date
    window_name: str = Field(max_length=100)
    starts_at: datetime
    ends_at: datetime
    delivered_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class PlaybackConfirmation(SQLModel, table=True):
    """A device's report that it played (or failed to play) a playlist item."""

    __tablename__ = "playback_confirmation"

    id: int | None = Field(default=None, primary_key=True)
    event_id: uuid.UUID = Field(unique=True)
    device_id: str = Field(foreign_key="device.id", index=True, max_length=64)
    playlist_item_id: int = Field(foreign_key="playlist_item.id", index=True)
    status: PlaybackStatus
    occurred_at: datetime
    received_at: datetime = Field(default_factory=utcnow)
    duration_s: float | None = None
    # Proof of play, copied here so it outlives edits of the bulletin: the audio's sha256 (the device's,
    # else the item's approved audio when the confirmation came), the slot it was given, when it really
    # played (server time) and how it ended in the device's words.
    content_sha256: str | None = Field(default=None, max_length=64)
    slot_starts_at: datetime | None = None
    slot_ends_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=200)


class PlaylistItemOutcome(SQLModel, table=True):
    """What an item's confirmations add up to; database triggers keep it (see storage.metrics)."""

    __tablename__ = "playlist_item_outcome"

    playlist_item_id: int = Field(foreign_key="playlist_item.id", primary_key=True)
    played: int = 0
    played_on_time: int = 0
    failed: int = 0
    heard: float = 0.0
    first_played_at: datetime | None = None
    confirmations: int = 0


class Heartbeat(SQLModel, table=True):
    """A device's periodic status report."""

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(foreign_key="device.id", index=True, max_length=64)
    received_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="ok", max_length=32)
    signal_dbm: int | None = None
    battery_pct: int | None = None
    fm_fallback: bool = False
    firmware: str = Field(default="", max_length=64)
    free_storage_bytes: int | None = Field(
        default=None, sa_type=BigInteger, description="Free storage the device reported, in bytes."
    )


class CitizenFeedback(SQLModel, table=True):
    """A citizen's rating or message about a bulletin or their area."""

    __tablename__ = "citizen_feedback"

    id: int | None = Field(default=None, primary_key=True)
    unit_code: str = Field(foreign_key="admin_unit.code", index=True, max_length=32)
    bulletin_id: int | None = Field(default=None, foreign_key="bulletin.id", index=True)
    channel: str = Field(default="portal", max_length=32)
    topic: str = Field(default="", max_length=64)
    rating: int | None = Field(default=None, ge=1, le=5)
    message: str = ""
    handled: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class TranslationMemoryEntry(SQLModel, table=True):
    """An approved translation of one Vietnamese segment; the memory grows with every approved human translation."""

    __tablename__ = "translation_memory"
    __table_args__ = (UniqueConstraint("target_language", "source_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    source_language: str = Field(default="vie", max_length=8)
    target_language: str = Field(index=True, max_length=8)
    source_text: str
    target_text: str
    source_key: str = Field(description="Normalized source with values as placeholders (nlp.segment_key).")
    source_hash: str = Field(max_length=64, description="sha256 of source_key.")
    target_template: str = Field(description="target_text with the source's values as numbered placeholders.")
    origin: str = Field(default="human", max_length=32, description="human (approved in a run) or import.")
    person_id: int | None = Field(default=None, foreign_key="person.id")
    version_id: int | None = Field(default=None, foreign_key="bulletin_version.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class UnitLanguages(SQLModel, table=True):
    """The languages a unit broadcasts in, when set on it; units without a setting inherit their parent's."""

    __tablename__ = "unit_languages"

    unit_code: str = Field(foreign_key="admin_unit.code", primary_key=True, max_length=32)
    languages: list[str] = Field(default_factory=lambda: ["vie"], sa_column=Column(JSON, nullable=False))
    updated_by: str = Field(default="", max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)


class TranslatorLanguage(SQLModel, table=True):
    """A language a translator works in, when set; otherwise the broadcast languages of their unit."""

    __tablename__ = "translator_language"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    language: str = Field(primary_key=True, max_length=8)
