"""Reach metrics computed in SQL: per bulletin, language and unit, rolled up the unit tree; uptime, ratings.

Definitions (one playlist item = one bulletin rendition scheduled on one device for one window):

- targeted: items scheduled; delivered: items the device fetched;
- played: at least one confirmation ``played`` or ``displayed`` (duplicates count once);
- played in full: the longest play lasted at least 95 % of the rendition (e-boards: shown);
- played on time: a play inside the item's window, at the earlier of the device's time and the
  server's receipt (a device clock running ahead cannot move a play past the moment it was reported);
- completion: the mean share of the rendition heard over targeted items;
- delay: seconds from the version's approval to the first play;
- an item counts for the unit its device was in when it was scheduled (devices move);
- the targets table (bulletin x targeted unit) counts devices, not items: a device with items in two
  languages or windows is one device targeted, and one device played when any of them played.

Every other table counts items: per language, a two-language loudspeaker is one item in each language.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, text
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from storage.errors import StorageError
from storage.models import utcnow
from storage.units import get_unit

FULL_PLAY_SHARE = 0.95
UPTIME_BUCKET_SECONDS = 300
ESSENTIAL_PRIORITIES = ("priority", "emergency")
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


class InvalidPeriod(StorageError):
    code = "invalid_period"


@dataclass(frozen=True)
class ReportPeriod:
    """Local days ``first``..``last`` (inclusive) in ``timezone``; ``kind`` is day, month, annual or all."""

    kind: str
    first: date | None = None
    last: date | None = None
    timezone: str = DEFAULT_TIMEZONE

    @property
    def since(self) -> datetime | None:
        """Start in UTC (local midnight of the first day)."""
        if self.first is None:
            return None
        return datetime.combine(self.first, time(0), tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    @property
    def until(self) -> datetime | None:
        """End in UTC, exclusive (local midnight after the last day)."""
        if self.last is None:
            return None
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=ZoneInfo(self.timezone))
        return end.astimezone(UTC)

    @property
    def label(self) -> str:
        """Local dates as Vietnamese readers write them: 15/12/2025 – 14/12/2026."""
        if self.first is None or self.last is None:
            return "toàn bộ / all time"
        if self.first == self.last:
            return f"{self.first:%d/%m/%Y}"
        return f"{self.first:%d/%m/%Y} – {self.last:%d/%m/%Y}"

    @property
    def slug(self) -> str:
        """A short name for file and object keys."""
        if self.first is None:
            return "all"
        return f"{self.kind}-{self.first.isoformat()}"


def annual_period(year: int, timezone: str = DEFAULT_TIMEZONE) -> ReportPeriod:
    """The statistical year ``year``: 15 December of the year before to 14 December, local time."""
    if not 2000 <= year <= 2200:
        raise InvalidPeriod(
            f"year {year} is out of range: give a year such as 2026",
            f"năm {year} không hợp lệ: hãy nhập năm, ví dụ 2026",
        )
    return ReportPeriod("annual", date(year - 1, 12, 15), date(year, 12, 14), timezone)


def last_ended_year(today: date) -> int:
    """The statistical year that has most recently ended on ``today`` (a run on 15 December reports it)."""
    return today.year if (today.month, today.day) >= (12, 15) else today.year - 1


def monthly_period(year: int, month: int, timezone: str = DEFAULT_TIMEZONE) -> ReportPeriod:
    """A calendar month in local time."""
    if not 1 <= month <= 12 or not 2000 <= year <= 2200:
        raise InvalidPeriod(
            f"month {year}-{month} is not valid: give --year 2026 --month 1..12",
            f"tháng {month}/{year} không hợp lệ: hãy nhập --year 2026 --month 1..12",
        )
    return ReportPeriod(
        "month", date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), timezone
    )


def day_period(day: date, timezone: str = DEFAULT_TIMEZONE) -> ReportPeriod:
    """One local day."""
    return ReportPeriod("day", day, day, timezone)


def all_time(timezone: str = DEFAULT_TIMEZONE) -> ReportPeriod:
    return ReportPeriod("all", None, None, timezone)


def check_period(period: ReportPeriod, now: datetime | None = None) -> ReportPeriod:
    """The period, or InvalidPeriod when it has not started yet."""
    since = period.since
    if since is not None and since > (now or utcnow()):
        raise InvalidPeriod(
            f"the period {period.label} has not started yet: nothing can have been broadcast; "
            "choose a period that has begun",
            f"kỳ {period.label} chưa bắt đầu: chưa có gì được phát; hãy chọn kỳ đã bắt đầu",
        )
    return period


@dataclass(frozen=True)
class Counts:
    """Reach counts of one group of playlist items."""

    targeted: int = 0
    delivered: int = 0
    played: int = 0
    played_full: int = 0
    played_on_time: int = 0
    failed: int = 0
    completion_sum: float = 0.0
    first_play_delay_s: float | None = None

    @property
    def completion(self) -> float:
        return self.completion_sum / self.targeted if self.targeted else 0.0

    @property
    def reach_rate(self) -> float:
        return self.played / self.targeted if self.targeted else 0.0

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("completion_sum")
        out["completion"] = round(self.completion, 4)
        out["reach_rate"] = round(self.reach_rate, 4)
        if self.first_play_delay_s is not None:
            out["first_play_delay_s"] = round(self.first_play_delay_s, 1)
        return out


@dataclass(frozen=True)
class MetricRow:
    """One group's key (bulletin, language, unit ... as the table needs) and its counts."""

    key: dict
    counts: Counts

    def to_dict(self) -> dict:
        return {**self.key, **self.counts.to_dict()}


