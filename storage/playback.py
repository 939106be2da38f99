"""Distribution and playback: broadcast windows, per-device playlists, confirmations."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.audit import append_audit
from storage.bulletins import approved_review, target_codes, version_digest
from storage.emergency import manifests_changed
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
from storage.programs import NEW, ProgramBook, as_utc, program_block
from storage.units import ancestor_codes, descendant_codes
from storage.windows import UnitBroadcast, unit_broadcasts

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
    windows: list[tuple[str, time, time]], now: datetime, tz: ZoneInfo
) -> tuple[date, str, datetime, datetime]:
    """The first window (name, start, end in local time, in time order) that has not ended yet, today
    or tomorrow, in UTC."""
    local_now = now.astimezone(tz)
    for offset in (0, 1):
        day = local_now.date() + timedelta(days=offset)
        for name, start, end in windows:
            starts = datetime.combine(day, start, tzinfo=tz)
            ends = datetime.combine(day, end, tzinfo=tz)
            if ends > local_now:
                return day, name, starts.astimezone(UTC), ends.astimezone(UTC)
    raise ValueError("no broadcast window is defined")


def _pick_rendition(
    options: dict[str, Rendition], device: Device, order: list[str] | None = None
) -> Rendition | None:
    """The first rendition in the unit's language order (when set), then the device's languages, then vie."""
    for language in [*(order or []), *device.languages, "vie"]:
        if language in options:
            return options[language]
    return None


def _language_sequence(
    options: dict[str, Rendition], device: Device, order: list[str] | None = None
) -> list[Rendition]:
    """The audio a loudspeaker plays, one language after the other (Decree 49/2024).

    The device's languages that have audio, in the unit's language order, then those the order does not
    name in the device's own order. A device with one language, or none of whose languages has audio,
    gets one rendition as ``_pick_rendition`` chooses it.
    """
    own = list(dict.fromkeys(device.languages or []))
    rank = {language: n for n, language in enumerate(order or [])}
    spoken = sorted(
        (language for language in own if language in options),
        key=lambda language: (rank.get(language, len(rank)), own.index(language)),
    )
    if len(own) > 1 and spoken:
        return [options[language] for language in spoken]
    picked = _pick_rendition(options, device, order)
    return [picked] if picked is not None else []


@dataclass
class Distribution:
    """What a distribution scheduled."""

    bulletin_id: int
    version_id: int
    items_created: int = 0
    items_existing: int = 0
    devices: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    # Loudspeakers where the composer found no slot before the bulletin expires: {device: {"vi", "en"}}.
    unplaced: dict[str, dict[str, str]] = field(default_factory=dict)
    # Other bulletins pushed out of a loudspeaker's program by this one: {device: [bulletin ids]}.
    displaced: dict[str, list[int]] = field(default_factory=dict)
    moved: int = 0  # items of other bulletins that moved to a later slot to make room
    # Bulletins on air that this emergency interrupts: {device: [bulletin ids]}.
    interrupted: dict[str, list[int]] = field(default_factory=dict)
    # Loudspeakers whose sequence of languages did not fit where its first language alone would have
    # played, so the whole sequence plays in a later window: {device: {"vi", "en"}}.
    deferred: dict[str, dict[str, str]] = field(default_factory=dict)
    changed_units: list[str] = field(default_factory=list)  # units whose devices' manifests changed

    def notice(self) -> str:
        """What the editor must know, in Vietnamese and English; empty when everything was scheduled."""
        lines = []
        reasons: dict[tuple[str, str], list[str]] = {}
        for device, reason in self.unplaced.items():
            reasons.setdefault((reason["vi"], reason["en"]), []).append(device)
        for (vi, en), devices in sorted(reasons.items()):
            lines.append(
                f"Bản tin {self.bulletin_id} không xếp được lịch trên {len(devices)} cụm loa ({', '.join(devices)}): "
                f"{vi} / Bulletin {self.bulletin_id} could not be scheduled on {len(devices)} loudspeaker "
                f"cluster(s): {en}"
            )
        later: dict[tuple[str, str], list[str]] = {}
        for device, reason in self.deferred.items():
            later.setdefault((reason["vi"], reason["en"]), []).append(device)
        for (vi, en), devices in sorted(later.items()):
            lines.append(
                f"Bản tin {self.bulletin_id} trên {len(devices)} cụm loa ({', '.join(sorted(devices))}): {vi} / "
                f"Bulletin {self.bulletin_id} on {len(devices)} loudspeaker cluster(s): {en}"
            )
        for device, bulletins in sorted(self.displaced.items()):
            ids = ", ".join(str(b) for b in bulletins)
            lines.append(
                f"Trên {device}, bản tin {ids} bị đẩy ra khỏi lịch phát bởi bản tin {self.bulletin_id} ưu tiên hơn / "
                f"On {device}, bulletin(s) {ids} were pushed out of the program by bulletin {self.bulletin_id}"
            )
        return "\n".join(lines)


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
    broadcasts = unit_broadcasts(session, [d.unit_code for d in devices])
    # A device that has this version's items has them all (one per language, made in one transaction).
    done = Counter(
        session.exec(select(PlaylistItem.device_id).where(PlaylistItem.version_id == version_id)).all()
    )
    speakers = [d.id for d in devices if d.kind == DeviceKind.speaker_cluster and d.id not in done]
    book = ProgramBook(session, speakers, bulletin.id, now)
    new_items: list[dict] = []
    board_slots: dict[str, tuple[date, str, datetime, datetime]] = {}  # per unit: the next window
    for device in devices:
        wanted = RenditionKind.audio if device.kind == DeviceKind.speaker_cluster else RenditionKind.eboard
        broadcast = broadcasts[device.unit_code]
        if wanted == RenditionKind.audio:  # each language the loudspeaker broadcasts in, in the unit's order
            renditions = _language_sequence(by_kind[wanted], device, broadcast.language_order)
        else:  # a board shows one text
            picked = _pick_rendition(by_kind[wanted], device, broadcast.language_order)
            renditions = [picked] if picked is not None else []
        if not renditions:
            result.skipped[device.id] = f"no {wanted.value} rendition in {device.languages} or vie"
            continue
        shas = [rendition_sha256(r) if wanted == RenditionKind.audio else "" for r in renditions]
        if None in shas:
            missing = ", ".join(r.language for r, sha in zip(renditions, shas, strict=True) if sha is None)
            result.skipped[device.id] = f"the {missing} audio has no sha256"
            continue
        if device.id in done:
            result.items_existing += done[device.id]
            continue
        if device.kind == DeviceKind.speaker_cluster:
            slots = _compose_on(book, device, renditions, bulletin, approval, broadcast, result, tz)
            if slots is None:
                continue
        elif bulletin.priority == Priority.emergency:
            slots = [
                (now.astimezone(tz).date(), EMERGENCY_WINDOW, now, now + timedelta(hours=EMERGENCY_HOURS))
            ]
        else:  # a board shows every item of a window for the whole window
            if device.unit_code not in board_slots:  # the unit's windows were loaded with its broadcast
                board_slots[device.unit_code] = next_slot(broadcast.windows, now, tz)
            slots = [board_slots[device.unit_code]]
        for rendition, sha, (day, window, starts, ends) in zip(renditions, shas, slots, strict=True):
            new_items.append(
                {
                    "device_id": device.id,
                    "bulletin_id": bulletin.id,
                    "version_id": version_id,
                    "rendition_id": rendition.id,
                    "language": rendition.language,
                    "priority": bulletin.priority,
                    "broadcast_date": day,
                    "window_name": window,
                    "starts_at": starts,
                    "ends_at": ends,
                    "audio_sha256": sha,
                    "delivered_at": None,
                    "created_at": now,
                }
            )
            if sha:
                scheduled.add(sha)
            result.items_created += 1
    bulletin.status = BulletinStatus.distributed
    session.add(bulletin)
    session.flush()  # the moves and removals of other items first: their slots are free for the new ones
    if new_items:  # one multi-row INSERT per batch, not one ORM object per device
        session.execute(insert(PlaylistItem), new_items)
    if result.items_created:  # repeat an emergency, wake devices waiting on their manifests
        units = {d.unit_code for d in devices if d.unit_code}
        result.changed_units = manifests_changed(
            session, version_id=version_id, priority=bulletin.priority, unit_codes=units, now=now
        )
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
                "unplaced": result.unplaced,
                "displaced": result.displaced,
                "moved": result.moved,
                "interrupted": result.interrupted,
                "deferred": result.deferred,
            },
        )
    return result


def _compose_on(
    book: ProgramBook,
    device: Device,
    renditions: list[Rendition],
    bulletin: Bulletin,
    approval: Review,
    broadcast: UnitBroadcast,
    result: Distribution,
    tz: ZoneInfo,
) -> list[tuple[date, str, datetime, datetime]] | None:
    """The slots the composer gives a loudspeaker's new items, one per rendition, back to back in their
    order inside one block (None: the block found no room, reported in ``result.unplaced``).

    An emergency stays in the manifest for EMERGENCY_HOURS (or until it expires) after its slot starts,
    so a device that polls late still plays it at once.
    """
    new = program_block(NEW, renditions, bulletin, as_utc(approval.created_at) or book.now)
    placement = book.place(device, new, broadcast, tz)
    result.moved += placement.moved
    if placement.interrupted:
        result.interrupted[device.id] = placement.interrupted
    if placement.displaced:
        result.displaced[device.id] = sorted({bulletin_id for bulletin_id, _, _ in placement.displaced})
    languages = " + ".join(r.language for r in renditions)
    if placement.slot is None:
        report = placement.unplaced
        vi, en = report.reason_vi, report.reason_en
        if len(renditions) > 1:
            vi += f" (các thứ tiếng {languages} phát liền nhau, tổng {new.duration_s:.0f} giây)"
            en += f" (the languages {languages} play back to back, {new.duration_s:.0f} s in all)"
        result.unplaced[device.id] = {"vi": vi, "en": en}
        return None
    slot = placement.slot
    if placement.deferred is not None:
        alone, at = placement.deferred, slot.starts.astimezone(tz)
        result.deferred[device.id] = {
            "vi": f"các thứ tiếng {languages} phát liền nhau ({new.duration_s:.0f} giây) không vừa khung "
            f"{alone.window} ngày {alone.day:%d/%m/%Y}; cả chuỗi phát trong khung {slot.window} lúc "
            f"{at:%H:%M %d/%m/%Y}",
            "en": f"the languages {languages} play back to back ({new.duration_s:.0f} s) and do not fit in "
            f"window {alone.window} on {alone.day:%d/%m/%Y}; the whole sequence plays in window "
            f"{slot.window} at {at:%H:%M %d/%m/%Y}",
        }
    slots = []
    for part in slot.parts:
        ends = part.ends
        if bulletin.priority == Priority.emergency:
            until = new.valid_until or part.starts + timedelta(hours=EMERGENCY_HOURS)
            ends = max(part.ends, min(until, part.starts + timedelta(hours=EMERGENCY_HOURS)))
        slots.append((slot.day, slot.window, part.starts, ends))
    return slots


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
    """A device's items whose window has not ended, audio not yet played; e-board text its whole window.

    A board shows an item until its window ends, whatever was confirmed: a "displayed" confirmation
    says the board showed it, not that people no longer need to read it. Only the newest distributed
    version of each bulletin counts: a corrected bulletin replaces the text and audio of the earlier one
    on every device that has both.
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
        if (item.id not in played or rendition.kind == RenditionKind.eboard)
        and item.version_id == newest[item.bulletin_id]
    ]


