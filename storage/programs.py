"""A loudspeaker's coming program: its scheduled items and a new one, composed into its unit's windows."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.composer import Busy, Program, ProgramItem, Slot, Unplaced, compose, window_spans
from storage.models import (
    Bulletin,
    Device,
    PlaybackConfirmation,
    PlaylistItem,
    Priority,
    Rendition,
    Review,
    ReviewDecision,
)
from storage.windows import UnitBroadcast

COMPOSE_DAYS = 7  # how far ahead a program is composed when nothing asks for longer
MAX_COMPOSE_DAYS = 31
NEW = "new"  # the key of the item being distributed


@dataclass
class Placement:
    """Where the new item plays (or why it cannot), and what it moved or pushed out on this device."""

    slot: Slot | None = None
    unplaced: Unplaced | None = None
    moved: int = 0
    displaced: list[tuple[int, str, str]] = field(default_factory=list)  # (bulletin id, reason en, reason vi)
    interrupted: list[int] = field(default_factory=list)  # bulletins on air that a new emergency cuts into
    # A sequence of languages that did not fit where its first language alone would have played (that
    # slot): the whole sequence went to a later window.
    deferred: Slot | None = None


def as_utc(moment: datetime | None) -> datetime | None:
    """An aware UTC datetime; SQLite hands back naive ones that were stored as UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def duration_of(rendition: Rendition, bulletin: Bulletin) -> float:
    """The rendition's measured length; the bulletin's target length when none was measured."""
    return float(rendition.duration_s or bulletin.target_seconds or 60)


def approval_times(session: Session, version_ids: set[int]) -> dict[int, datetime]:
    """When each version was approved (its first approval)."""
    if not version_ids:
        return {}
    rows = session.exec(
        select(Review.version_id, func.min(Review.created_at))
        .where(col(Review.version_id).in_(version_ids), Review.decision == ReviewDecision.approve)
        .group_by(Review.version_id)
    ).all()
    return {version_id: as_utc(at) for version_id, at in rows}


def program_item(key: object, rendition: Rendition, bulletin: Bulletin, approved_at: datetime) -> ProgramItem:
    """A bulletin's rendition as the composer sees it."""
    return program_block(key, [rendition], bulletin, approved_at)


def program_block(
    key: object, renditions: list[Rendition], bulletin: Bulletin, approved_at: datetime
) -> ProgramItem:
    """A bulletin's audio in one or more languages, played back to back in this order, as one block.

    Its parts are keyed by language.
    """
    return ProgramItem.block(
        key,
        [(rendition.language, duration_of(rendition, bulletin)) for rendition in renditions],
        priority=Priority(bulletin.priority),
        approved_at=approved_at,
        valid_from=as_utc(bulletin.valid_from),
        valid_until=as_utc(bulletin.valid_until),
    )


def compose_days(items: list[ProgramItem], today: date, now: datetime, tz: ZoneInfo) -> int:
    """Days to compose: a week, or up to the latest expiry or a week past the latest start (at most a month)."""
    last = now + timedelta(days=COMPOSE_DAYS)
    for item in items:
        if item.valid_until is not None:
            last = max(last, item.valid_until)
        if item.valid_from is not None:
            last = max(last, item.valid_from + timedelta(days=COMPOSE_DAYS))
    return max(COMPOSE_DAYS, min(MAX_COMPOSE_DAYS, (last.astimezone(tz).date() - today).days + 1))