@dataclass(frozen=True)
class Headline:
    """The plans' headline: essential bulletins (priority, emergency) that reached every targeted unit."""

    essential: int
    reached_all: int
    missed: list[dict] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.reached_all / self.essential if self.essential else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "share": round(self.share, 4)}


@dataclass
class Metrics:
    """Everything the evaluation reports for one period and one unit's subtree."""

    period: ReportPeriod
    scope: str | None
    headline: Headline
    detail: list[MetricRow]  # bulletin x language x unit (the unit of the devices)
    by_bulletin: list[MetricRow]
    by_language: list[MetricRow]
    by_unit: list[MetricRow]  # every unit with devices below it, rolled up
    by_unit_language: list[MetricRow]
    by_day: list[MetricRow]
    targets: list[dict]  # bulletin x targeted unit: devices and whether any played it
    uptime: list[dict]  # per device
    uptime_by_unit: list[dict]
    feedback: list[dict]  # per unit (rolled up) x category

    def totals(self) -> Counts:
        return _sum_counts(row.counts for row in self.by_bulletin)

    def tables(self) -> dict[str, list[dict]]:
        """Every table as plain rows (for artifacts, JSON, CSV and spreadsheets)."""
        return {
            "headline": [self.headline.to_dict() | {"missed": len(self.headline.missed)}],
            "bulletins": [r.to_dict() for r in self.by_bulletin],
            "languages": [r.to_dict() for r in self.by_language],
            "units": [r.to_dict() for r in self.by_unit],
            "units_languages": [r.to_dict() for r in self.by_unit_language],
            "days": [r.to_dict() for r in self.by_day],
            "detail": [r.to_dict() for r in self.detail],
            "targets": self.targets,
            "uptime": self.uptime,
            "uptime_units": self.uptime_by_unit,
            "feedback": self.feedback,
        }


def _sum_counts(rows) -> Counts:  # type: ignore[no-untyped-def]
    rows = list(rows)
    delays = [r.first_play_delay_s for r in rows if r.first_play_delay_s is not None]
    return Counts(
        targeted=sum(r.targeted for r in rows),
        delivered=sum(r.delivered for r in rows),
        played=sum(r.played for r in rows),
        played_full=sum(r.played_full for r in rows),
        played_on_time=sum(r.played_on_time for r in rows),
        failed=sum(r.failed for r in rows),
        completion_sum=sum(r.completion_sum for r in rows),
        first_play_delay_s=min(delays) if delays else None,
    )


# --- SQL ---------------------------------------------------------------------------------------