def _manifest_entry(item, rendition: Rendition, bulletin: Bulletin, sha: str | None) -> ManifestEntry:  # type: ignore[no-untyped-def]
    """One manifest line from a playlist item (an ORM object or a row with the same fields)."""
    return ManifestEntry(
        item_id=item.id,
        bulletin_id=bulletin.id,
        title=bulletin.title,
        priority=Priority(item.priority).value,
        language=item.language,
        kind=rendition.kind.value,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        audio_key=f"audio/{sha}.mp3" if sha else None,
        duration_s=rendition.duration_s,
        text=rendition.text,
        sha256=sha,
    )


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
        entries.append(_manifest_entry(item, rendition, bulletin, sha))
    session.flush()
    return sorted(entries, key=lambda e: (_PRIORITY_ORDER[Priority(e.priority)], e.starts_at, e.item_id))


# Devices read per statement when playlists are read for many at once (well inside any bind limit).
PLAYLISTS_CHUNK = 500


def device_playlists(
    *, session: Session, device_ids: list[str], now: datetime | None = None, mark_delivered: bool = True
) -> dict[str, list[ManifestEntry]]:
    """``device_playlist`` for many devices at once: a few set-based statements, not a few per device.

    The same entries in the same order as ``device_playlist`` gives each device (items whose window has
    not ended, audio not yet played, the newest distributed version of each bulletin, emergencies
    first); the items are marked delivered with one UPDATE.
    """
    now = now or utcnow()
    ids = sorted(set(device_ids))
    playlists: dict[str, list[ManifestEntry]] = {d: [] for d in ids}
    item = PlaylistItem
    rows: list = []
    played: set[tuple[str, int]] = set()
    # One expanding parameter for the device ids: statements built once, values not coerced one by one.
    chunk_ids = bindparam("device_ids", expanding=True)
    items_query = select(
        item.id, item.device_id, item.bulletin_id, item.version_id, item.rendition_id, item.audio_sha256,
        item.language, item.priority, item.starts_at, item.ends_at, item.delivered_at,
    ).where(col(item.device_id).in_(chunk_ids), item.ends_at > now)  # fmt: skip
    played_query = select(PlaybackConfirmation.device_id, PlaybackConfirmation.playlist_item_id).where(
        col(PlaybackConfirmation.device_id).in_(chunk_ids),
        col(PlaybackConfirmation.status).in_([PlaybackStatus.played, PlaybackStatus.displayed]),
    )
    for start in range(0, len(ids), PLAYLISTS_CHUNK):
        chunk = {"device_ids": ids[start : start + PLAYLISTS_CHUNK]}
        rows += session.exec(items_query, params=chunk).all()
        played.update(session.exec(played_query, params=chunk).all())
    if not rows:
        return playlists
    renditions = {
        r.id: r
        for r in session.exec(
            select(Rendition).where(col(Rendition.id).in_({r.rendition_id for r in rows}))
        ).all()
    }
    bulletins = {
        b.id: b
        for b in session.exec(
            select(Bulletin).where(col(Bulletin.id).in_({r.bulletin_id for r in rows}))
        ).all()
    }
    newest: dict[tuple[str, int], int] = {}  # per device, a newer approved version supersedes the older ones
    for row in rows:
        key = (row.device_id, row.bulletin_id)
        newest[key] = max(newest.get(key, 0), row.version_id)
    undelivered: list[int] = []
    for row in rows:
        rendition, bulletin = renditions[row.rendition_id], bulletins[row.bulletin_id]
        if (row.device_id, row.id) in played and rendition.kind != RenditionKind.eboard:
            continue
        if row.version_id != newest[(row.device_id, row.bulletin_id)]:
            continue
        if row.delivered_at is None:
            undelivered.append(row.id)
        if rendition.kind != RenditionKind.audio:
            sha = None
        else:
            sha = row.audio_sha256 or rendition_sha256(rendition)
        playlists[row.device_id].append(_manifest_entry(row, rendition, bulletin, sha))
    if mark_delivered and undelivered:
        mark = (
            update(PlaylistItem)
            .where(col(PlaylistItem.id).in_(bindparam("item_ids", expanding=True)))
            .where(col(PlaylistItem.delivered_at).is_(None))
            .values(delivered_at=now)
            .execution_options(synchronize_session=False)
        )
        for start in range(0, len(undelivered), PLAYLISTS_CHUNK):
            session.execute(mark, {"item_ids": undelivered[start : start + PLAYLISTS_CHUNK]})
    for entries in playlists.values():
        entries.sort(key=lambda e: (_PRIORITY_ORDER[Priority(e.priority)], e.starts_at, e.item_id))
    return playlists


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
    # Proof of play (devices that predate it send none): the sha256 of the audio played, the slot the
    # manifest gave, when it really started and ended (server time) and how it ended.
    sha256: str | None = None
    slot_starts_at: datetime | None = None
    slot_ends_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str | None = None


