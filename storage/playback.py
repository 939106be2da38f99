"""Distribution and playback: broadcast windows, per-device playlists, confirmations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage.audit import append_audit
from storage.bulletins import approved_review, target_codes, version_digest
from storage.errors import InvalidDraft, StorageError, UnknownBulletin
from storage.links import rendition_sha256
from storage.models import (
    BroadcastWindow,
    Bulletin,
    BulletinStatus,
    BulletinVersion,
    Device,
    DeviceKind,
    PlaybackConfirmation,
    PlaybackStatus,
    PlaylistItem,
    Priority,
    Rendition,
    RenditionKind,
    Review,
    utcnow,
)
from storage.units import ancestor_codes, descendant_codes

# Typical daily windows of commune radio: early morning and late afternoon.
DEFAULT_WINDOWS = (("sáng", time(6, 0), time(6, 45)), ("chiều", time(17, 0), time(17, 45)))
EMERGENCY_WINDOW = "khẩn cấp"
EMERGENCY_HOURS = 6
MAX_CLOCK_SKEW = timedelta(minutes=10)


def ensure_default_windows(session: Session) -> None:
    """Create the default windows (for every unit without its own) if none exist."""
    if session.exec(select(BroadcastWindow).where(BroadcastWindow.unit_code.is_(None))).first() is None:
        for name, starts, ends in DEFAULT_WINDOWS:
            session.add(BroadcastWindow(unit_code=None, name=name, starts=starts, ends=ends))
        session.flush()


def windows_for_unit(session: Session, unit_code: str) -> list[BroadcastWindow]:
    """The windows of the nearest unit (itself, then its ancestors) that has any, else the defaults."""
    for code in ancestor_codes(session, unit_code):
        found = session.exec(select(BroadcastWindow).where(BroadcastWindow.unit_code == code)).all()
        if found:
            return sorted(found, key=lambda w: w.starts)
    defaults = session.exec(select(BroadcastWindow).where(BroadcastWindow.unit_code.is_(None))).all()
    return sorted(defaults, key=lambda w: w.starts)


def next_slot(
    windows: list[BroadcastWindow], now: datetime, tz: ZoneInfo
) -> tuple[date, str, datetime, datetime]:
    """The first window that has not ended yet, today or tomorrow, in UTC."""
    local_now = now.astimezone(tz)
    for offset in (0, 1):
        day = local_now.date() + timedelta(days=offset)
        for window in windows:
            starts = datetime.combine(day, window.starts, tzinfo=tz)
            ends = datetime.combine(day, window.ends, tzinfo=tz)
            if ends > local_now:
                return day, window.name, starts.astimezone(UTC), ends.astimezone(UTC)
    raise ValueError("no broadcast window is defined")


def _pick_rendition(options: dict[str, Rendition], device: Device) -> Rendition | None:
    for language in [*device.languages, "vie"]:
        if language in options:
            return options[language]
    return None


@dataclass
class Distribution:
    """What a distribution scheduled."""

    bulletin_id: int
    version_id: int
    items_created: int = 0
    items_existing: int = 0
    devices: int = 0
    skipped: dict[str, str] = field(default_factory=dict)


class ApprovalOutdated(StorageError):
    """The version's renditions changed after it was approved: what would play is not what was approved."""

    code = "approval_outdated"


def _approval(session: Session, bulletin: Bulletin, version: BulletinVersion) -> Review:
    """The approval of ``version``, provided its renditions are still exactly what the reviewer approved."""
    approval = approved_review(session, version.id)
    if approval is None:
        raise InvalidDraft(
            f"bulletin {bulletin.id} version {version.number} has not been approved: nothing is broadcast "
            "without a reviewer's approval",
            f"bản tin {bulletin.id} phiên bản {version.number} chưa được duyệt: không phát nội dung chưa duyệt",
        )
    current = version_digest(session, version.id)
    if approval.content_digest != current:
        raise ApprovalOutdated(
            f"bulletin {bulletin.id} version {version.number} changed after it was approved (approved content "
            f"{approval.content_digest[:12] or 'unknown'}…, now {current[:12]}…): nothing was scheduled; "
            "the changed content needs its own review",
            f"bản tin {bulletin.id} phiên bản {version.number} đã thay đổi sau khi được duyệt (nội dung đã duyệt "
            f"{approval.content_digest[:12] or 'không rõ'}…, hiện tại {current[:12]}…): chưa lên lịch phát; "
            "nội dung đã thay đổi cần được duyệt lại",
        )
    return approval


