"""Reach of bulletins: scheduled, delivered and played, per bulletin, language and unit level (from SQL)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage.metrics import DEFAULT_TIMEZONE, MetricRow, ReportPeriod, reach_metrics


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


def _row(group: str, key: str, label: str, row: MetricRow) -> ReachRow:
    c = row.counts
    return ReachRow(group, key, label, c.targeted, c.delivered, c.played, c.failed)


def reach(
    *,
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> dict[str, list[ReachRow]]:
    """Reach grouped by bulletin, language, unit level and unit over the local days [since, until)."""
    tz = ZoneInfo(timezone)
    first = since.astimezone(tz).date() if since else None
    last = (until - timedelta(microseconds=1)).astimezone(tz).date() if until else None
    period = ReportPeriod("range" if first else "all", first, last, timezone)
    metrics = reach_metrics(session=session, period=period, now=until)
    levels: dict[str, list[int]] = {}
    for row in metrics.by_unit:
        bucket = levels.setdefault(str(row.key["level"]), [0, 0, 0, 0])
        for i, value in enumerate(
            (row.counts.targeted, row.counts.delivered, row.counts.played, row.counts.failed)
        ):
            bucket[i] += value
    grouped = {
        "bulletin": [
            _row("bulletin", str(r.key["bulletin_id"]), r.key["title"], r) for r in metrics.by_bulletin
        ],
        "language": [_row("language", r.key["language"], r.key["language"], r) for r in metrics.by_language],
        "level": [ReachRow("level", level, level, *counts) for level, counts in sorted(levels.items())],
        "unit": [_row("unit", r.key["unit_code"], r.key["unit_name"], r) for r in metrics.by_unit],
    }
    return {group: rows for group, rows in grouped.items() if rows}
