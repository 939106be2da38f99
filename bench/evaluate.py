"""Evaluation at the scale of one province-year on PostgreSQL; prints JSON.

Generates 2,000 devices in 500 villages of 100 communes, two windows a day and one province-wide
bulletin per window for the statistical year 2026 (15/12/2025-14/12/2026): about 1.46 million
playlist items and 5 million confirmations (loudspeakers repeat a bulletin three times a window;
some duplicates, failures and late uploads), one heartbeat per device and window. Everything is
loaded with COPY into a fresh schema of the ``test`` database (dropped afterwards unless --keep).
The confirmations' COPY is one statement: the trigger of migration 0007 folds all of them into
``playlist_item_outcome`` at its end (``confirmations_copy_seconds`` includes that). Then times the
evaluation of the year and of one day, which read those outcomes instead of the confirmations, and
the Python heap's peak during each (tracemalloc): the figure stays flat however many confirmations
the database holds. ``ingest`` times one device's batch of 500 confirmations through
``storage.record_confirmations`` on the full database (rolled back): the cost the outcome adds to
every batch as it arrives.

Usage: python bench/evaluate.py [--devices 2000] [--days 365] [--url postgresql+psycopg://...] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
sys.path.insert(0, str(REPO))

PG_URL = os.environ.get("BANTIN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WINDOWS = (("sáng", 23, 0), ("chiều", 10, 0))  # 06:00 and 17:00 in Hà Nội, as UTC hours of the day before/of
YEAR = 2026
FIRST_DAY = date(YEAR - 1, 12, 15)


def ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S+00")


def copy_rows(cursor, table: str, columns: tuple[str, ...], rows) -> int:  # type: ignore[no-untyped-def]
    """COPY text-format rows (tuples of str) in 8 MB chunks."""
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        chunk: list[str] = []
        size = 0
        for row in rows:
            line = "\t".join(row) + "\n"
            chunk.append(line)
            size += len(line)
            count += 1
            if size > 8_000_000:
                copy.write("".join(chunk))
                chunk, size = [], 0
        if chunk:
            copy.write("".join(chunk))
    return count


def units(communes: int, villages_per: int):  # type: ignore[no-untyped-def]
    yield ("P", "Tỉnh Thử", "province", "\\N")
    for c in range(communes):
        yield (f"C{c:03d}", f"Xã {c}", "commune", "P")
        for v in range(villages_per):
            yield (f"C{c:03d}V{v}", f"Thôn {v} xã {c}", "village", f"C{c:03d}")


def generate(cursor, devices: int, days: int, seed: int) -> dict:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    communes, villages_per = 100, 5
    villages = [f"C{c:03d}V{v}" for c in range(communes) for v in range(villages_per)]
    now = ts(datetime(2025, 12, 1, tzinfo=UTC))
    copy_rows(
        cursor,
        "admin_unit",
        ("code", "name", "level", "division_type", "parent_code", "languages", "created_at"),
        ((c, n, lvl, "", p, '["vie"]', now) for c, n, lvl, p in units(communes, villages_per)),
    )
    device_ids = [f"LOA-{i:05d}" for i in range(devices)]
    device_unit = {d: villages[i % len(villages)] for i, d in enumerate(device_ids)}
    copy_rows(
        cursor,
        "device",
        ("id", "kind", "unit_code", "name", "languages", "token_hash", "simulated", "created_at"),
        ((d, "speaker_cluster", device_unit[d], d, '["vie"]', "", "f", now) for d in device_ids),
    )
    n_bulletins = days * len(WINDOWS)
    priorities = ["normal"] * 8 + ["priority", "emergency"]
    bulletins = []
    for b in range(1, n_bulletins + 1):
        day = FIRST_DAY + timedelta(days=(b - 1) // len(WINDOWS))
        bulletins.append((b, day, WINDOWS[(b - 1) % len(WINDOWS)], priorities[b % len(priorities)]))
    copy_rows(
        cursor,
        "bulletin",
        (
            "id",
            "title",
            "category",
            "priority",
            "status",
            "source_unit_code",
            "created_by",
            "target_seconds",
            "production_note",
            "created_at",
            "updated_at",
        ),
        (
            (str(b), f"Bản tin {b}", "van_hoa_xa_hoi", p, "distributed", "P", "", "60", "", now, now)
            for b, _, _, p in bulletins
        ),
    )
    copy_rows(cursor, "bulletin_target", ("bulletin_id", "unit_code"), ((str(b), "P") for b, *_ in bulletins))
    copy_rows(
        cursor,
        "bulletin_version",
        ("id", "bulletin_id", "number", "body", "content_hash", "created_by", "created_at"),
        ((str(b), str(b), "1", "…", f"{b:064x}", "", now) for b, *_ in bulletins),
    )
    copy_rows(
        cursor,
        "rendition",
        (
            "id",
            "version_id",
            "language",
            "kind",
            "text",
            "audio_key",
            "duration_s",
            "engine",
            "voice",
            "details",
            "created_at",
        ),
        ((str(b), str(b), "vie", "audio", "", "a", "90", "", "", "{}", now) for b, *_ in bulletins),
    )

    def approved(day: date, window) -> datetime:  # type: ignore[no-untyped-def]
        hour = window[1]
        start = datetime(day.year, day.month, day.day, hour, window[2], tzinfo=UTC)
        return start - timedelta(days=1 if hour >= 17 else 0) - timedelta(hours=2)

    copy_rows(
        cursor,
        "review",
        ("id", "version_id", "reviewer", "decision", "comment", "content_digest", "created_at"),
        ((str(b), str(b), "r", "approve", "", "", ts(approved(day, w))) for b, day, w, _ in bulletins),
    )
    stats = {"items": 0, "confirmations": 0, "heartbeats": 0}

    def starts(day: date, window) -> datetime:  # type: ignore[no-untyped-def]
        base = datetime(day.year, day.month, day.day, window[1], window[2], tzinfo=UTC)
        return base - timedelta(days=1) if window[1] >= 17 else base

    def items():  # type: ignore[no-untyped-def]
        item_id = 0
        for b, day, window, priority in bulletins:
            start = starts(day, window)
            s, e, delivered = ts(start), ts(start + timedelta(minutes=45)), ts(start - timedelta(minutes=20))
            for d in device_ids:
                item_id += 1
                yield (
                    str(item_id),
                    d,
                    str(b),
                    str(b),
                    str(b),
                    "",
                    "vie",
                    priority,
                    day.isoformat(),
                    window[0],
                    s,
                    e,
                    delivered if rng.random() < 0.97 else "\\N",
                    now,
                    device_unit[d],
                )

    stats["items"] = copy_rows(
        cursor,
        "playlist_item",
        (
            "id",
            "device_id",
            "bulletin_id",
            "version_id",
            "rendition_id",
            "audio_sha256",
            "language",
            "priority",
            "broadcast_date",
            "window_name",
            "starts_at",
            "ends_at",
            "delivered_at",
            "created_at",
            "unit_code",
        ),
        items(),
    )

    def confirmations():  # type: ignore[no-untyped-def]
        conf_id = 0
        item_id = 0
        random = rng.random
        for _b, day, window, _ in bulletins:
            start = starts(day, window)
            # Timestamps as text once per bulletin: three plays 14 minutes apart, a failure, late uploads.
            plays_at = [start + timedelta(minutes=1 + 14 * k) for k in range(3)]
            on_time = [(ts(t), ts(t + timedelta(seconds=5))) for t in plays_at]
            late = [(ts(t), ts(t + timedelta(hours=20))) for t in plays_at]
            failed_at = (ts(start + timedelta(minutes=2)), ts(start + timedelta(minutes=2, seconds=5)))
            for d in device_ids:
                item_id += 1
                item = str(item_id)
                roll = random()
                plays = 3 if roll < 0.9 else 2 if roll < 0.94 else 0
                times = late if random() < 0.03 else on_time
                events = [("played", *times[k], "90" if random() < 0.9 else "40") for k in range(plays)]
                if roll >= 0.94:
                    events.append(("failed", *failed_at, "\\N"))
                if plays and random() < 0.55:
                    events.append(events[0])  # a duplicate upload with a new event id
                for status, occurred, received, duration in events:
                    conf_id += 1
                    yield (str(conf_id), f"{conf_id:032x}", d, item, status, occurred, received, duration)

    started = time.perf_counter()
    stats["confirmations"] = copy_rows(
        cursor,
        "playback_confirmation",
        (
            "id",
            "event_id",
            "device_id",
            "playlist_item_id",
            "status",
            "occurred_at",
            "received_at",
            "duration_s",
        ),
        confirmations(),
    )
    stats["confirmations_copy_seconds"] = round(time.perf_counter() - started, 1)

    def heartbeats():  # type: ignore[no-untyped-def]
        beat = 0
        for _, day, window, _ in bulletins:
            at = ts(starts(day, window) - timedelta(minutes=5))
            for d in device_ids:
                beat += 1
                yield (str(beat), d, at, "ok", "f" if rng.random() < 0.95 else "t", "")

    stats["heartbeats"] = copy_rows(
        cursor,
        "heartbeat",
        ("id", "device_id", "received_at", "status", "fm_fallback", "firmware"),
        heartbeats(),
    )
    for table in (
        "bulletin",
        "bulletin_version",
        "rendition",
        "review",
        "playlist_item",
        "playback_confirmation",
        "heartbeat",
    ):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
        )
    return stats


def counts(raw: str, schema: str) -> dict:
    """Row counts of a kept schema."""
    import psycopg

    with psycopg.connect(raw, options=f"-csearch_path={schema}") as conn:
        tables = {
            "items": "playlist_item",
            "confirmations": "playback_confirmation",
            "heartbeats": "heartbeat",
        }
        return {k: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for k, t in tables.items()}


def backend_cpu(pid: int) -> float | None:
    """CPU seconds a local PostgreSQL backend has used (a figure other load on the machine does not inflate)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # a remote server
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(engine, period) -> dict:  # type: ignore[no-untyped-def]
    import storage

    tracemalloc.start()
    started = time.perf_counter()
    with storage.session_scope(engine) as session:
        backend = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        cpu_before = backend_cpu(backend)
        metrics = storage.reach_metrics(session=session, period=period, now=datetime(2027, 1, 1, tzinfo=UTC))
        cpu_after = backend_cpu(backend)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    totals = metrics.totals()
    return {
        "seconds": round(seconds, 2),
        "python_peak_mb": round(peak / 1e6, 1),
        "postgres_cpu_seconds": None if cpu_before is None else round(cpu_after - cpu_before, 1),
        "targeted": totals.targeted,
        "played": totals.played,
        "headline_share": round(metrics.headline.share, 4),
        "bulletin_rows": len(metrics.by_bulletin),
        "unit_rows": len(metrics.by_unit),
    }


