"""Device gateway under open-loop load: manifest polls of a whole fleet, beside a constant route.

    python bench/gateway_load.py                                  # SQLite, 1 and 2 workers, 10k..100k devices
    python bench/gateway_load.py --db postgres --workers 2 --fleets 10000,50000,100000
    python bench/gateway_load.py --fleets 10000 --seconds 10      # a quick look

A fleet of N devices polling every ``--interval`` seconds sends N / interval requests a second.
The generator is open-loop: request k is due at t0 + k / rate whatever happened to the ones
before it, and its latency counts from that due time, so a stalled server shows as queueing
delay rather than as a slower sender (no coordinated omission). Each device sends the
If-None-Match of the manifest it fetched during warm-up, as a real device does, so a healthy
gateway answers 304. The floor is the constant ``/v1/keys/manifest`` route on the same server
at the same rate. After the steps, ``/healthz`` is timed to show whether the server recovered.

Prints JSON: per database and worker count, per fleet size: rate, status counts (incl. timeouts
and connection errors), p50/p99/max in ms for the manifest and the floor, the cores the load
generator and the gateway each used meanwhile (PostgreSQL's backends are the rest of the machine),
and the largest fleet whose manifest p99 stayed under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from httpload import Pool, Server  # noqa: E402 (bench/ is on the path when run as a script)
from stored import save_rendered_version  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PROVINCE = "Quảng Trị"
REQUEST_TIMEOUT = 10.0
TARGET_P99_MS = 50.0


# --- the deployment under test ----------------------------------------------------------------


def seed(url: str, data_dir: Path, devices: int, per_village: int) -> tuple[dict[str, str], dict]:
    """A province, villages of ``per_village`` devices, one approved bulletin on every device."""
    from sqlmodel import select

    import storage

    timings = {}
    started = time.perf_counter()
    storage.upgrade_database(url)
    settings = storage.StorageSettings(data_dir=data_dir, database_url=url)
    engine = storage.make_engine(url)
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province=PROVINCE)
        communes = sorted(
            session.exec(
                select(storage.AdminUnit.code).where(storage.AdminUnit.level == storage.AdminLevel.commune)
            ).all()
        )
    villages = (devices + per_village - 1) // per_village
    rows = []
    for v in range(villages):
        rows.append(
            {
                "type": "village",
                "code": f"BV{v:05d}",
                "name": f"Thôn {v}",
                "parent": communes[v % len(communes)],
            }
        )
    for d in range(devices):
        rows.append(
            {
                "type": "device",
                "id": f"bd{d:06d}",
                "kind": "speaker_cluster",
                "unit": f"BV{d // per_village:05d}",
            }
        )
    tokens: dict[str, str] = {}
    chunk = 5000
    for start in range(0, len(rows), chunk):
        with storage.session_scope(engine) as session:
            imported = storage.import_records(session=session, rows=rows[start : start + chunk])
            tokens.update(imported.tokens)
    timings["import_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    store = storage.open_object_store(settings)
    with storage.session_scope(engine) as session:
        version = save_rendered_version(
            session,
            store,
            title="Lịch tiêm chủng tháng 12",
            body="Trạm y tế xã tổ chức tiêm chủng mở rộng vào sáng thứ Bảy.",
            eboard_text="Tiêm chủng",
            priority=storage.Priority.normal,
            communes=communes,
            duration_s=60.0,
        )
        storage.record_review(
            session=session, version_id=version.id, reviewer="bench", decision=storage.ReviewDecision.approve
        )
        storage.distribute_version(session=session, version_id=version.id, now=datetime.now(UTC))
    timings["distribute_s"] = round(time.perf_counter() - started, 1)
    engine.dispose()
    return tokens, timings


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index] * 1000, 1)


async def open_loop(pool: Pool, requests: list[tuple[str, dict[str, str]]], rate: float) -> dict:
    """Send ``requests`` at ``rate`` per second, each timed from its due time."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()

    async def one(path: str, headers: dict[str, str], due: float) -> None:
        try:
            status, _, _ = await pool.get(path, headers)
            statuses[str(status)] += 1
            latencies.append(loop.time() - due)
        except TimeoutError:
            statuses["timeout"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            statuses["connection_error"] += 1

    t0 = loop.time() + 0.1
    tasks = []
    for k, (path, headers) in enumerate(requests):
        due = t0 + k / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(path, headers, due)))
    await asyncio.gather(*tasks)
    return {
        "sent": len(requests),
        "status": dict(sorted(statuses.items())),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": percentile(latencies, 1.0),
    }


