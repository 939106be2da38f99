"""Playback confirmations ingested through the gateway, beside a raw COPY of the same rows.

    python bench/ingest.py --db postgres --events 200000 --devices 8 --workers 2
    python bench/ingest.py --db sqlite --events 2000 --devices 4        # a quick look

A fresh database (a schema of the PostgreSQL ``test`` database, or a SQLite file) gets a province,
``--devices`` loudspeaker clusters with their tokens and one approved bulletin distributed to all of
them (``bench/gateway_load.py``'s fleet); each device fetches its signed manifest, which marks its
item delivered, and its confirmations carry the proof of play the manifest gave (sha256, slot,
actual start and end, outcome). The gateway is ``bantin gateway serve --workers N`` in its own
processes. Every device then posts its share of ``--events`` in batches of ``--batch``, one batch
after the other on its own keep-alive connection (closed loop, all devices at once): the figure is
events stored per second of that phase, with each batch's latency. Then 10% of the batches are sent
again (the same bodies): the gateway must report every event of them as a duplicate and nothing
else. The rows are counted afterwards: every event id once (0 lost, 0 doubled).

In the same run the same rows are loaded with one COPY (SQLite: one executemany INSERT in one
transaction) into ``playback_confirmation_copy``, made ``LIKE playback_confirmation INCLUDING ALL``
(same columns, defaults and indexes; no foreign keys and no trigger: the gateway's inserts also fold
each batch into ``playlist_item_outcome``, the COPY does not). Prints one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gateway_load import PG_ADMIN_URL, seed  # noqa: E402 (bench/ is on the path)
from httpload import Connection, Pool, Server, StaleConnection  # noqa: E402

TARGET_EVENTS_PER_S = 20_000
TARGET_SHARE_OF_COPY = 0.25
RESEND_SHARE = 0.10
COPY_TABLE = "playback_confirmation_copy"
COLUMNS = (
    "event_id",
    "device_id",
    "playlist_item_id",
    "status",
    "occurred_at",
    "received_at",
    "duration_s",
    "content_sha256",
    "slot_starts_at",
    "slot_ends_at",
    "started_at",
    "ended_at",
    "outcome",
)


class CpuMeter:
    """CPU seconds used by the gateway's processes, by the PostgreSQL backends serving them and by
    this process (the load generator: the devices' HTTP clients)."""

    def __init__(self, server: Server, db: str) -> None:
        self.server, self.db = server, db

    def _processes(self) -> list:
        import psutil

        root = psutil.Process(self.server.process.pid)
        gateway = [root, *root.children(recursive=True)]
        backends = []
        if self.db == "postgres":
            ports = {
                c.laddr.port
                for p in gateway
                for c in p.net_connections(kind="tcp")
                if c.raddr and c.raddr.port == 5432
            }
            import psycopg

            with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
                pids = [
                    row[0]
                    for row in conn.execute("SELECT pid, client_port FROM pg_stat_activity").fetchall()
                    if row[1] in ports
                ]
            backends = [psutil.Process(pid) for pid in pids]
        client = [("client", psutil.Process())]
        return [("gateway", p) for p in gateway] + [("postgres", p) for p in backends] + client

    def snapshot(self) -> dict[int, tuple[str, float]]:
        import psutil

        used = {}
        for role, process in self._processes():
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            used[process.pid] = (role, times.user + times.system)
        return used

    @staticmethod
    def spent(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
        total: dict[str, float] = {"gateway": 0.0, "postgres": 0.0, "client": 0.0}
        for pid, (role, seconds) in after.items():
            total[role] += seconds - before.get(pid, (role, 0.0))[1]
        return total


def percentile_ms(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] * 1000, 1)


# --- the database ---------------------------------------------------------------------------------


def make_database(db: str, data_dir: Path) -> tuple[str, str | None]:
    """The URL of a fresh database (and the PostgreSQL schema to drop afterwards)."""
    if db == "postgres":
        import psycopg

        schema = f"bench_ingest_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}", schema
    return f"sqlite:///{data_dir / 'bantin.db'}", None


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def stored_rows(db: str, url: str, data_dir: Path, schema: str | None) -> tuple[int, set[str]]:
    """Rows of ``playback_confirmation`` and their distinct event ids (as text)."""
    if db == "postgres":
        import psycopg

        raw = PG_ADMIN_URL.replace("+psycopg", "")
        with psycopg.connect(raw, options=f"-csearch_path={schema}") as conn:
            ids = [row[0] for row in conn.execute("SELECT event_id::text FROM playback_confirmation")]
        return len(ids), set(ids)
    with sqlite3.connect(data_dir / "bantin.db") as conn:
        ids = [
            str(uuid.UUID(hex=row[0])) for row in conn.execute("SELECT event_id FROM playback_confirmation")
        ]
    return len(ids), set(ids)


def copy_floor(db: str, data_dir: Path, schema: str | None, rows: list[tuple[str, ...]]) -> dict:
    """The same rows loaded raw into a table with the same indexes: seconds and rows per second."""
    if db == "postgres":
        import psycopg
        from evaluate import copy_rows  # bench/evaluate.py's COPY in 8 MB chunks

        raw = PG_ADMIN_URL.replace("+psycopg", "")
        with psycopg.connect(raw, options=f"-csearch_path={schema}") as conn, conn.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {COPY_TABLE} (LIKE playback_confirmation INCLUDING ALL)")
            conn.commit()
            indexes = cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
                (schema, COPY_TABLE),
            ).fetchone()[0]
            started = time.perf_counter()
            copied = copy_rows(cursor, COPY_TABLE, COLUMNS, rows)
            conn.commit()
            seconds = time.perf_counter() - started
        how = "COPY FROM STDIN, one statement, one transaction"
    else:
        with sqlite3.connect(data_dir / "bantin.db") as conn:
            ddl = conn.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'playback_confirmation' "
                "AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type DESC"
            ).fetchall()
            for (statement,) in ddl:
                conn.execute(statement.replace("playback_confirmation", COPY_TABLE))
            conn.commit()
            indexes = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (COPY_TABLE,)
            ).fetchone()[0]
            values = [
                tuple(None if v == "\\N" else uuid.UUID(v).hex if i == 0 else v for i, v in enumerate(row))
                for row in rows
            ]
            marks = ", ".join("?" for _ in COLUMNS)
            started = time.perf_counter()
            conn.executemany(f"INSERT INTO {COPY_TABLE} ({', '.join(COLUMNS)}) VALUES ({marks})", values)
            conn.commit()
            seconds = time.perf_counter() - started
            copied = len(values)
        how = "executemany INSERT, one transaction (SQLite has no COPY)"
    return {
        "method": how,
        "rows": copied,
        "indexes_on_copy_table": indexes,
        "seconds": round(seconds, 3),
        "rows_per_s": round(copied / seconds) if seconds else None,
    }