class _Dialect:
    """The few expressions SQLite and PostgreSQL spell differently."""

    def __init__(self, name: str) -> None:
        self.pg = name == "postgresql"

    def epoch(self, expr: str) -> str:
        # date_part gives a double; EXTRACT a numeric, several times slower over a year of rows.
        return f"date_part('epoch', {expr})" if self.pg else f"((julianday({expr}) - 2440587.5) * 86400.0)"

    def slot(self, expr: str, seconds: int) -> str:
        """The number of the ``seconds``-long slot since the epoch a timestamp falls in (exact integers)."""
        if self.pg:
            return f"FLOOR(date_part('epoch', {expr}) / {seconds})"
        return f"(CAST(strftime('%s', {expr}) AS INTEGER) / {seconds})"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.pg else f"min({a}, {b})"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.pg else f"max({a}, {b})"


_TREE = """
tree(ancestor, code) AS (
    SELECT code, code FROM admin_unit WHERE code IN (SELECT code FROM scope)
    UNION ALL
    SELECT tree.ancestor, u.code FROM tree JOIN admin_unit u ON u.parent_code = tree.code
)"""


def _scope_cte(root: str | None) -> str:
    if root is None:
        return "scope(code) AS (SELECT code FROM admin_unit)"
    return """scope(code) AS (
    SELECT code FROM admin_unit WHERE code = :root
    UNION ALL
    SELECT u.code FROM admin_unit u JOIN scope ON u.parent_code = scope.code
)"""


def _leaf_sql(d: _Dialect, period: ReportPeriod, scope: str, scoped: bool) -> str:
    """Per (bulletin, language, unit, local day): the detail every table sums.

    Reads each item's outcome, which triggers (migration 0007) fold from its confirmations as they
    arrive, so a year's evaluation never scans the confirmations themselves.
    """
    where = []
    if period.since is not None:
        where.append("pi.starts_at >= :since AND pi.starts_at < :until")
    if scoped:  # without a unit every item is in scope: no filter to evaluate
        where.append("COALESCE(pi.unit_code, dv.unit_code) IN (SELECT code FROM scope)")
    return f"""
WITH RECURSIVE {scope},
approvals AS (
    SELECT version_id, MIN({d.epoch("created_at")}) AS approved_at
    FROM review WHERE decision = 'approve' GROUP BY version_id
)
SELECT pi.bulletin_id, pi.language, COALESCE(pi.unit_code, dv.unit_code) AS unit_code, pi.broadcast_date AS day,
       COUNT(*) AS targeted,
       SUM(CASE WHEN pi.delivered_at IS NULL THEN 0 ELSE 1 END) AS delivered,
       SUM(COALESCE(o.played, 0)) AS played,
       SUM(CASE WHEN o.heard >= {FULL_PLAY_SHARE} THEN 1 ELSE 0 END) AS played_full,
       SUM(COALESCE(o.played_on_time, 0)) AS played_on_time,
       SUM(CASE WHEN o.failed = 1 AND o.played = 0 THEN 1 ELSE 0 END) AS failed,
       SUM(COALESCE(o.heard, 0.0)) AS completion_sum,
       MIN({d.epoch("o.first_played_at")} - a.approved_at) AS first_play_delay_s
FROM playlist_item pi
JOIN device dv ON dv.id = pi.device_id
LEFT JOIN playlist_item_outcome o ON o.playlist_item_id = pi.id
LEFT JOIN approvals a ON a.version_id = pi.version_id
WHERE {" AND ".join(where) or "1 = 1"}
GROUP BY pi.bulletin_id, pi.language, COALESCE(pi.unit_code, dv.unit_code), pi.broadcast_date
"""


_LEAF = "reach_leaf"
_SUMS = """SUM(targeted) AS targeted, SUM(delivered) AS delivered, SUM(played) AS played,
    SUM(played_full) AS played_full, SUM(played_on_time) AS played_on_time, SUM(failed) AS failed,
    SUM(completion_sum) AS completion_sum, MIN(first_play_delay_s) AS first_play_delay_s"""
_COUNT_FIELDS = (
    "targeted",
    "delivered",
    "played",
    "played_full",
    "played_on_time",
    "failed",
    "completion_sum",
    "first_play_delay_s",
)


def _params(period: ReportPeriod, root: str | None) -> dict:
    params: dict = {}
    if period.since is not None:
        params.update(since=period.since, until=period.until)
    if root is not None:
        params["root"] = root
    return params