@dataclass
class ConfirmationResult:
    """How a batch of confirmations was taken: new, already known, or refused with a reason."""

    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    # Ids already stored with other content (item, status, time, duration or device): a reused id.
    conflicts: list[str] = field(default_factory=list)


def _event_content(
    device_id: str, item_id: int, status: object, occurred: datetime, duration_s: float | None
) -> tuple:
    """What makes a resend identical: same device, item, status, instant and duration."""
    occurred = occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC)
    return (device_id, item_id, getattr(status, "value", status), occurred.astimezone(UTC), duration_s)


def _utc(at: datetime | None) -> datetime | None:
    """``at`` in UTC; no timezone means UTC."""
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


def _proof_problem(
    session: Session, event: ConfirmationEvent, item: PlaylistItem, expected_sha: str | None
) -> str | None:
    """Why a device's proof of play cannot be true of ``item`` (Vietnamese / English), or None.

    Checked only for what the device states: an old device that sends no sha256 is taken as before.
    """
    if event.sha256 is not None:
        if item.delivered_at is None:
            return (
                f"mục {item.id} chưa từng có trong danh mục phát gửi cho thiết bị {item.device_id}: tải lại "
                f"danh mục phát / playlist item {item.id} was never in a manifest sent to device "
                f"{item.device_id}: fetch the manifest again and confirm only what it lists"
            )
        if event.sha256 != (expected_sha or ""):
            other = session.exec(
                select(PlaylistItem.version_id).where(
                    PlaylistItem.bulletin_id == item.bulletin_id,
                    PlaylistItem.audio_sha256 == event.sha256,
                )
            ).first()
            if expected_sha is None:
                why_vi, why_en = (
                    "mục này là bảng tin, không có âm thanh",
                    "this item is e-board text, it has no audio",
                )
            elif other is not None:
                number = session.get(BulletinVersion, other)
                label = number.number if number else other
                why_vi = f"đó là âm thanh phiên bản {label} của bản tin {item.bulletin_id}, chưa từng gửi cho mục này"
                why_en = (
                    f"that is the audio of version {label} of bulletin {item.bulletin_id}, which was never sent "
                    "for this item"
                )
            else:
                why_vi = f"âm thanh đã duyệt của mục này là {expected_sha[:12]}…"
                why_en = f"the approved audio of this item is {expected_sha[:12]}…"
            return (
                f"sha256 {event.sha256[:12]}… không phải âm thanh của mục {item.id}: {why_vi}; không ghi nhận / "
                f"sha256 {event.sha256[:12]}… is not the audio of playlist item {item.id}: {why_en}; not recorded"
            )
    started, ended = _utc(event.started_at), _utc(event.ended_at)
    if started is not None and ended is not None and ended < started:
        return (
            f"ended_at {ended.isoformat()} trước started_at {started.isoformat()}: kiểm tra đồng hồ thiết bị / "
            f"ended_at {ended.isoformat()} is before started_at {started.isoformat()}: check the device clock"
        )
    return None