class ProgramBook:
    """The coming programs of many loudspeakers, loaded in a few queries; devices whose programs are the
    same (most devices of a village) are composed once.

    A program holds each device's items not yet over, the newest version of each bulletin other than
    the one being distributed (its new version replaces the older ones). A bulletin's items on a device
    (one per language, back to back) are one block: it moves as a whole and is pushed out as a whole.
    A block with an item already on air or confirmed by the device stays where it is and takes its air
    time; emergencies already scheduled keep theirs and a new emergency queues after them; every other
    block may move.
    """

    CHUNK = 2000  # ids per IN (...) list

    def __init__(self, session: Session, device_ids: list[str], bulletin_id: int, now: datetime) -> None:
        self.session, self.now = session, now
        self.rows: dict[str, list[tuple[PlaylistItem, float, Bulletin]]] = {d: [] for d in device_ids}
        for chunk in range(0, len(device_ids), self.CHUNK):
            found = session.exec(
                select(PlaylistItem, Rendition.duration_s, Bulletin)
                .join(Rendition, col(Rendition.id) == col(PlaylistItem.rendition_id))
                .join(Bulletin, col(Bulletin.id) == col(PlaylistItem.bulletin_id))
                .where(
                    col(PlaylistItem.device_id).in_(device_ids[chunk : chunk + self.CHUNK]),
                    col(PlaylistItem.ends_at) > now,
                    col(PlaylistItem.bulletin_id) != bulletin_id,
                )
            ).all()
            for item, seconds, bulletin in found:
                self.rows[item.device_id].append(
                    (item, float(seconds or bulletin.target_seconds or 60), bulletin)
                )
        for device_id, rows in self.rows.items():
            newest: dict[int, int] = {}
            for item, _, _ in rows:
                newest[item.bulletin_id] = max(newest.get(item.bulletin_id, 0), item.version_id)
            self.rows[device_id] = [r for r in rows if r[0].version_id == newest[r[0].bulletin_id]]
        ids = [item.id for rows in self.rows.values() for item, _, _ in rows]
        self.confirmed: set[int] = set()
        for chunk in range(0, len(ids), self.CHUNK):
            self.confirmed.update(
                session.exec(
                    select(PlaybackConfirmation.playlist_item_id).where(
                        col(PlaybackConfirmation.playlist_item_id).in_(ids[chunk : chunk + self.CHUNK])
                    )
                ).all()
            )
        versions = {item.version_id for rows in self.rows.values() for item, _, _ in rows}
        self.approved = approval_times(session, versions)
        self.composed: dict[tuple, Program] = {}
        self.alone: dict[tuple, Slot | None] = {}  # the first language's slot alone, per program composed

    def place(self, device: Device, new: ProgramItem, broadcast: UnitBroadcast, tz: ZoneInfo) -> Placement:
        """Compose the device's coming program with ``new`` in it; the items that move get their new slots."""
        now = self.now
        busy: list[Busy] = []
        blocks: dict[int, list[tuple[PlaylistItem, float, Bulletin]]] = {}
        for row in self.rows.get(device.id, []):
            blocks.setdefault(row[0].bulletin_id, []).append(row)
        movable: dict[int, list[PlaylistItem]] = {}
        items = [new]
        for bulletin_id, rows in blocks.items():
            rows.sort(key=lambda r: (as_utc(r[0].starts_at), r[0].id))
            if any(
                item.priority == Priority.emergency
                or as_utc(item.starts_at) <= now
                or item.id in self.confirmed
                for item, _, _ in rows
            ):
                for item, seconds, _ in rows:
                    starts = as_utc(item.starts_at)
                    ends = min(as_utc(item.ends_at), starts + timedelta(seconds=seconds))
                    if ends > now:
                        busy.append(
                            Busy(bulletin_id, starts, ends, emergency=item.priority == Priority.emergency)
                        )
                continue
            movable[bulletin_id] = [item for item, _, _ in rows]
            first, _, bulletin = rows[0]
            items.append(
                ProgramItem.block(
                    bulletin_id,
                    [(item.language, seconds) for item, seconds, _ in rows],
                    priority=Priority(bulletin.priority),
                    approved_at=self.approved.get(first.version_id) or now,
                    valid_from=as_utc(bulletin.valid_from),
                    valid_until=as_utc(bulletin.valid_until),
                )
            )
        signature = (
            tuple(broadcast.windows),
            broadcast.max_program_minutes,
            new.parts,
            tuple(sorted((b.key, b.starts, b.ends, b.emergency) for b in busy)),
            tuple(sorted((i.key, movable[i.key][0].version_id, i.parts) for i in items[1:])),
        )
        today = now.astimezone(tz).date()
        spans = window_spans(broadcast.windows, today, compose_days(items, today, now, tz), tz)
        cap = broadcast.max_program_minutes * 60 if broadcast.max_program_minutes else None
        program = self.composed.get(signature)
        if program is None:
            program = self.composed[signature] = compose(
                items, spans, now=now, busy=busy, max_program_s=cap, tz=tz
            )
        placement = self._apply(program, movable)
        if len(new.parts) > 1 and placement.slot is not None:
            # Where its first language alone would have played: later, the editor is told why.
            if signature not in self.alone:
                alone = replace(new, duration_s=new.parts[0][1], parts=())
                probe = compose([alone, *items[1:]], spans, now=now, busy=busy, max_program_s=cap, tz=tz)
                self.alone[signature] = next((s for s in probe.slots if s.item.key == NEW), None)
            earlier, slot = self.alone[signature], placement.slot
            if earlier is not None and earlier.starts < slot.starts and earlier.window_day != slot.window_day:
                placement.deferred = earlier
        return placement

    def _apply(self, program: Program, movable: dict[int, list[PlaylistItem]]) -> Placement:
        """Move the items of each block to its parts' times (a program may be another device's, composed
        for the same blocks: parts match items by position); delete the blocks pushed out."""
        placement = Placement(interrupted=sorted(key for key in program.interrupted if isinstance(key, int)))
        for slot in program.slots:
            if slot.item.key == NEW:
                placement.slot = slot
                continue
            for item, part in zip(movable[slot.item.key], slot.parts, strict=True):
                if (as_utc(item.starts_at), item.window_name) != (part.starts, slot.window):
                    item.starts_at, item.ends_at = part.starts, part.ends
                    item.window_name, item.broadcast_date = slot.window, slot.day
                    self.session.add(item)
                    placement.moved += 1
        for report in program.unplaced:
            if report.item.key == NEW:
                placement.unplaced = report
                continue
            # pushed out by something more urgent: never on air, never confirmed; every language goes
            block = movable[report.item.key]
            placement.displaced.append((block[0].bulletin_id, report.reason_en, report.reason_vi))
            for item in block:
                self.session.delete(item)
        return placement