def _query(session: Session, sql: str, params: dict):  # type: ignore[no-untyped-def]
    statement = text(sql)
    for name in ("since", "until"):
        if name in params and f":{name}" in sql:
            statement = statement.bindparams(bindparam(name, type_=UTCDateTime()))
    used = {k: v for k, v in params.items() if f":{k}" in sql}
    return session.connection().execute(statement, used)


def _rows(session: Session, sql: str, params: dict, keys: tuple[str, ...]) -> list[MetricRow]:
    out = []
    for row in _query(session, sql, params).mappings():
        values = {k: row[k] for k in _COUNT_FIELDS}
        counts = Counts(
            **{k: int(values[k] or 0) for k in _COUNT_FIELDS[:6]},
            completion_sum=float(values["completion_sum"] or 0.0),
            first_play_delay_s=None
            if values["first_play_delay_s"] is None
            else float(values["first_play_delay_s"]),
        )
        out.append(MetricRow({k: _plain(row[k]) for k in keys}, counts))
    return out


def _plain(value):  # type: ignore[no-untyped-def]
    return value.isoformat() if isinstance(value, date) else value


def reach_metrics(
    *,
    session: Session,
    period: ReportPeriod,
    unit_code: str | None = None,
    now: datetime | None = None,
    detail: bool | None = None,
) -> Metrics:
    """All reach tables for ``period`` under ``unit_code`` (everything when None), computed in SQL.

    ``detail`` (bulletin x language x unit rows) defaults to on for a day or a month, off for longer
    periods, where it has as many rows as bulletins times villages.
    """
    if unit_code is not None:
        get_unit(session, unit_code)
    check_period(period, now)
    d = _Dialect(session.connection().dialect.name)
    if d.pg:  # aggregations over millions of confirmations stay in memory instead of spilling to disk
        session.connection().execute(text("SET LOCAL work_mem = '256MB'"))
    params = _params(period, unit_code)
    if detail is None:
        detail = period.kind in ("day", "month", "range")
    scope = _scope_cte(unit_code)
    session.connection().execute(text(f"DROP TABLE IF EXISTS {_LEAF}"))
    leaf_sql = _leaf_sql(d, period, scope, unit_code is not None)
    _query(session, f"CREATE TEMPORARY TABLE {_LEAF} AS {leaf_sql}", params)
    if d.pg:  # temporary tables get no statistics of their own; the rollups join it
        session.connection().execute(text(f"ANALYZE {_LEAF}"))
    try:
        return _collect(session, d, period, unit_code, params, scope, now, detail)
    finally:
        session.connection().execute(text(f"DROP TABLE IF EXISTS {_LEAF}"))