# --- the fleet's confirmations --------------------------------------------------------------------


async def manifests(port: int, tokens: dict[str, str], devices: list[str]) -> dict[str, list[dict]]:
    """Each device's items from its signed manifest (which marks them delivered)."""
    pool = Pool(port, 4)
    items: dict[str, list[dict]] = {}
    try:
        for device in devices:
            status, _, body = await pool.get(
                f"/v1/devices/{device}/manifest", {"Authorization": f"Bearer {tokens[device]}"}
            )
            if status != 200:
                raise RuntimeError(f"manifest of {device}: HTTP {status} {body[:300]!r}")
            items[device] = json.loads(json.loads(body)["manifest"])["items"]
    finally:
        pool.close()
    return items


def make_batches(
    items: dict[str, list[dict]], events: int, batch: int, rng: random.Random, now: datetime
) -> tuple[dict[str, list[bytes]], list[tuple[str, ...]], int]:
    """Each device's batch bodies, the same events as COPY text rows, and how many events in all."""
    devices = sorted(items)
    per_device = events // len(devices)
    bodies: dict[str, list[bytes]] = {}
    rows: list[tuple[str, ...]] = []
    received = now.strftime("%Y-%m-%d %H:%M:%S+00")
    for device in devices:
        audio = [i for i in items[device] if i.get("sha256")]
        if not audio:
            raise RuntimeError(f"device {device} has no audio item in its manifest")
        bodies[device] = []
        for start in range(0, per_device, batch):
            events_in = []
            for _ in range(min(batch, per_device - start)):
                item = rng.choice(audio)
                started = now - timedelta(seconds=rng.randint(60, 6 * 3600))
                heard = round(rng.uniform(0.5, 1.0) * (item.get("duration_s") or 60.0), 1)
                ended = started + timedelta(seconds=heard)
                event = {
                    "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "item_id": item["item_id"],
                    "status": "played",
                    "occurred_at": ended.isoformat(),
                    "duration_s": heard,
                    "sha256": item["sha256"],
                    "slot_starts_at": item["starts_at"],
                    "slot_ends_at": item["ends_at"],
                    "started_at": started.isoformat(),
                    "ended_at": ended.isoformat(),
                    "outcome": "completed",
                }
                events_in.append(event)
                rows.append(
                    (
                        event["event_id"],
                        device,
                        str(item["item_id"]),
                        "played",
                        event["occurred_at"],
                        received,
                        str(heard),
                        item["sha256"],
                        item["starts_at"],
                        item["ends_at"],
                        event["started_at"],
                        event["ended_at"],
                        "completed",
                    )
                )
            bodies[device].append(json.dumps({"events": events_in}).encode())
    return bodies, rows, per_device * len(devices)