def place_on_device(
    session: Session,
    *,
    device: Device,
    new: ProgramItem,
    bulletin_id: int,
    broadcast: UnitBroadcast,
    now: datetime,
    tz: ZoneInfo,
) -> Placement:
    """Compose one device's coming program with ``new`` in it (ProgramBook for many devices at once)."""
    return ProgramBook(session, [device.id], bulletin_id, now).place(device, new, broadcast, tz)


@dataclass(frozen=True)
class DayRow:
    """One slot of a unit's composed day: a bulletin at a time, on the loudspeakers that play it then."""

    starts: datetime
    ends: datetime
    window: str
    bulletin_id: int
    title: str
    priority: str
    language: str
    duration_s: float
    devices: tuple[str, ...]
    places: tuple[str, ...]  # the units (villages) of those devices


def day_program(session: Session, unit_code: str, day: date) -> list[DayRow]:
    """What the loudspeakers in and below a unit play on ``day`` (local broadcast date), slot by slot."""
    from storage.models import AdminUnit, DeviceKind
    from storage.units import descendant_codes, get_unit

    units = descendant_codes(session, [get_unit(session, unit_code.strip()).code])
    rows = session.exec(
        select(PlaylistItem, Rendition, Bulletin, Device, AdminUnit)
        .join(Rendition, col(Rendition.id) == col(PlaylistItem.rendition_id))
        .join(Bulletin, col(Bulletin.id) == col(PlaylistItem.bulletin_id))
        .join(Device, col(Device.id) == col(PlaylistItem.device_id))
        .join(AdminUnit, col(AdminUnit.code) == col(Device.unit_code))
        .where(
            col(Device.unit_code).in_(units),
            Device.kind == DeviceKind.speaker_cluster,
            PlaylistItem.broadcast_date == day,
        )
    ).all()
    newest: dict[tuple[str, int], int] = {}
    for item, *_ in rows:
        key = (item.device_id, item.bulletin_id)
        newest[key] = max(newest.get(key, 0), item.version_id)
    grouped: dict[tuple, tuple[list[str], list[str]]] = {}
    for item, rendition, bulletin, device, unit in rows:
        if item.version_id != newest[(item.device_id, item.bulletin_id)]:
            continue
        starts = as_utc(item.starts_at)
        key = (
            starts,
            starts + timedelta(seconds=duration_of(rendition, bulletin)),
            item.window_name,
            bulletin.id,
            bulletin.title,
            item.priority.value,
            item.language,
            duration_of(rendition, bulletin),
        )
        devices, places = grouped.setdefault(key, ([], []))
        devices.append(device.id)
        if unit.name not in places:
            places.append(unit.name)
    return [
        DayRow(*key, devices=tuple(sorted(devices)), places=tuple(sorted(places)))
        for key, (devices, places) in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][3]))
    ]