def _collect(  # type: ignore[no-untyped-def]
    session: Session, d: _Dialect, period: ReportPeriod, root, params: dict, scope: str, now, detail: bool
) -> Metrics:
    with_tree = f"WITH RECURSIVE {scope}, {_TREE}"
    unit_cols = "u.code AS unit_code, u.name AS unit_name, u.level AS level, u.parent_code AS parent_code"
    detail_rows = (
        _rows(
            session,
            f"""SELECT l.bulletin_id, b.title, l.language, l.unit_code, u.name AS unit_name, {_SUMS}
        FROM {_LEAF} l JOIN bulletin b ON b.id = l.bulletin_id JOIN admin_unit u ON u.code = l.unit_code
        GROUP BY l.bulletin_id, b.title, l.language, l.unit_code, u.name
        ORDER BY l.bulletin_id, l.language, l.unit_code""",
            params,
            ("bulletin_id", "title", "language", "unit_code", "unit_name"),
        )
        if detail
        else []
    )
    by_bulletin = _rows(
        session,
        f"""SELECT l.bulletin_id, b.title, b.category, b.priority, {_SUMS}
        FROM {_LEAF} l JOIN bulletin b ON b.id = l.bulletin_id
        GROUP BY l.bulletin_id, b.title, b.category, b.priority ORDER BY l.bulletin_id""",
        params,
        ("bulletin_id", "title", "category", "priority"),
    )
    by_language = _rows(
        session,
        f"SELECT language, {_SUMS} FROM {_LEAF} GROUP BY language ORDER BY language",
        params,
        ("language",),
    )
    by_day = _rows(session, f"SELECT day, {_SUMS} FROM {_LEAF} GROUP BY day ORDER BY day", params, ("day",))
    by_unit = _rows(
        session,
        f"""{with_tree}
        SELECT {unit_cols}, {_SUMS}
        FROM (SELECT unit_code, {_SUMS} FROM {_LEAF} GROUP BY unit_code) l
        JOIN tree t ON t.code = l.unit_code JOIN admin_unit u ON u.code = t.ancestor
        GROUP BY u.code, u.name, u.level, u.parent_code ORDER BY u.code""",
        params,
        ("unit_code", "unit_name", "level", "parent_code"),
    )
    by_unit_language = _rows(
        session,
        f"""{with_tree}
        SELECT {unit_cols}, l.language, {_SUMS}
        FROM (SELECT unit_code, language, {_SUMS} FROM {_LEAF} GROUP BY unit_code, language) l
        JOIN tree t ON t.code = l.unit_code JOIN admin_unit u ON u.code = t.ancestor
        GROUP BY u.code, u.name, u.level, u.parent_code, l.language ORDER BY u.code, l.language""",
        params,
        ("unit_code", "unit_name", "level", "parent_code", "language"),
    )
    targets = _targets(session, d, period, root, params, scope)
    headline = _headline(targets)
    uptime, uptime_units = _uptime(session, d, period, params, scope, now)
    feedback = _feedback(session, params, scope, with_tree)
    return Metrics(
        period,
        root,
        headline,
        detail_rows,
        by_bulletin,
        by_language,
        by_unit,
        by_unit_language,
        by_day,
        targets,
        uptime,
        uptime_units,
        feedback,
    )


def _targets(
    session: Session, d: _Dialect, period: ReportPeriod, root, params: dict, scope: str
) -> list[dict]:  # type: ignore[no-untyped-def]
    """Per bulletin in the period and each unit it targeted (inside the scope): devices and plays below it.

    Devices, not playlist items: a loudspeaker that plays the bulletin in two languages, or in two
    windows, is one device targeted (and one device that played it when any of its items played).
    The leaf table has no devices, so their items are read again, with the leaf's filters.
    """
    approved_in = "r.created_at >= :since AND r.created_at < :until" if period.since is not None else "1 = 1"
    items = ["pi.starts_at >= :since AND pi.starts_at < :until"] if period.since is not None else ["1 = 1"]
    if root is not None:
        items.append("COALESCE(pi.unit_code, dv.unit_code) IN (SELECT code FROM scope)")
    # A target above the scope counts as the scope's root: an officer sees whether their area was reached.
    if root is None:
        target = "bt.unit_code"
        inside = "bt.unit_code IN (SELECT code FROM scope)"
        extra = ""
    else:
        target = "CASE WHEN bt.unit_code IN (SELECT code FROM scope) THEN bt.unit_code ELSE :root END"
        inside = "(bt.unit_code IN (SELECT code FROM scope) OR bt.unit_code IN (SELECT code FROM above))"
        extra = """, above(code, parent) AS (
            SELECT code, parent_code FROM admin_unit WHERE code = :root
            UNION ALL
            SELECT u.code, u.parent_code FROM admin_unit u JOIN above ON u.code = above.parent
        )"""
    sql = f"""
WITH RECURSIVE {scope}{extra},
in_period AS (
    SELECT DISTINCT bulletin_id FROM {_LEAF}
    UNION
    SELECT v.bulletin_id FROM review r JOIN bulletin_version v ON v.id = r.version_id
    WHERE r.decision = 'approve' AND {approved_in}
),
targets AS (
    SELECT DISTINCT bt.bulletin_id, {target} AS unit_code
    FROM bulletin_target bt JOIN in_period ip ON ip.bulletin_id = bt.bulletin_id
    WHERE {inside}
),
tree(ancestor, code) AS (
    SELECT unit_code, unit_code FROM targets
    UNION
    SELECT tree.ancestor, u.code FROM tree JOIN admin_unit u ON u.parent_code = tree.code
),
device_plays AS (
    SELECT pi.bulletin_id, COALESCE(pi.unit_code, dv.unit_code) AS unit_code, pi.device_id,
           MAX(COALESCE(o.played, 0)) AS played
    FROM playlist_item pi
    JOIN device dv ON dv.id = pi.device_id
    LEFT JOIN playlist_item_outcome o ON o.playlist_item_id = pi.id
    WHERE pi.bulletin_id IN (SELECT bulletin_id FROM targets) AND {" AND ".join(items)}
    GROUP BY pi.bulletin_id, COALESCE(pi.unit_code, dv.unit_code), pi.device_id
),
reached AS (
    SELECT t.bulletin_id, t.unit_code, COUNT(DISTINCT d.device_id) AS devices,
           COUNT(DISTINCT CASE WHEN d.played > 0 THEN d.device_id END) AS played
    FROM targets t JOIN tree ON tree.ancestor = t.unit_code
    JOIN device_plays d ON d.unit_code = tree.code AND d.bulletin_id = t.bulletin_id
    GROUP BY t.bulletin_id, t.unit_code
)
SELECT t.bulletin_id, b.title, b.priority, t.unit_code, u.name AS unit_name,
       COALESCE(r.devices, 0) AS devices, COALESCE(r.played, 0) AS played
FROM targets t JOIN bulletin b ON b.id = t.bulletin_id JOIN admin_unit u ON u.code = t.unit_code
LEFT JOIN reached r ON r.bulletin_id = t.bulletin_id AND r.unit_code = t.unit_code
ORDER BY t.bulletin_id, t.unit_code
"""
    rows = []
    for row in _query(session, sql, params).mappings():
        item = dict(row)
        item["priority"] = str(getattr(item["priority"], "value", item["priority"]))
        item["devices"], item["played"] = int(item["devices"]), int(item["played"])
        item["reached"] = item["played"] > 0
        rows.append(item)
    return rows