async def post_all(port: int, tokens: dict[str, str], work: dict[str, list[bytes]]) -> dict:
    """Every device posts its bodies one after the other on its own connection, all devices at once."""
    latencies: list[float] = []
    answers: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    busy = 0

    async def device(device_id: str, bodies: list[bytes]) -> None:
        nonlocal busy
        conn = await Connection.open(port)
        path = f"/v1/devices/{device_id}/confirmations"
        headers = {"Authorization": f"Bearer {tokens[device_id]}", "Content-Type": "application/json"}
        try:
            for body in bodies:
                while True:
                    started = time.perf_counter()
                    try:
                        status, _, answer = await asyncio.wait_for(
                            conn.request("POST", path, headers, body), 60
                        )
                    except StaleConnection:
                        conn.close()
                        conn = await Connection.open(port)
                        continue  # nothing of an answer came: the same body again (idempotent ids)
                    if status == 503:
                        busy += 1
                        await asyncio.sleep(0.2)
                        continue
                    break
                latencies.append(time.perf_counter() - started)
                statuses[str(status)] += 1
                if status == 200:
                    result = json.loads(answer)
                    for key in ("accepted", "duplicates", "conflicts", "rejected"):
                        answers[key] += len(result[key])
                    if result["rejected"] and "rejected_example" not in answers:
                        answers["rejected_example"] = 0
                        print(
                            f"bench/ingest.py: rejected {list(result['rejected'].items())[:1]}",
                            file=sys.stderr,
                        )
                else:
                    print(f"bench/ingest.py: HTTP {status} {answer[:300]!r}", file=sys.stderr)
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(device(d, b) for d, b in work.items()))
    seconds = time.perf_counter() - started
    answers.pop("rejected_example", None)
    return {
        "batches": len(latencies),
        "seconds": round(seconds, 3),
        "http_status": dict(sorted(statuses.items())),
        "busy_503_retries": busy,
        "events": {k: answers[k] for k in ("accepted", "duplicates", "conflicts", "rejected")},
        "batch_p50_ms": percentile_ms(latencies, 0.5),
        "batch_p99_ms": percentile_ms(latencies, 0.99),
        "batch_max_ms": percentile_ms(latencies, 1.0),
    }


