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


# --- an officer's view of their area now ------------------------------------------------------

ONLINE_WITHIN = timedelta(minutes=15)
RATINGS_DAYS = 30


@dataclass(frozen=True)
class DeviceStatus:
    """A device as an officer sees it: online or not, when last seen, on FM fallback."""

    device_id: str
    kind: str
    unit_code: str
    unit_name: str
    online: bool
    last_seen_at: datetime | None
    fm_fallback: bool
    battery_pct: int | None
    signal_dbm: int | None
    status: str
    free_storage_bytes: int | None = None  # from the latest heartbeat that reported it

    @property
    def free_storage(self) -> str:
        """Free storage as people read it (Vietnamese decimal comma), or a dash when never reported."""
        return format_bytes(self.free_storage_bytes)


def format_bytes(count: int | None) -> str:
    """1_500_000_000 -> '1,5 GB' (decimal units, one decimal); None -> '–'."""
    if count is None:
        return "–"
    value = float(count)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            break
        value /= 1000
    text = f"{int(value)}" if unit == "B" else f"{value:.1f}".replace(".", ",")
    return f"{text} {unit}"


@dataclass
class UnitStatus:
    """Everything under one unit now: devices, today's and tomorrow's schedule, reviews waiting, ratings."""

    unit_code: str
    unit_name: str
    generated_at: datetime
    devices: list[DeviceStatus]
    schedule: list[dict]
    waiting: list[dict]
    ratings: list[dict]
    comments: list[dict]

    def to_dict(self) -> dict:
        return {
            **{k: v for k, v in asdict(self).items() if k != "devices"},
            "devices": [asdict(d) for d in self.devices],
        }


def unit_status(
    *, session: Session, unit_code: str, now: datetime | None = None, timezone: str = DEFAULT_TIMEZONE
) -> UnitStatus:
    """The status of ``unit_code`` and everything under it (UnknownUnit for a code that does not exist)."""
    from storage.models import utcnow
    from storage.units import get_unit

    unit = get_unit(session, unit_code)
    now = now or utcnow()
    today = day_bounds(now, timezone)
    params = {"root": unit.code}
    return UnitStatus(
        unit_code=unit.code,
        unit_name=unit.name,
        generated_at=now,
        devices=_device_status(session, params, now),
        schedule=_schedule(session, params | {"since": today[0], "until": today[1] + timedelta(days=1)}),
        waiting=_waiting(session, params, now),
        ratings=_ratings(session, params | {"since": now - timedelta(days=RATINGS_DAYS)}),
        comments=_comments(session, params | {"since": now - timedelta(days=RATINGS_DAYS)}),
    )