def record_confirmations(
    *, session: Session, device: Device, events: list[ConfirmationEvent], now: datetime | None = None
) -> ConfirmationResult:
    """Store a batch idempotently; events for another device's items or from the future are refused.

    Each stored confirmation keeps its proof of play: the audio's sha256 and the slot come from the
    device or, when it sends none, from the item as it is now; a sha256 that is not the item's
    approved audio, or an item never sent to the device, is refused with the reason.

    A batch costs a few statements whatever its size: its items with their renditions, one
    ``INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING event_id`` of the events that pass the
    checks, and only when some were not stored, the stored content of their ids (a resend is a
    duplicate, the same id with other content a conflict, whatever the event's own checks say).
    Concurrent batches with the same events wait on each other's ids instead of failing.
    """
    now = now or utcnow()
    result = ConfirmationResult()
    if not events:
        return result
    # Each item of the batch once: its approved audio and its slot in UTC.
    owned: dict[int, tuple[PlaylistItem, str | None, datetime | None, datetime | None]] = {
        item.id: (
            item,
            _item_sha256(item, rendition) if rendition is not None else None,
            _utc(item.starts_at),
            _utc(item.ends_at),
        )
        for item, rendition in session.exec(
            select(PlaylistItem, Rendition)
            .join(Rendition, col(Rendition.id) == col(PlaylistItem.rendition_id), isouter=True)
            .where(col(PlaylistItem.id).in_({e.item_id for e in events}))
        ).all()
    }
    latest = now + MAX_CLOCK_SKEW
    keys = [str(e.event_id) for e in events]
    # PostgreSQL gets times as integer microseconds since the epoch (exact, and cheap to write).
    stamp = _micros if session.get_bind().dialect.name == "postgresql" else _same
    refused: dict[int, str] = {}  # position in the batch -> why its event cannot be stored
    first: dict[str, int] = {}  # event id -> position of the first storable event with it
    rows: list[dict] = []
    for position, event in enumerate(events):
        item, expected_sha, slot_starts_at, slot_ends_at = owned.get(event.item_id, (None, None, None, None))
        if item is None or item.device_id != device.id:
            refused[position] = (
                f"mục {event.item_id} không có trong lịch phát của thiết bị {device.id} / "
                f"playlist item {event.item_id} is not scheduled on device {device.id}"
            )
            continue
        # Each time converted to UTC once: comparing or writing UTC times costs little.
        occurred = _utc(event.occurred_at)
        if occurred > latest:  # type: ignore[operator]
            occurred = (
                event.occurred_at if event.occurred_at.tzinfo else event.occurred_at.replace(tzinfo=UTC)
            )
            refused[position] = f"occurred_at {occurred.isoformat()} is in the future: check the device clock"
            continue
        started, ended = _utc(event.started_at), _utc(event.ended_at)
        plausible = _proof_plausible(
            event.sha256, item.delivered_at is not None, expected_sha, started, ended
        )
        problem = None if plausible else _proof_problem(session, event, item, expected_sha)
        if problem:
            refused[position] = problem
            continue
        key = keys[position]
        if key in first:
            continue  # the same id again in this batch: judged against the first one once it is stored
        first[key] = position
        rows.append(
            {
                "event_id": key,
                "playlist_item_id": item.id,
                "status": getattr(event.status, "value", event.status),
                "occurred_at": stamp(occurred),
                "duration_s": event.duration_s,
                "content_sha256": event.sha256 or expected_sha,
                "slot_starts_at": stamp(_utc(event.slot_starts_at) or slot_starts_at),
                "slot_ends_at": stamp(_utc(event.slot_ends_at) or slot_ends_at),
                "started_at": stamp(started),
                "ended_at": stamp(ended),
                "outcome": event.outcome,
            }
        )
    stored = _insert_new_confirmations(session, device.id, now, rows) if rows else set()
    accepted = {position for key, position in first.items() if key in stored}
    others = [key for position, key in enumerate(keys) if position not in accepted]
    known = _stored_content(session, others) if others else {}
    for position, event in enumerate(events):
        key = keys[position]
        if position in accepted:
            result.accepted.append(key)
        elif key in known:
            content = _event_content(
                device.id, event.item_id, event.status, event.occurred_at, event.duration_s
            )
            (result.duplicates if known[key] == content else result.conflicts).append(key)
        elif position in refused:
            result.rejected[key] = refused[position]
        else:  # not stored, yet no stored event has its id: a concurrent batch with it was rolled back
            raise ConfirmationRace(
                f"event {key} was neither stored nor found; the batch is redone",
                f"sự kiện {key} không được lưu cũng không tìm thấy; lô được xử lý lại",
            )
    return result