def run(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bantin-bench-ingest-"))
    data_dir = tmp / "data"
    data_dir.mkdir()
    url, schema = make_database(args.db, data_dir)
    try:
        tokens, setup = seed(url, data_dir, args.devices, args.devices)
        devices = sorted(tokens)
        env = dict(os.environ, BANTIN_DATA_DIR=str(data_dir), BANTIN_DATABASE_URL=url)
        server = Server(env, args.workers)
        try:
            server.wait_ready()
            items = asyncio.run(manifests(server.port, tokens, devices))
            rng = random.Random(args.seed)
            bodies, rows, events = make_batches(items, args.events, args.batch, rng, datetime.now(UTC))
            meter = CpuMeter(server, args.db)
            load_before = [round(x, 2) for x in os.getloadavg()]
            cpu_before = meter.snapshot()
            ingest = asyncio.run(post_all(server.port, tokens, bodies))
            cpu = CpuMeter.spent(cpu_before, meter.snapshot())
            load_after = [round(x, 2) for x in os.getloadavg()]
            every = [(d, b) for d, batches in bodies.items() for b in batches]
            again: dict[str, list[bytes]] = {}
            for device, body in rng.sample(every, max(1, round(len(every) * RESEND_SHARE))):
                again.setdefault(device, []).append(body)
            resend = asyncio.run(post_all(server.port, tokens, again))
            resent_events = sum(len(json.loads(b)["events"]) for bs in again.values() for b in bs)
        finally:
            log = server.stop()
        count, distinct = stored_rows(args.db, url, data_dir, schema)
        expected = {row[0] for row in rows}
        copy = copy_floor(args.db, data_dir, schema, rows)
    finally:
        if schema:
            drop_schema(schema)
        shutil.rmtree(tmp, ignore_errors=True)
    per_s = events / ingest["seconds"] if ingest["seconds"] else 0.0
    share = per_s / copy["rows_per_s"] if copy["rows_per_s"] else None
    return {
        "settings": {
            "db": args.db,
            "events": events,
            "devices": args.devices,
            "batch": args.batch,
            "workers": args.workers,
            "resend_share": RESEND_SHARE,
            "cores": os.cpu_count(),
            "gateway_threads": os.environ.get("BANTIN_GATEWAY_THREADS", "default"),
        },
        "setup": setup,
        "gateway": {
            **ingest,
            "events_per_s": round(per_s),
            # CPU of the gateway's processes, of the PostgreSQL backends they use and of the load
            # generator (this process), per batch.
            "cpu_ms_per_batch": {k: round(v * 1000 / max(1, ingest["batches"]), 2) for k, v in cpu.items()},
        },
        "copy": copy,
        "gateway_share_of_copy": round(share, 3) if share is not None else None,
        "resend": {
            **resend,
            "events_sent": resent_events,
            "only_duplicates": resend["events"]["duplicates"] == resent_events
            and resend["events"]["accepted"]
            == resend["events"]["conflicts"]
            == resend["events"]["rejected"]
            == 0,
        },
        "count": {
            "rows": count,
            "distinct_event_ids": len(distinct),
            "lost": len(expected - distinct),
            "doubled": count - len(distinct),
            "unexpected": len(distinct - expected),
        },
        "targets": {
            "events_per_s": TARGET_EVENTS_PER_S,
            "share_of_copy": TARGET_SHARE_OF_COPY,
            "met": per_s >= TARGET_EVENTS_PER_S and share is not None and share >= TARGET_SHARE_OF_COPY,
        },
        "load_average": {
            "before": load_before,
            "after": load_after,
            "end": [round(x, 2) for x in os.getloadavg()],
        },
        "gateway_log_tail": log[-600:] if ingest["http_status"].keys() - {"200"} else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--devices", type=int, default=8, help="devices posting at once (4 to 8)")
    parser.add_argument("--batch", type=int, default=100, help="events per request")
    parser.add_argument("--workers", type=int, choices=(1, 2), default=1, help="gateway worker processes")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    if not 1 <= args.devices <= 64:
        parser.error("--devices: 1 to 64")
    print(json.dumps(run(args), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