def _headline(targets: list[dict]) -> Headline:
    essential: dict[int, list[dict]] = {}
    for row in targets:
        if row["priority"] in ESSENTIAL_PRIORITIES:
            essential.setdefault(row["bulletin_id"], []).append(row)
    missed = [
        {
            "bulletin_id": b,
            "title": rows[0]["title"],
            "units": [r["unit_code"] for r in rows if not r["reached"]],
        }
        for b, rows in essential.items()
        if not all(r["reached"] for r in rows)
    ]
    return Headline(essential=len(essential), reached_all=len(essential) - len(missed), missed=missed)


_UPTIME = "uptime_device"


def _uptime(session: Session, d: _Dialect, period: ReportPeriod, params: dict, scope: str, now):  # type: ignore[no-untyped-def]
    """Share of five-minute slots with a heartbeat, and of those on FM fallback, per device and unit."""
    now = now or utcnow()
    start = period.since
    end = min(period.until, now) if period.until is not None else now
    bucket = d.slot("h.received_at", UPTIME_BUCKET_SECONDS)
    window = "AND h.received_at >= :since AND h.received_at < :until" if start is not None else ""
    first = f"{d.epoch('dv.created_at')}"
    if start is not None:
        first = d.greatest(first, str(start.timestamp()))
    expected = f"{d.greatest(f'({end.timestamp()} - {first}) / {UPTIME_BUCKET_SECONDS}', '0')}"
    # Without a unit every heartbeat counts: no join to the devices to filter them.
    beat_scope = (
        "JOIN device dv ON dv.id = h.device_id WHERE dv.unit_code IN (SELECT code FROM scope)"
        if "root" in params
        else "WHERE 1 = 1"
    )
    # One pass over the heartbeats into a temporary table; devices and units are read from it.
    session.connection().execute(text(f"DROP TABLE IF EXISTS {_UPTIME}"))
    _query(
        session,
        f"""CREATE TEMPORARY TABLE {_UPTIME} AS
WITH RECURSIVE {scope},
slots AS (
    SELECT device_id, slot, MAX(fm) AS fm
    FROM (
        SELECT h.device_id, {bucket} AS slot, CASE WHEN h.fm_fallback THEN 1 ELSE 0 END AS fm
        FROM heartbeat h {beat_scope} {window}
        {"OFFSET 0" if d.pg else ""}
    ) beat_rows
    GROUP BY device_id, slot
),
beats AS (SELECT device_id, COUNT(*) AS up, SUM(fm) AS fm FROM slots GROUP BY device_id)
SELECT dv.id AS device_id, dv.unit_code, dv.kind, COALESCE(b.up, 0) AS up, COALESCE(b.fm, 0) AS fm,
       {expected} AS expected
FROM device dv LEFT JOIN beats b ON b.device_id = dv.id
WHERE dv.unit_code IN (SELECT code FROM scope)""",
        params,
    )
    try:
        devices = [
            _device_uptime(row)
            for row in _query(session, f"SELECT * FROM {_UPTIME} ORDER BY device_id", {}).mappings()
        ]
        unit_sql = f"""
WITH RECURSIVE {scope}, {_TREE}
SELECT u.code AS unit_code, u.name AS unit_name, u.level AS level, COUNT(*) AS devices,
       SUM(p.up) AS up, SUM(p.fm) AS fm, SUM(p.expected) AS expected
FROM {_UPTIME} p JOIN tree t ON t.code = p.unit_code JOIN admin_unit u ON u.code = t.ancestor
GROUP BY u.code, u.name, u.level ORDER BY u.code
"""
        units = [_unit_uptime(row) for row in _query(session, unit_sql, params).mappings()]
    finally:
        session.connection().execute(text(f"DROP TABLE IF EXISTS {_UPTIME}"))
    return devices, units