def distribute_version(
    *,
    session: Session,
    version_id: int,
    now: datetime | None = None,
    timezone: str = "Asia/Ho_Chi_Minh",
    actor: str = "system",
) -> Distribution:
    """Schedule an approved, unchanged version on every device in its target units (idempotent).

    Each audio item names the sha256 of the exact audio that was approved; the gateway serves a
    device only those.
    """
    version = session.get(BulletinVersion, version_id)
    if version is None:
        raise UnknownBulletin(f"no bulletin version {version_id}", f"không có phiên bản bản tin {version_id}")
    bulletin = session.get(Bulletin, version.bulletin_id)
    approval = _approval(session, bulletin, version)
    now = now or utcnow()
    tz = ZoneInfo(timezone)
    ensure_default_windows(session)
    units = descendant_codes(session, target_codes(session, bulletin.id))
    devices = session.exec(select(Device).where(col(Device.unit_code).in_(units)).order_by(Device.id)).all()
    by_kind: dict[RenditionKind, dict[str, Rendition]] = {RenditionKind.audio: {}, RenditionKind.eboard: {}}
    for rendition in session.exec(select(Rendition).where(Rendition.version_id == version_id)).all():
        if rendition.kind in by_kind:
            by_kind[rendition.kind][rendition.language] = rendition
    result = Distribution(bulletin_id=bulletin.id, version_id=version_id, devices=len(devices))
    scheduled: set[str] = set()
    for device in devices:
        wanted = RenditionKind.audio if device.kind == DeviceKind.speaker_cluster else RenditionKind.eboard
        rendition = _pick_rendition(by_kind[wanted], device)
        if rendition is None:
            result.skipped[device.id] = f"no {wanted.value} rendition in {device.languages} or vie"
            continue
        sha = rendition_sha256(rendition) if wanted == RenditionKind.audio else ""
        if sha is None:
            result.skipped[device.id] = f"the {rendition.language} audio has no sha256"
            continue
        if bulletin.priority == Priority.emergency:
            day, window = now.astimezone(tz).date(), EMERGENCY_WINDOW
            starts, ends = now, now + timedelta(hours=EMERGENCY_HOURS)
        else:
            day, window, starts, ends = next_slot(windows_for_unit(session, device.unit_code), now, tz)
        existing = session.exec(
            select(PlaylistItem).where(
                PlaylistItem.device_id == device.id, PlaylistItem.version_id == version_id
            )
        ).first()
        if existing is not None:
            result.items_existing += 1
            continue
        session.add(
            PlaylistItem(
                device_id=device.id,
                bulletin_id=bulletin.id,
                version_id=version_id,
                rendition_id=rendition.id,
                language=rendition.language,
                priority=bulletin.priority,
                broadcast_date=day,
                window_name=window,
                starts_at=starts,
                ends_at=ends,
                audio_sha256=sha,
            )
        )
        if sha:
            scheduled.add(sha)
        result.items_created += 1
    bulletin.status = BulletinStatus.distributed
    session.add(bulletin)
    session.flush()
    if result.items_created or not result.items_existing:  # a rerun that scheduled nothing new is not logged
        append_audit(
            session,
            actor=actor,
            action="distributed",
            bulletin_id=bulletin.id,
            version_id=version_id,
            content_hash=approval.content_digest,
            details={
                "items_created": result.items_created,
                "devices": result.devices,
                "audio_sha256": sorted(scheduled),
                "skipped": result.skipped,
            },
        )
    return result


@dataclass(frozen=True)
class ManifestEntry:
    """One thing a device plays or shows, as the gateway sends it."""

    item_id: int
    bulletin_id: int
    title: str
    priority: str
    language: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    audio_key: str | None
    duration_s: float | None
    text: str
    sha256: str | None = None  # of the approved audio bytes, for audio items


_PRIORITY_ORDER = {Priority.emergency: 0, Priority.priority: 1, Priority.normal: 2}


def _item_sha256(item: PlaylistItem, rendition: Rendition) -> str | None:
    """The approved audio of an item; items scheduled before sha256s were recorded name their rendition's."""
    if rendition.kind != RenditionKind.audio:
        return None
    return item.audio_sha256 or rendition_sha256(rendition)