def ingest(engine, batch: int = 500) -> dict:  # type: ignore[no-untyped-def]
    """One device's batch of confirmations through the gateway's storage function, rolled back."""
    from sqlmodel import Session, select

    import storage
    from storage.playback import ConfirmationEvent, record_confirmations

    with Session(engine) as session:
        device = session.exec(select(storage.Device).order_by(storage.Device.id)).first()
        items = session.exec(
            select(storage.PlaylistItem)
            .where(storage.PlaylistItem.device_id == device.id)
            .order_by(storage.PlaylistItem.id.desc())
            .limit(batch)
        ).all()
        events = [
            ConfirmationEvent(uuid.uuid4(), item.id, storage.PlaybackStatus.played, item.starts_at, 88.0)
            for item in items
        ]
        started = time.perf_counter()
        result = record_confirmations(
            session=session, device=device, events=events, now=datetime(2027, 1, 1, tzinfo=UTC)
        )
        seconds = time.perf_counter() - started
        session.rollback()
    return {"events": len(events), "accepted": len(result.accepted), "seconds": round(seconds, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--url", default=PG_URL)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--keep", action="store_true", help="keep the schema (its name is printed)")
    parser.add_argument(
        "--reuse", default="", help="time the evaluation on a schema kept by an earlier --keep run"
    )
    args = parser.parse_args()

    import psycopg

    import storage

    schema = args.reuse or f"bench_eval_{uuid.uuid4().hex[:8]}"
    raw = args.url.replace("+psycopg", "")
    url = f"{args.url}?options=-csearch_path%3D{schema}"
    keep = args.keep or bool(args.reuse)
    try:
        if args.reuse:
            stats, load_s = counts(raw, schema), None
        else:
            with psycopg.connect(raw, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            storage.upgrade_database(url)
            started = time.perf_counter()
            with psycopg.connect(raw, options=f"-csearch_path={schema}") as conn, conn.cursor() as cursor:
                stats = generate(cursor, args.devices, args.days, args.seed)
                conn.commit()
                conn.autocommit = True
                cursor.execute("VACUUM ANALYZE")
            load_s = round(time.perf_counter() - started, 1)
        engine = storage.make_engine(url)
        year = timed(engine, storage.annual_period(YEAR))
        day = timed(engine, storage.day_period(FIRST_DAY + timedelta(days=180)))
        batch = ingest(engine)
        engine.dispose()
        print(
            json.dumps(
                {
                    "devices": args.devices,
                    "days": args.days,
                    **stats,
                    "load_seconds": load_s,
                    "year": year,
                    "day": day,
                    "ingest": batch,
                    "schema": schema if keep else None,
                },
                indent=2,
            )
        )
    finally:
        if not keep:
            with psycopg.connect(raw, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
