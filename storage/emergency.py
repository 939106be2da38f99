"""Emergencies after approval: manifest changes that wake waiting devices, repetition, and the end of an emergency.

Every change to devices' manifests (a distribution, a withdrawal) raises one global generation
counter and records it against each unit whose devices changed. A gateway process polls that one
row and reads the changed units only when it moved, so a device waiting on its manifest is answered
within a poll interval whichever process it waits in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, update
from sqlmodel import Field, Session, SQLModel, col, select

from storage.audit import append_audit
from storage.errors import StorageError, UnknownBulletin
from storage.models import Bulletin, Device, DeviceKind, PlaylistItem, Priority, utcnow
from storage.units import ancestor_codes, get_unit

# The unit code of the default repetition, for every unit that sets none.
EVERY_UNIT = "*"
# An emergency without an end repeats for this long at most.
REPEAT_HOURS = 6
MAX_REPEAT_MINUTES = 24 * 60


class ManifestGeneration(SQLModel, table=True):
    """One row: a counter raised by every change to any device's manifest."""

    __tablename__ = "manifest_generation"

    id: int = Field(default=1, primary_key=True)
    generation: int = Field(default=0, sa_type=BigInteger)


class ManifestChange(SQLModel, table=True):
    """The generation of the last change to the manifests of a unit's devices."""

    __tablename__ = "manifest_change"

    unit_code: str = Field(primary_key=True, max_length=32)
    generation: int = Field(sa_type=BigInteger, index=True)
    reason: str = Field(max_length=32)
    changed_at: datetime = Field(default_factory=utcnow)


class EmergencyRepeat(SQLModel, table=True):
    """How often an emergency repeats on a unit's loudspeakers (``*``: every unit without its own)."""

    __tablename__ = "emergency_repeat"

    unit_code: str = Field(primary_key=True, max_length=32)
    every_minutes: int
    updated_by: str = Field(default="", max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)


class EmergencyError(StorageError):
    """An emergency command that cannot be done; nothing was changed."""

    code = "emergency_refused"


def manifest_generation(session: Session) -> int:
    """The current global generation (0 before any change)."""
    row = session.get(ManifestGeneration, 1)
    return row.generation if row is not None else 0


def manifest_changes_since(session: Session, generation: int) -> tuple[int, dict[str, int]]:
    """The current generation and ``{unit: generation}`` of units changed after ``generation``."""
    current = manifest_generation(session)
    if current <= generation:
        return current, {}
    rows = session.exec(
        select(ManifestChange.unit_code, ManifestChange.generation).where(
            ManifestChange.generation > generation
        )
    ).all()
    return current, dict(rows)


def bump_manifests(
    session: Session, unit_codes: set[str], *, reason: str, now: datetime | None = None
) -> int:
    """Record that the manifests of devices in ``unit_codes`` changed; returns the new generation.

    The counter is raised with one UPDATE, whose row lock holds until the transaction commits: changes
    commit in generation order, so a poller reading "above g" never misses one.
    """
    if not unit_codes:
        return manifest_generation(session)
    now = now or utcnow()
    session.exec(  # type: ignore[call-overload]
        update(ManifestGeneration)
        .where(ManifestGeneration.id == 1)
        .values(generation=ManifestGeneration.generation + 1)
    )
    generation = manifest_generation_fresh(session)
    known = {
        c.unit_code: c
        for c in session.exec(
            select(ManifestChange).where(col(ManifestChange.unit_code).in_(unit_codes))
        ).all()
    }
    for code in sorted(unit_codes):
        change = known.get(code) or ManifestChange(unit_code=code, generation=generation, reason=reason)
        change.generation, change.reason, change.changed_at = generation, reason[:32], now
        session.add(change)
    session.flush()
    return generation


def manifest_generation_fresh(session: Session) -> int:
    """The generation as stored now (not a value the session cached before an UPDATE)."""
    row = session.exec(select(ManifestGeneration.generation).where(ManifestGeneration.id == 1)).first()
    if row is None:  # a database created before migration 0009's row: start the counter
        session.add(ManifestGeneration(id=1, generation=1))
        session.flush()
        return 1
    return row