def _proof_plausible(
    sha256: str | None,
    delivered: bool,
    expected_sha: str | None,
    started: datetime | None,
    ended: datetime | None,
) -> bool:
    """Whether a proof of play can be true: its sha256 (if any) is the delivered item's approved audio,
    and it did not end before it started. Anything else gets its reason from ``_proof_problem``."""
    sha_ok = sha256 is None or (delivered and sha256 == (expected_sha or ""))
    return sha_ok and (started is None or ended is None or ended >= started)


class ConfirmationRace(StorageError):
    """An event id taken by a concurrent transaction that then rolled back: redo the batch."""


# How often a confirmation batch is redone after losing a race with a concurrent batch (an id it lost
# came free again, or a stale snapshot): the route's retry and the direct path's.
CONFIRMATION_RETRIES = 3


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(at: datetime | None) -> int | None:
    """A UTC time as integer microseconds since 1970 (how PostgreSQL gets the batch's times)."""
    return None if at is None else (at - _EPOCH) // _MICROSECOND


def _same(at: datetime | None) -> datetime | None:
    return at


def _pg_time(column: str) -> str:
    """SQL of the timestamptz whose microseconds since 1970 are in ``column``, exactly (seconds and rest).

    For psycopg, whose placeholders are ``%(name)s``: the modulo operator is written ``%%``.
    """
    return (
        f"timestamptz 'epoch' + (e.{column} / 1000000) * interval '1 second' "
        f"+ (e.{column} %% 1000000) * interval '1 microsecond'"
    )