def _share(part: int, expected_slots: float) -> float:
    return round(min(part / expected_slots, 1.0), 4) if expected_slots >= 1 else 0.0


def _device_uptime(row) -> dict:  # type: ignore[no-untyped-def]
    expected_slots = max(float(row["expected"] or 0), 0.0)
    up, fm = int(row["up"]), int(row["fm"])
    return {
        "device_id": row["device_id"],
        "unit_code": row["unit_code"],
        "kind": str(getattr(row["kind"], "value", row["kind"])),
        "slots_up": up,
        "slots_fm": fm,
        "uptime": _share(up, expected_slots),
        "fm_share": _share(fm, expected_slots),
        "fm_hours": round(fm * UPTIME_BUCKET_SECONDS / 3600, 2),
    }


def _unit_uptime(row) -> dict:  # type: ignore[no-untyped-def]
    return {
        "unit_code": row["unit_code"],
        "unit_name": row["unit_name"],
        "level": str(getattr(row["level"], "value", row["level"])),
        "devices": int(row["devices"]),
        "uptime": _share(int(row["up"]), float(row["expected"] or 0)),
        "fm_hours": round(int(row["fm"]) * UPTIME_BUCKET_SECONDS / 3600, 2),
    }


def _feedback(session: Session, params: dict, scope: str, with_tree: str) -> list[dict]:
    """Citizen feedback per unit (rolled up) and category: count, average rating, comments."""
    window = "AND f.created_at >= :since AND f.created_at < :until" if "since" in params else ""
    sql = f"""{with_tree}
SELECT u.code AS unit_code, u.name AS unit_name, u.level AS level,
       COALESCE(b.category, NULLIF(f.topic, ''), 'khac') AS category,
       COUNT(*) AS feedback, AVG(f.rating) AS average_rating, COUNT(f.rating) AS ratings,
       SUM(CASE WHEN f.message <> '' THEN 1 ELSE 0 END) AS comments
FROM citizen_feedback f
JOIN tree t ON t.code = f.unit_code JOIN admin_unit u ON u.code = t.ancestor
LEFT JOIN bulletin b ON b.id = f.bulletin_id
WHERE 1 = 1 {window}
GROUP BY u.code, u.name, u.level, COALESCE(b.category, NULLIF(f.topic, ''), 'khac')
ORDER BY u.code, category
"""
    rows = []
    for row in _query(session, sql, params).mappings():
        item = dict(row)
        item["level"] = str(getattr(item["level"], "value", item["level"]))
        avg = item["average_rating"]
        item["average_rating"] = None if avg is None else round(float(avg), 2)
        item["feedback"], item["ratings"], item["comments"] = (
            int(item["feedback"]),
            int(item["ratings"]),
            int(item["comments"] or 0),
        )
        rows.append(item)
    return rows