def device_units(session: Session, device_ids: set[str]) -> set[str]:
    """The units of the given devices."""
    if not device_ids:
        return set()
    return set(session.exec(select(Device.unit_code).where(col(Device.id).in_(device_ids))).all())


# --- repetition -----------------------------------------------------------------------------------


def _minutes(value: int) -> int:
    if not 1 <= value <= MAX_REPEAT_MINUTES:
        raise EmergencyError(
            f"repeat every {value} minutes: give 1 to {MAX_REPEAT_MINUTES} minutes, or 'off' to stop repeating",
            f"lặp lại mỗi {value} phút: hãy nhập từ 1 đến {MAX_REPEAT_MINUTES} phút, hoặc 'off' để không lặp",
        )
    return value


def set_emergency_repeat(
    session: Session, unit_code: str | None, every_minutes: int | None, *, actor: str = "system"
) -> None:
    """Set (None: clear) how often emergencies repeat on a unit's loudspeakers; ``unit_code`` None is the default."""
    code = EVERY_UNIT if unit_code is None else get_unit(session, unit_code).code
    existing = session.get(EmergencyRepeat, code)
    if every_minutes is None:
        if existing is not None:
            session.delete(existing)
    else:
        row = existing or EmergencyRepeat(unit_code=code, every_minutes=_minutes(every_minutes))
        row.every_minutes, row.updated_by, row.updated_at = _minutes(every_minutes), actor, utcnow()
        session.add(row)
    session.flush()
    append_audit(
        session,
        actor=actor,
        action="emergency_repeat_set",
        details={"unit": code, "every_minutes": every_minutes},
    )


def emergency_repeat_for(session: Session, unit_code: str) -> tuple[int | None, str | None]:
    """How often emergencies repeat on ``unit_code`` and the unit that sets it (own, ancestors, default)."""
    for code in [*ancestor_codes(session, unit_code), EVERY_UNIT]:
        row = session.get(EmergencyRepeat, code)
        if row is not None:
            return row.every_minutes, code
    return None, None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_repeats(session: Session, *, version_id: int, now: datetime) -> int:
    """Repeat an emergency version's loudspeaker items every N minutes (per unit) until it ends; returns how many.

    Each repetition is its own item (played and confirmed on its own) in a window named "khẩn cấp #k";
    an item stays in the manifest until the next one starts, so a device that comes back late plays
    the current repetition, not every one it missed. Without a validity end it repeats for REPEAT_HOURS.
    """
    settings = {r.unit_code: r.every_minutes for r in session.exec(select(EmergencyRepeat)).all()}
    if not settings:  # nothing repeats anywhere: the common case costs one query
        return 0
    per_unit: dict[str, int | None] = {}

    def every_for(unit_code: str) -> int | None:
        if unit_code not in per_unit:
            chain = [*ancestor_codes(session, unit_code), EVERY_UNIT]
            per_unit[unit_code] = next((settings[c] for c in chain if c in settings), None)
        return per_unit[unit_code]

    rows = session.exec(
        select(PlaylistItem, Device, Bulletin)
        .join(Device, Device.id == PlaylistItem.device_id)
        .join(Bulletin, Bulletin.id == PlaylistItem.bulletin_id)
        .where(
            PlaylistItem.version_id == version_id,
            PlaylistItem.priority == Priority.emergency,
            Device.kind == DeviceKind.speaker_cluster,
        )
    ).all()
    created = 0
    for first, device, bulletin in rows:
        if "#" in first.window_name:
            continue  # already a repetition (a rerun)
        every = every_for(device.unit_code) if device.unit_code else None
        if not every:
            continue
        starts = _aware(first.starts_at)
        until = (
            _aware(bulletin.valid_until) if bulletin.valid_until else starts + timedelta(hours=REPEAT_HOURS)
        )
        step = timedelta(minutes=every)
        at, k = starts + step, 1
        if at < until:
            first.ends_at = at
            session.add(first)
        while at < until:
            k += 1
            session.add(
                PlaylistItem(
                    device_id=first.device_id,
                    bulletin_id=first.bulletin_id,
                    version_id=first.version_id,
                    rendition_id=first.rendition_id,
                    audio_sha256=first.audio_sha256,
                    language=first.language,
                    priority=first.priority,
                    broadcast_date=at.date(),
                    window_name=f"{first.window_name} #{k}"[:100],
                    starts_at=at,
                    ends_at=min(at + step, until),
                )
            )
            created += 1
            at += step
    session.flush()
    return created