# PostgreSQL takes a batch as one JSON parameter: the statement text stays the same for any batch
# (psycopg prepares it once), and one statement fires the outcome trigger once for the whole batch.
_PG_INSERT_CONFIRMATIONS = f"""
INSERT INTO playback_confirmation (event_id, device_id, playlist_item_id, status, occurred_at, received_at,
    duration_s, content_sha256, slot_starts_at, slot_ends_at, started_at, ended_at, outcome)
SELECT e.event_id, %(device_id)s, e.playlist_item_id, CAST(e.status AS playbackstatus), {_pg_time("occurred_at")},
    %(received_at)s, e.duration_s, e.content_sha256, {_pg_time("slot_starts_at")}, {_pg_time("slot_ends_at")},
    {_pg_time("started_at")}, {_pg_time("ended_at")}, e.outcome
FROM json_to_recordset(CAST(%(rows)s AS json)) AS e(event_id uuid, playlist_item_id integer, status text,
    occurred_at bigint, duration_s double precision, content_sha256 text, slot_starts_at bigint,
    slot_ends_at bigint, started_at bigint, ended_at bigint, outcome text)
ON CONFLICT (event_id) DO NOTHING
RETURNING CAST(event_id AS text)"""


def _insert_new_confirmations(session: Session, device_id: str, now: datetime, rows: list[dict]) -> set[str]:
    """Insert ``rows`` (distinct event ids, as text) in one statement; the ids that were not stored before."""
    received = _utc(now)
    if session.get_bind().dialect.name == "postgresql":
        # Straight to the driver, in the session's transaction: the statement is fixed, the batch is
        # one parameter.
        driver = session.connection().connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(
                _PG_INSERT_CONFIRMATIONS,
                {"rows": json.dumps(rows), "device_id": device_id, "received_at": received},
            )
            return {row[0] for row in cursor.fetchall()}
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    table = PlaybackConfirmation.__table__  # type: ignore[attr-defined]
    values = [
        {**row, "event_id": uuid.UUID(row["event_id"]), "device_id": device_id, "received_at": received}
        for row in rows
    ]
    statement = (
        sqlite_insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=[table.c.event_id])
        .returning(table.c.event_id)
    )
    return {str(row[0]) for row in session.execute(statement)}


