"""Reach of bulletins: scheduled, delivered and played, per bulletin, language and unit level."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import (
    AdminUnit,
    Bulletin,
    Device,
    PlaybackConfirmation,
    PlaybackStatus,
    PlaylistItem,
)
from storage.units import ancestor_codes

_SUCCESS = (PlaybackStatus.played, PlaybackStatus.displayed)


@dataclass(frozen=True)
class ReachRow:
    """Counts for one group: devices scheduled, that fetched it, that played or showed it."""

    group: str
    key: str
    label: str
    scheduled: int
    delivered: int
    played: int
    failed: int

    @property
    def delivery_rate(self) -> float:
        return self.played / self.scheduled if self.scheduled else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "delivery_rate": round(self.delivery_rate, 4)}


def reach(
    *, session: Session, since: datetime | None = None, until: datetime | None = None
) -> dict[str, list[ReachRow]]:
    """Reach grouped by bulletin, language, unit level and unit, over items scheduled in [since, until)."""
    query = (
        select(PlaylistItem, Device, Bulletin)
        .join(Device, Device.id == PlaylistItem.device_id)
        .join(Bulletin, Bulletin.id == PlaylistItem.bulletin_id)
    )
    if since is not None:
        query = query.where(PlaylistItem.starts_at >= since)
    if until is not None:
        query = query.where(PlaylistItem.starts_at < until)
    rows = session.exec(query).all()
    item_ids = [item.id for item, _, _ in rows]
    outcome: dict[int, set[PlaybackStatus]] = defaultdict(set)
    for item_id, status in session.exec(
        select(PlaybackConfirmation.playlist_item_id, PlaybackConfirmation.status).where(
            col(PlaybackConfirmation.playlist_item_id).in_(item_ids)
        )
    ).all():
        outcome[item_id].add(status)
    units = {u.code: u for u in session.exec(select(AdminUnit)).all()}
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    labels: dict[tuple[str, str], str] = {}
    chains: dict[str, list[str]] = {}
    for item, device, bulletin in rows:
        if device.unit_code not in chains:
            chains[device.unit_code] = ancestor_codes(session, device.unit_code)
        played = bool(outcome[item.id] & set(_SUCCESS))
        failed = not played and PlaybackStatus.failed in outcome[item.id]
        keys = [("bulletin", str(bulletin.id), bulletin.title), ("language", item.language, item.language)]
        for code in chains[device.unit_code]:
            unit = units[code]
            keys.append(("level", unit.level.value, unit.level.value))
            keys.append(("unit", code, unit.name))
        for group, key, label in dict.fromkeys(keys):
            bucket = counts[(group, key)]
            labels[(group, key)] = label
            bucket[0] += 1
            bucket[1] += item.delivered_at is not None
            bucket[2] += played
            bucket[3] += failed
    grouped: dict[str, list[ReachRow]] = defaultdict(list)
    for (group, key), (scheduled, delivered, played, failed) in sorted(counts.items()):
        grouped[group].append(
            ReachRow(group, key, labels[(group, key)], scheduled, delivered, played, failed)
        )
    return dict(grouped)