async def warm_up(pool: Pool, devices: list[str], tokens: dict[str, str]) -> dict[str, str]:
    """Each polled device's ETag, fetched as fast as the server allows (not measured)."""
    etags: dict[str, str] = {}

    async def fetch(device: str) -> None:
        headers = {"Authorization": f"Bearer {tokens[device]}", "X-Device-Id": device}
        for _ in range(3):
            try:
                status, answer, _ = await pool.get(f"/v1/devices/{device}/manifest", headers)
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                continue
            if status == 200 and "etag" in answer:
                etags[device] = answer["etag"]
                return

    # Gently (a few requests at a time): a burst of hundreds is itself an overload test.
    batch = 8
    for start in range(0, len(devices), batch):
        await asyncio.gather(*(fetch(d) for d in devices[start : start + batch]))
    return etags


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds used so far by this process (the load generator) and by the process tree of ``pid``."""
    import psutil

    server = 0.0
    try:
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                server += times.user + times.system
    except psutil.Error:
        pass
    return time.process_time(), server


async def measured(pool: Pool, requests: list[tuple[str, dict[str, str]]], rate: float, pid: int) -> dict:
    """open_loop, with the share of a core the load generator and the gateway each used meanwhile."""
    wall, (generator, server) = time.perf_counter(), cpu_seconds(pid)
    result = await open_loop(pool, requests, rate)
    seconds = time.perf_counter() - wall
    generator_after, server_after = cpu_seconds(pid)
    result["cores_used"] = {
        "load_generator": round((generator_after - generator) / seconds, 2),
        "gateway": round((server_after - server) / seconds, 2),
    }
    return result


async def step(port: int, fleet: int, tokens: dict[str, str], args: argparse.Namespace, pid: int) -> dict:
    rate = fleet / args.interval
    count = max(1, int(rate * args.seconds))
    polled = [f"bd{k % fleet:06d}" for k in range(count)]
    pool = Pool(port, args.connections)
    try:
        etags = await warm_up(pool, sorted(set(polled)), tokens)
        manifest_requests = []
        for device in polled:
            headers = {"Authorization": f"Bearer {tokens[device]}", "X-Device-Id": device}
            if device in etags:
                headers["If-None-Match"] = etags[device]
            manifest_requests.append((f"/v1/devices/{device}/manifest", headers))
        manifest = await measured(pool, manifest_requests, rate, pid)
        floor = await measured(pool, [("/v1/keys/manifest", {})] * count, rate, pid)
    finally:
        pool.close()
    return {
        "fleet": fleet,
        "polls_per_s": round(rate, 1),
        "warmed_etags": len(etags),
        "manifest": manifest,
        "constant_route": floor,
        # GETs sent again because the server had closed an idle keep-alive connection (not errors).
        "stale_keepalive_resends": pool.stale_resends,
    }


async def recovery(port: int) -> dict:
    """After the load: how long /healthz takes, a few times."""
    pool = Pool(port, 1)
    times, failures = [], 0
    for _ in range(5):
        started = time.perf_counter()
        try:
            status, _, _ = await pool.get("/healthz", {})
            if status == 200:
                times.append(time.perf_counter() - started)
            else:
                failures += 1
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            failures += 1
        await asyncio.sleep(0.5)
    pool.close()
    return {"healthz_ok": len(times), "healthz_failed": failures, "healthz_max_ms": percentile(times, 1.0)}


def run_config(db: str, workers: int, fleets: list[int], args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bantin-bench-gw-"))
    schema = None
    try:
        data_dir = tmp / "data"
        data_dir.mkdir()
        if db == "postgres":
            import psycopg

            schema = f"bench_gw_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
        else:
            url = f"sqlite:///{data_dir / 'bantin.db'}"
        tokens, setup = seed(url, data_dir, max(fleets), args.per_village)
        env = dict(os.environ, BANTIN_DATA_DIR=str(data_dir), BANTIN_DATABASE_URL=url)
        server = Server(env, workers)
        try:
            server.wait_ready()
            steps = []
            for fleet in fleets:
                result = asyncio.run(step(server.port, fleet, tokens, args, server.process.pid))
                steps.append(result)
                print(
                    f"bench/gateway.py: {db} x{workers} {fleet} devices: {result['manifest']}",
                    file=sys.stderr,
                )
            after = asyncio.run(recovery(server.port))
        finally:
            server.stop()
        good = [
            s["fleet"]
            for s in steps
            if s["manifest"]["p99_ms"] is not None
            and s["manifest"]["p99_ms"] < TARGET_P99_MS
            and set(s["manifest"]["status"]) <= {"200", "304"}
        ]
        return {
            "setup": setup,
            "steps": steps,
            "after_load": after,
            "largest_fleet_p99_under_50ms": max(good, default=None),
        }
    finally:
        if schema:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts to try")
    parser.add_argument("--fleets", default="10000,20000,50000,100000", help="fleet sizes, in steps")
    parser.add_argument("--interval", type=float, default=60.0, help="each device polls every N seconds")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each measured step")
    parser.add_argument("--connections", type=int, default=256, help="client connections at most")
    parser.add_argument("--per-village", type=int, default=50, help="devices per village")
    args = parser.parse_args(argv)
    fleets = sorted(int(f) for f in args.fleets.split(","))
    report = {
        "interval_s": args.interval,
        "step_s": args.seconds,
        "cores": os.cpu_count(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "runs": {},
    }
    for db in args.db.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            report["runs"][f"{db}-{workers}w"] = run_config(db, workers, fleets, args)
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