def _stored_content(session: Session, keys: list[str]) -> dict[str, tuple]:
    """What is stored under each of the event ids ``keys`` (those stored), as ``_event_content`` puts it."""
    c = PlaybackConfirmation
    return {
        str(event_id): _event_content(device_id, item_id, status, occurred, duration)
        for event_id, device_id, item_id, status, occurred, duration in session.exec(
            select(c.event_id, c.device_id, c.playlist_item_id, c.status, c.occurred_at, c.duration_s).where(
                col(c.event_id).in_({uuid.UUID(key) for key in keys})
            )
        ).all()
    }


# --- PostgreSQL's direct path: a batch in two statements, no ORM, no transaction of its own --------

# The device's token hash and the batch's items with what their proof of play is checked against.
_PG_DEVICE_AND_ITEMS = """
SELECT d.token_hash, i.id, i.device_id, i.delivered_at IS NOT NULL, i.audio_sha256, CAST(r.kind AS text),
    r.details, r.audio_key
FROM device AS d
LEFT JOIN playlist_item AS i ON i.id = ANY(%(items)s)
LEFT JOIN rendition AS r ON r.id = i.rendition_id
WHERE d.id = %(device_id)s"""

# The batch's events as the gateway validated them (times with their offsets, PostgreSQL parses them
# exactly), one INSERT that also forgets the device's kept manifest when a played event was stored
# (what ``forget_manifest`` does), atomically: one statement is one transaction.
_PG_INGEST_CONFIRMATIONS = """
WITH stored AS (
    INSERT INTO playback_confirmation (event_id, device_id, playlist_item_id, status, occurred_at, received_at,
        duration_s, content_sha256, slot_starts_at, slot_ends_at, started_at, ended_at, outcome)
    SELECT e.event_id, %(device_id)s, e.item_id, CAST(e.status AS playbackstatus), e.occurred_at, %(received_at)s,
        e.duration_s, COALESCE(e.sha256, CAST(%(shas)s AS json) ->> CAST(e.item_id AS text)),
        COALESCE(e.slot_starts_at, i.starts_at), COALESCE(e.slot_ends_at, i.ends_at), e.started_at, e.ended_at,
        e.outcome
    FROM json_to_recordset(CAST(%(events)s AS json)) AS e(event_id uuid, item_id integer, status text,
        occurred_at timestamptz, duration_s double precision, sha256 text, slot_starts_at timestamptz,
        slot_ends_at timestamptz, started_at timestamptz, ended_at timestamptz, outcome text)
    JOIN playlist_item AS i ON i.id = e.item_id
    ON CONFLICT (event_id) DO NOTHING
    RETURNING CAST(event_id AS text) AS event_id
), forgotten AS (
    DELETE FROM device_manifest
    WHERE device_id = %(device_id)s AND %(played)s AND EXISTS (SELECT FROM stored)
)
SELECT event_id FROM stored"""

_PG_STORED_CONTENT = """
SELECT CAST(event_id AS text), device_id, playlist_item_id, CAST(status AS text), occurred_at, duration_s
FROM playback_confirmation WHERE event_id = ANY(CAST(%(ids)s AS uuid[]))"""


class DirectEvent(NamedTuple):
    """A confirmation as ``record_confirmations_direct`` checks it (its times aware); its row is in JSON."""

    event_id: str
    item_id: int
    status: str
    occurred_at: datetime
    duration_s: float | None
    sha256: str | None
    started_at: datetime | None
    ended_at: datetime | None


class _Rendition:
    """What ``rendition_sha256`` reads of a rendition."""

    __slots__ = ("audio_key", "details")

    def __init__(self, details: dict | None, audio_key: str | None) -> None:
        self.details, self.audio_key = details, audio_key


