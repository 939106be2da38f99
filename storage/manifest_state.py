"""The last manifest signed for each device, kept so that an unchanged manifest costs a lookup.

A device polls its manifest far more often than it changes. The gateway keeps here, per device, the
ETag and the signed text of the manifest it last built, with the generation it was built at
(``storage.emergency``: every distribution and withdrawal raises the generation of the units whose
devices changed). The entry answers the next polls while it is valid:

- no change was recorded for the device's unit after the entry's generation;
- the device is still in the unit it was built for, and the signing key is the same;
- no item in it has ended (an ended item leaves the manifest) and it is younger than its reuse limit;
- the device has not confirmed playing since (a played item leaves the manifest: the gateway forgets
  the entry when it records such a confirmation).

A valid entry answers an If-None-Match with 304 without rebuilding the playlist, and a full request
with the stored signed text: the signature is computed once per manifest, not once per request.
Every process reads the same rows, so any number of gateway workers agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Text, bindparam
from sqlalchemy import delete as sa_delete
from sqlmodel import Field, Session, SQLModel, col, select

from storage.emergency import ManifestChange
from storage.models import Device, utcnow


class DeviceManifest(SQLModel, table=True):
    """The manifest last signed for a device."""

    __tablename__ = "device_manifest"

    device_id: str = Field(primary_key=True, max_length=64)
    unit_code: str = Field(default="", max_length=32)
    generation: int = Field(sa_type=BigInteger)
    key_id: str = Field(max_length=64)
    etag: str = Field(max_length=80)
    has_items: bool = False
    manifest: str = Field(sa_type=Text)
    signature: str = Field(max_length=200)
    built_at: datetime = Field(default_factory=utcnow)
    valid_until: datetime


@dataclass(frozen=True)
class KeptManifest:
    """A still valid signed manifest of a device."""

    etag: str
    has_items: bool
    manifest: str
    signature: str
    key_id: str


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def kept_manifest(session: Session, device: Device, *, key_id: str, now: datetime) -> KeptManifest | None:
    """The device's last signed manifest if nothing changed it since; None when it must be rebuilt."""
    row = session.exec(
        select(DeviceManifest, ManifestChange.generation)
        .outerjoin(ManifestChange, ManifestChange.unit_code == DeviceManifest.unit_code)  # type: ignore[arg-type]
        .where(DeviceManifest.device_id == device.id)
    ).first()
    if row is None:
        return None
    kept, changed_at_generation = row
    if not _still_valid(kept, changed_at_generation, device.unit_code, key_id=key_id, now=now):
        return None
    return KeptManifest(kept.etag, kept.has_items, kept.manifest, kept.signature, kept.key_id)


def _still_valid(
    kept: DeviceManifest | _KeptRow,
    changed_at_generation: int | None,
    unit_code: str | None,
    *,
    key_id: str,
    now: datetime,
) -> bool:
    """Whether a kept manifest (a DeviceManifest or a row with its columns) still answers its device."""
    return not (
        (changed_at_generation or 0) > kept.generation
        or kept.unit_code != (unit_code or "")
        or kept.key_id != key_id
        or _aware(kept.valid_until) <= now
    )


@dataclass(frozen=True)
class ManifestState:
    """What a manifest poll needs of one device, read with those of many others in one statement."""

    device_id: str
    token_hash: str
    unit_code: str
    kept: KeptManifest | None  # None: nothing kept, or what is kept must be rebuilt


def manifest_states(
    session: Session, device_ids: list[str], *, key_id: str, now: datetime
) -> dict[str, ManifestState]:
    """Per existing device: its stored token hash, its unit and its still valid kept manifest (one statement).

    Unknown devices are absent. The caller checks the token before using anything else.
    """
    kept = DeviceManifest
    query = (
        select(
            Device.id, Device.token_hash, Device.unit_code, kept.unit_code, kept.generation, kept.key_id,
            kept.etag, kept.has_items, kept.manifest, kept.signature, kept.valid_until, ManifestChange.generation,
        )
        .outerjoin(kept, kept.device_id == Device.id)  # type: ignore[arg-type]
        .outerjoin(ManifestChange, ManifestChange.unit_code == kept.unit_code)  # type: ignore[arg-type]
        .where(col(Device.id).in_(bindparam("device_ids", expanding=True)))
    )  # fmt: skip
    rows = session.exec(query, params={"device_ids": sorted(set(device_ids))}).all()
    states = {}
    for device_id, token_hash, unit_code, *stored, changed_at_generation in rows:
        found = None
        if stored[0] is not None:
            row = _KeptRow(*stored)
            if _still_valid(row, changed_at_generation, unit_code, key_id=key_id, now=now):
                found = KeptManifest(row.etag, row.has_items, row.manifest, row.signature, row.key_id)
        states[device_id] = ManifestState(device_id, token_hash or "", unit_code or "", found)
    return states


@dataclass(frozen=True)
class _KeptRow:
    unit_code: str
    generation: int
    key_id: str
    etag: str
    has_items: bool
    manifest: str
    signature: str
    valid_until: datetime


def keep_manifest(
    session: Session,
    device: Device,
    *,
    generation: int,
    key_id: str,
    etag: str,
    has_items: bool,
    manifest: str,
    signature: str,
    valid_until: datetime,
    now: datetime,
) -> None:
    """Store the manifest just signed for ``device`` (one row per device, replaced)."""
    values = {
        "device_id": device.id,
        "unit_code": device.unit_code or "",
        "generation": generation,
        "key_id": key_id,
        "etag": etag,
        "has_items": has_items,
        "manifest": manifest,
        "signature": signature,
        "built_at": now,
        "valid_until": valid_until,
    }
    table = DeviceManifest.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    statement = insert(table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.device_id], set_={k: v for k, v in values.items() if k != "device_id"}
    )
    session.execute(statement)


def keep_manifests(session: Session, rows: list[dict]) -> None:
    """Store many manifests just signed (``keep_manifest``'s values per row, with ``device_id`` and
    ``unit_code``), replacing each device's row: one statement per batch."""
    if not rows:
        return
    table = DeviceManifest.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.device_id],
        set_={c: statement.excluded[c] for c in rows[0] if c != "device_id"},
    )
    session.execute(statement, rows)


def forget_manifest(session: Session, device_id: str) -> None:
    """Drop a device's kept manifest: the next poll rebuilds it (after it confirmed playing an item)."""
    session.execute(sa_delete(DeviceManifest).where(DeviceManifest.device_id == device_id))  # type: ignore[arg-type]