def _current_items(
    session: Session, device: Device, now: datetime
) -> list[tuple[PlaylistItem, Rendition, Bulletin]]:
    """A device's items whose window has not ended and that it has not yet played or shown.

    Only the newest distributed version of each bulletin counts: a corrected bulletin replaces the
    text and audio of the earlier one on every device that has both.
    """
    query = (
        select(PlaylistItem, Rendition, Bulletin)
        .join(Rendition, Rendition.id == PlaylistItem.rendition_id)
        .join(Bulletin, Bulletin.id == PlaylistItem.bulletin_id)
        .where(PlaylistItem.device_id == device.id, PlaylistItem.ends_at > now)
    )
    rows = session.exec(query).all()
    played = set(
        session.exec(
            select(PlaybackConfirmation.playlist_item_id).where(
                PlaybackConfirmation.device_id == device.id,
                col(PlaybackConfirmation.status).in_([PlaybackStatus.played, PlaybackStatus.displayed]),
            )
        ).all()
    )
    newest: dict[int, int] = {}  # a newer approved version of a bulletin supersedes the older ones
    for item, _, _ in rows:
        newest[item.bulletin_id] = max(newest.get(item.bulletin_id, 0), item.version_id)
    return [
        (item, rendition, bulletin)
        for item, rendition, bulletin in rows
        if item.id not in played and item.version_id == newest[item.bulletin_id]
    ]


def device_playlist(
    *, session: Session, device: Device, now: datetime | None = None, mark_delivered: bool = True
) -> list[ManifestEntry]:
    """What a device should play from now on; emergencies first, then by start time."""
    now = now or utcnow()
    entries = []
    for item, rendition, bulletin in _current_items(session, device, now):
        if mark_delivered and item.delivered_at is None:
            item.delivered_at = now
            session.add(item)
        sha = _item_sha256(item, rendition)
        entries.append(
            ManifestEntry(
                item_id=item.id,
                bulletin_id=bulletin.id,
                title=bulletin.title,
                priority=item.priority.value,
                language=item.language,
                kind=rendition.kind.value,
                starts_at=item.starts_at,
                ends_at=item.ends_at,
                audio_key=f"audio/{sha}.mp3" if sha else None,
                duration_s=rendition.duration_s,
                text=rendition.text,
                sha256=sha,
            )
        )
    session.flush()
    return sorted(entries, key=lambda e: (_PRIORITY_ORDER[Priority(e.priority)], e.starts_at, e.item_id))


def device_audio_allowed(
    *, session: Session, device: Device, sha256: str, now: datetime | None = None
) -> bool:
    """True when the audio with ``sha256`` is in the device's current manifest (approved and scheduled on it)."""
    now = now or utcnow()
    return any(
        _item_sha256(item, rendition) == sha256 for item, rendition, _ in _current_items(session, device, now)
    )


@dataclass(frozen=True)
class ConfirmationEvent:
    """A device's report about one playlist item; ``event_id`` is made by the device."""

    event_id: uuid.UUID
    item_id: int
    status: PlaybackStatus
    occurred_at: datetime
    duration_s: float | None = None


@dataclass
class ConfirmationResult:
    """How a batch of confirmations was taken: new, already known, or refused with a reason."""

    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


def record_confirmations(
    *, session: Session, device: Device, events: list[ConfirmationEvent], now: datetime | None = None
) -> ConfirmationResult:
    """Store a batch idempotently; events for another device's items or from the future are refused."""
    now = now or utcnow()
    result = ConfirmationResult()
    item_ids = {e.item_id for e in events}
    owned = {
        i.id: i for i in session.exec(select(PlaylistItem).where(col(PlaylistItem.id).in_(item_ids))).all()
    }
    known = set(
        session.exec(
            select(PlaybackConfirmation.event_id).where(
                col(PlaybackConfirmation.event_id).in_([e.event_id for e in events])
            )
        ).all()
    )
    for event in events:
        key = str(event.event_id)
        item = owned.get(event.item_id)
        occurred = event.occurred_at if event.occurred_at.tzinfo else event.occurred_at.replace(tzinfo=UTC)
        if event.event_id in known:
            result.duplicates.append(key)
        elif item is None or item.device_id != device.id:
            result.rejected[key] = f"playlist item {event.item_id} is not scheduled on device {device.id}"
        elif occurred > now + MAX_CLOCK_SKEW:
            result.rejected[key] = (
                f"occurred_at {occurred.isoformat()} is in the future: check the device clock"
            )
        else:
            session.add(
                PlaybackConfirmation(
                    event_id=event.event_id,
                    device_id=device.id,
                    playlist_item_id=item.id,
                    status=event.status,
                    occurred_at=occurred,
                    received_at=now,
                    duration_s=event.duration_s,
                )
            )
            known.add(event.event_id)
            result.accepted.append(key)
    session.flush()
    return result