def day_bounds(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """UTC bounds of the local day containing ``now``."""
    from datetime import UTC, time

    tz = ZoneInfo(timezone)
    start = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


_SCOPE = """WITH RECURSIVE scope(code) AS (
    SELECT code FROM admin_unit WHERE code = :root
    UNION ALL
    SELECT u.code FROM admin_unit u JOIN scope ON u.parent_code = scope.code
)"""


def _execute(session: Session, sql: str, params: dict):  # type: ignore[no-untyped-def]
    from sqlalchemy import bindparam, text
    from sqlmodel.sql.sqltypes import UTCDateTime

    statement = text(sql)
    for name in ("since", "until", "now"):
        if f":{name}" in sql:
            statement = statement.bindparams(bindparam(name, type_=UTCDateTime()))
    return (
        session.connection()
        .execute(statement, {k: v for k, v in params.items() if f":{k}" in sql})
        .mappings()
    )


def _aware(value):  # type: ignore[no-untyped-def]
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _device_status(session: Session, params: dict, now: datetime) -> list[DeviceStatus]:
    sql = f"""{_SCOPE},
latest AS (
    SELECT h.device_id, MAX(h.id) AS id,
           MAX(CASE WHEN h.free_storage_bytes IS NOT NULL THEN h.id END) AS storage_id
    FROM heartbeat h JOIN device d ON d.id = h.device_id
    WHERE d.unit_code IN (SELECT code FROM scope) GROUP BY h.device_id
)
SELECT d.id, d.kind, d.unit_code, u.name AS unit_name, d.last_seen_at, h.fm_fallback, h.battery_pct,
       h.signal_dbm, h.status, hs.free_storage_bytes
FROM device d JOIN admin_unit u ON u.code = d.unit_code
LEFT JOIN latest l ON l.device_id = d.id LEFT JOIN heartbeat h ON h.id = l.id
LEFT JOIN heartbeat hs ON hs.id = l.storage_id
WHERE d.unit_code IN (SELECT code FROM scope)
ORDER BY d.unit_code, d.id"""
    out = []
    for row in _execute(session, sql, params):
        seen = _aware(row["last_seen_at"])
        out.append(
            DeviceStatus(
                device_id=row["id"],
                kind=str(getattr(row["kind"], "value", row["kind"])),
                unit_code=row["unit_code"],
                unit_name=row["unit_name"],
                online=seen is not None and now - seen <= ONLINE_WITHIN,
                last_seen_at=seen,
                fm_fallback=bool(row["fm_fallback"]),
                battery_pct=row["battery_pct"],
                signal_dbm=row["signal_dbm"],
                status=row["status"] or "",
                free_storage_bytes=row["free_storage_bytes"],
            )
        )
    return out


def _schedule(session: Session, params: dict) -> list[dict]:
    sql = f"""{_SCOPE},
items AS (
    SELECT pi.id, pi.bulletin_id, pi.window_name, pi.starts_at, pi.ends_at, pi.priority
    FROM playlist_item pi JOIN device d ON d.id = pi.device_id
    WHERE pi.starts_at < :until AND pi.ends_at >= :since
      AND COALESCE(pi.unit_code, d.unit_code) IN (SELECT code FROM scope)
),
played AS (  -- the outcomes the database folds from confirmations (migration 0007)
    SELECT o.playlist_item_id AS id FROM playlist_item_outcome o JOIN items i ON i.id = o.playlist_item_id
    WHERE o.played = 1
)
SELECT i.window_name, MIN(i.starts_at) AS starts_at, MAX(i.ends_at) AS ends_at, i.bulletin_id, b.title,
       i.priority, COUNT(*) AS devices, COUNT(p.id) AS played
FROM items i JOIN bulletin b ON b.id = i.bulletin_id LEFT JOIN played p ON p.id = i.id
GROUP BY i.window_name, i.bulletin_id, b.title, i.priority
ORDER BY MIN(i.starts_at), i.bulletin_id"""
    rows = []
    for row in _execute(session, sql, params):
        item = dict(row)
        item["starts_at"], item["ends_at"] = _aware(item["starts_at"]), _aware(item["ends_at"])
        item["priority"] = str(getattr(item["priority"], "value", item["priority"]))
        rows.append(item)
    return rows


def _waiting(session: Session, params: dict, now: datetime) -> list[dict]:
    sql = f"""{_SCOPE},
above(code, parent) AS (
    SELECT code, parent_code FROM admin_unit WHERE code = :root
    UNION ALL
    SELECT u.code, u.parent_code FROM admin_unit u JOIN above ON u.code = above.parent
)
SELECT DISTINCT r.id, v.bulletin_id, b.title, b.priority, v.number AS version, r.requested_at, r.due_at, r.level
FROM review_request r JOIN bulletin_version v ON v.id = r.version_id JOIN bulletin b ON b.id = v.bulletin_id
JOIN bulletin_target t ON t.bulletin_id = b.id
WHERE r.status = 'waiting'
  AND (t.unit_code IN (SELECT code FROM scope) OR t.unit_code IN (SELECT code FROM above))
ORDER BY r.requested_at"""
    rows = []
    for row in _execute(session, sql, params):
        item = dict(row)
        item["requested_at"], item["due_at"] = _aware(item["requested_at"]), _aware(item["due_at"])
        item["priority"] = str(getattr(item["priority"], "value", item["priority"]))
        item["waiting_minutes"] = int((now - item["requested_at"]).total_seconds() // 60)
        rows.append(item)
    return rows


def _ratings(session: Session, params: dict) -> list[dict]:
    sql = f"""{_SCOPE}
SELECT COALESCE(b.category, NULLIF(f.topic, ''), 'khac') AS category, COUNT(*) AS feedback,
       AVG(f.rating) AS average_rating, SUM(CASE WHEN f.message <> '' THEN 1 ELSE 0 END) AS comments
FROM citizen_feedback f LEFT JOIN bulletin b ON b.id = f.bulletin_id
WHERE f.unit_code IN (SELECT code FROM scope) AND f.created_at >= :since
GROUP BY COALESCE(b.category, NULLIF(f.topic, ''), 'khac') ORDER BY category"""
    return [
        {
            "category": row["category"],
            "feedback": int(row["feedback"]),
            "average_rating": None
            if row["average_rating"] is None
            else round(float(row["average_rating"]), 2),
            "comments": int(row["comments"] or 0),
        }
        for row in _execute(session, sql, params)
    ]


def _comments(session: Session, params: dict, limit: int = 20) -> list[dict]:
    sql = f"""{_SCOPE}
SELECT f.unit_code, f.rating, f.message, f.created_at, b.title
FROM citizen_feedback f LEFT JOIN bulletin b ON b.id = f.bulletin_id
WHERE f.unit_code IN (SELECT code FROM scope) AND f.created_at >= :since AND f.message <> ''
ORDER BY f.created_at DESC LIMIT {int(limit)}"""
    return [{**dict(row), "created_at": _aware(row["created_at"])} for row in _execute(session, sql, params)]