def record_confirmations_direct(
    engine: Engine,
    *,
    device_id: str,
    token: str,
    secret_key: bytes,
    events: list[DirectEvent],
    events_json: str | bytes,
    now: datetime | None = None,
) -> ConfirmationResult | None:
    """``record_confirmations`` for PostgreSQL on a pooled driver connection: what the gateway's
    confirmation fast path calls with a batch it validated (gateway.ingest).

    ``events_json`` is the batch as a JSON array of ``ConfirmationEvent``'s fields (ids as text, times
    ISO 8601 with their offsets, which PostgreSQL reads exactly); ``events`` the same events, in order,
    with what Python checks. Authenticates the device by its keyed token hash
    (``token_matches``), reads the batch's items in the same statement, checks each event as
    ``record_confirmations`` does, stores the events and forgets the device's kept manifest when a
    played one was stored, in one statement (its own transaction), then, only when some were not
    stored, reads what is stored under their ids (duplicates, conflicts).

    None, before anything is written, when the batch needs ``record_confirmations`` (and the route's
    answers): an unknown device or a token that does not match or is stored unkeyed, an event that
    would be refused or whose id comes twice in the batch. An id neither stored now nor found (a
    concurrent batch with it rolled back) makes the statement run again for the batch, as the route
    redoes a batch; ``ConfirmationRace`` after as many tries.
    """
    from storage.devices import token_matches

    now = now or utcnow()
    keys = [e.event_id for e in events]
    if len(set(keys)) != len(keys):
        return None
    connection = engine.raw_connection()
    try:
        driver = connection.driver_connection
        driver.autocommit = True  # each statement its own transaction: no BEGIN, no COMMIT round trip
        try:
            with driver.cursor() as cursor:
                cursor.execute(
                    _PG_DEVICE_AND_ITEMS, {"items": list({e.item_id for e in events}), "device_id": device_id}
                )
                found = cursor.fetchall()
                if not found or not token_matches(found[0][0] or "", token, secret_key):
                    return None
                expected = _storable(device_id, found, events, now + MAX_CLOCK_SKEW)
                if expected is None:
                    return None
                statement = {
                    "events": events_json if isinstance(events_json, str) else events_json.decode(),
                    "shas": json.dumps({str(item): sha for item, sha in expected.items() if sha is not None}),
                    "device_id": device_id,
                    "received_at": now,
                    "played": any(e.status == PlaybackStatus.played.value for e in events),
                }
                accepted, known = _insert_direct(cursor, statement, keys)
        finally:
            try:
                driver.autocommit = False  # as the pool hands connections out to sessions
            except Exception:
                connection.invalidate()  # broken (ended mid-statement): the pool opens another one
    finally:
        connection.close()  # back to the pool
    result = ConfirmationResult()
    for key, event in zip(keys, events, strict=True):
        if key in accepted:
            result.accepted.append(key)
        else:
            content = _event_content(
                device_id, event.item_id, event.status, event.occurred_at, event.duration_s
            )
            (result.duplicates if known[key] == content else result.conflicts).append(key)
    return result


def _storable(
    device_id: str, found: list[tuple], events: list, latest: datetime
) -> dict[int, str | None] | None:
    """The approved sha256 of each of the device's items named in ``found``; None when an event would
    be refused (``record_confirmations`` says why): not the device's item, in the future, a proof of
    play that is not the item's."""
    expected: dict[int, str | None] = {}
    delivered: set[int] = set()
    for _, item_id, owner, was_delivered, item_sha, kind, details, audio_key in found:
        if item_id is None or owner != device_id:
            continue
        sha = None
        if kind == RenditionKind.audio.value:
            sha = item_sha or rendition_sha256(_Rendition(details, audio_key))  # type: ignore[arg-type]
        expected[item_id] = sha
        if was_delivered:
            delivered.add(item_id)
    for event in events:
        item_id, sha, started, ended = event.item_id, event.sha256, event.started_at, event.ended_at
        if item_id not in expected or event.occurred_at > latest:
            return None
        if not _proof_plausible(sha, item_id in delivered, expected[item_id], started, ended):
            return None
    return expected


def _insert_direct(cursor, statement: dict, keys: list[str]) -> tuple[set[str], dict[str, tuple]]:  # type: ignore[no-untyped-def]
    """Run the insert; the ids it stored, and what is stored under the others (all of them found)."""
    accepted: set[str] = set()
    known: dict[str, tuple] = {}
    for attempt in range(CONFIRMATION_RETRIES + 1):
        cursor.execute(_PG_INGEST_CONFIRMATIONS, statement)
        accepted.update(row[0] for row in cursor.fetchall())
        others = [key for key in keys if key not in accepted]
        if not others:
            return accepted, known
        cursor.execute(_PG_STORED_CONTENT, {"ids": others})
        known = {
            key: _event_content(owner, item_id, status, occurred, duration)
            for key, owner, item_id, status, occurred, duration in cursor.fetchall()
        }
        if all(key in known for key in others):
            return accepted, known
        if attempt == CONFIRMATION_RETRIES:
            break
    raise ConfirmationRace(
        "some events were neither stored nor found: a concurrent batch with them rolled back; send the batch "
        "again",
        "một số sự kiện không được lưu cũng không tìm thấy: một lô đồng thời chứa chúng đã bị hủy; hãy gửi lại lô",
    )