def manifests_changed(
    session: Session, *, version_id: int, priority: Priority, unit_codes: set[str], now: datetime
) -> list[str]:
    """After a distribution: repeat an emergency per configuration and wake the units' devices; returns the units."""
    if priority == Priority.emergency:
        add_repeats(session, version_id=version_id, now=now)
    bump_manifests(session, unit_codes, reason=f"distributed:{Priority(priority).value}", now=now)
    return sorted(unit_codes)


# --- the end of an emergency ----------------------------------------------------------------------


@dataclass
class EmergencyEnd:
    """What ending an emergency withdrew."""

    bulletin_id: int
    title: str
    items: int = 0
    devices: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    ended_at: datetime | None = None


def end_emergency(
    session: Session, bulletin_id: int, *, actor: str = "system", now: datetime | None = None
) -> EmergencyEnd:
    """Withdraw an emergency from every device at once: its items end now, their units' manifests change; audited.

    Items already played keep their confirmations (nothing is deleted); repetitions still to come are
    withdrawn too. Ending an emergency that has nothing left on air changes nothing and says so.
    """
    now = now or utcnow()
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise UnknownBulletin(
            f"no bulletin {bulletin_id}: check the number (bantin status lists bulletins)",
            f"không có bản tin {bulletin_id}: hãy kiểm tra lại số (lệnh bantin status liệt kê các bản tin)",
        )
    if bulletin.priority != Priority.emergency:
        raise EmergencyError(
            f"bulletin {bulletin_id} ({bulletin.title!r}) is not an emergency ({bulletin.priority.value}): "
            "only an emergency is ended this way; a normal bulletin ends with its window",
            f"bản tin {bulletin_id} ({bulletin.title!r}) không phải bản tin khẩn cấp ({bulletin.priority.value}): "
            "chỉ bản tin khẩn cấp mới kết thúc bằng lệnh này; bản tin thường tự hết theo khung giờ",
        )
    items = session.exec(
        select(PlaylistItem).where(PlaylistItem.bulletin_id == bulletin_id, PlaylistItem.ends_at > now)
    ).all()
    ended = EmergencyEnd(bulletin_id=bulletin_id, title=bulletin.title, ended_at=now)
    for item in items:
        item.starts_at = min(_aware(item.starts_at), now)
        item.ends_at = now
        session.add(item)
    ended.items = len(items)
    ended.devices = sorted({i.device_id for i in items})
    valid_until_before = _aware(bulletin.valid_until).isoformat() if bulletin.valid_until else None
    if bulletin.valid_until is None or _aware(bulletin.valid_until) > now:
        bulletin.valid_until = now  # the CAP feed and every later distribution see it over
        bulletin.updated_at = now
        session.add(bulletin)
    session.flush()
    ended.units = sorted(device_units(session, set(ended.devices)))
    bump_manifests(session, set(ended.units), reason="emergency_ended", now=now)
    append_audit(
        session,
        actor=actor,
        action="emergency_ended",
        bulletin_id=bulletin_id,
        details={
            "items_withdrawn": ended.items,
            "devices": ended.devices,
            "ended_at": now.isoformat(),
            "valid_until_before": valid_until_before,
        },
    )
    return ended
