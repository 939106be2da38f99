"""Emergency on air: from an emergency reviewer's approval to every device told and holding the new manifest.

    python bench/emergency.py                                 # SQLite, 2 workers, 1,000 and 10,000 devices
    python bench/emergency.py --fleets 1000 --channels mqtt   # a quick look
    python bench/emergency.py --db postgres --workers 2

What is timed, per fleet size and channel, from the approval (t0: the approval is recorded, in the
same transaction as the distribution, as the review flow does it after the reviewer's answer; the
Prefect run itself is not in the figure):

- ``approval_to_notified``: MQTT: the "poll now" notice reaches the device's unit topic subscriber;
  long-poll: the gateway answers the device's waiting ``GET .../manifest?wait=60`` (the notice and
  the manifest come together);
- ``approval_to_manifest``: the device holds its new signed manifest with the emergency in it
  (MQTT: after its own ``GET .../manifest`` following the notice).

Also ``approval_to_committed`` (the distribution committed, the manifests changed) and, for MQTT,
``published`` (every unit's notice acknowledged by the broker, QoS 1).

Simulated devices are asyncio clients in this one process, not threads: long-poll devices each hold
their own HTTP connection to the gateway; MQTT devices share a few broker connections, each
subscribed to many unit topics (one topic per village, ``--per-village`` devices each), and each
device then fetches its own manifest with its own token over a pool of keep-alive connections
(``--pool``), as a fleet of real devices would hit the gateway at once. The gateway is
``bantin gateway serve --workers N`` in its own processes; the broker is the one at ``--broker``
(Mosquitto). Prints one JSON document.
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
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from httpload import Connection, Pool, Server  # noqa: E402 (bench/ is on the path when run as a script)
from stored import save_rendered_version  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PROVINCE = "Quảng Trị"
TARGET_S = 10.0
WAIT_S = 60


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50, p99 and max in seconds."""
    if not values:
        return {"p50_s": None, "p99_s": None, "max_s": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 3)

    return {"p50_s": at(0.5), "p99_s": at(0.99), "max_s": round(ordered[-1], 3)}


# --- the deployment under test ----------------------------------------------------------------


def seed(url: str, devices: int, per_village: int) -> tuple[dict[str, str], dict[str, str], list[str], dict]:
    """A province, villages of ``per_village`` loudspeaker clusters; tokens, unit per device, communes used."""
    from sqlmodel import select

    import storage

    started = time.perf_counter()
    storage.upgrade_database(url)
    engine = storage.make_engine(url)
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province=PROVINCE)
        communes = sorted(
            session.exec(
                select(storage.AdminUnit.code).where(storage.AdminUnit.level == storage.AdminLevel.commune)
            ).all()
        )
    villages = (devices + per_village - 1) // per_village
    used = sorted({communes[v % len(communes)] for v in range(villages)})
    rows = [
        {"type": "village", "code": f"EV{v:05d}", "name": f"Thôn {v}", "parent": communes[v % len(communes)]}
        for v in range(villages)
    ]
    units = {f"em{d:06d}": f"EV{d // per_village:05d}" for d in range(devices)}
    rows += [{"type": "device", "id": d, "kind": "speaker_cluster", "unit": u} for d, u in units.items()]
    tokens: dict[str, str] = {}
    for start in range(0, len(rows), 5000):
        with storage.session_scope(engine) as session:
            tokens.update(storage.import_records(session=session, rows=rows[start : start + 5000]).tokens)
    engine.dispose()
    return tokens, units, used, {"seed_s": round(time.perf_counter() - started, 1)}


def produce_emergency(url: str, data_dir: Path, communes: list[str], title: str) -> int:
    """An emergency produced and waiting for review (its audio and e-board text stored); its version id."""
    import storage

    settings = storage.StorageSettings(data_dir=data_dir, database_url=url)
    engine = storage.make_engine(url)
    try:
        with storage.session_scope(engine) as session:
            version = save_rendered_version(
                session,
                storage.open_object_store(settings),
                title=title,
                body=f"{title}. Sơ tán ngay đến trường tiểu học.",
                eboard_text=title,
                priority=storage.Priority.emergency,
                communes=communes,
                duration_s=30.0,
            )
            return version.id
    finally:
        engine.dispose()


def approve_and_distribute(url: str, version_id: int) -> tuple[float, list[str], dict]:
    """The emergency reviewer's approval and the distribution, one transaction; commit time and changed units."""
    import storage

    engine = storage.make_engine(url)
    try:
        with storage.session_scope(engine) as session:
            storage.record_review(
                session=session,
                version_id=version_id,
                reviewer="bench emergency reviewer",
                decision=storage.ReviewDecision.approve,
            )
            result = storage.distribute_version(session=session, version_id=version_id, now=datetime.now(UTC))
        return time.time(), result.changed_units, {"items_created": result.items_created}
    finally:
        engine.dispose()


def has_emergency(body: bytes, title: str) -> bool:
    """True when the signed manifest in ``body`` holds the emergency ``title``."""
    return bool(body) and any(i["title"] == title for i in json.loads(json.loads(body)["manifest"])["items"])


async def fetch_etags(pool: Pool, tokens: dict[str, str]) -> dict[str, str]:
    """Every device's current manifest ETag (the warm-up poll a device makes before it waits)."""
    etags: dict[str, str] = {}

    async def one(device: str, token: str) -> None:
        status, headers, _ = await pool.get(
            f"/v1/devices/{device}/manifest", {"Authorization": f"Bearer {token}"}
        )
        if status == 200:
            etags[device] = headers["etag"]

    await asyncio.gather(*(one(d, t) for d, t in tokens.items()))
    return etags


# --- the two channels ---------------------------------------------------------------------------


async def run_longpoll(port: int, url: str, version_id: int, title: str, tokens: dict[str, str]) -> dict:
    """Every device parks a ``?wait=60`` request on its own connection; the approval answers them."""
    pool = Pool(port, 200, retry_busy=True, timeout=120)
    etags = await fetch_etags(pool, tokens)
    pool.close()
    answered: dict[str, float] = {}
    wrong: list[str] = []
    errors: list[str] = []
    connect_gate = asyncio.Semaphore(256)  # connects in waves, within the listen backlog
    parked = 0

    async def device(device_id: str, token: str) -> None:
        nonlocal parked
        async with connect_gate:
            conn = await Connection.open(port)
        headers = {"Authorization": f"Bearer {token}", "If-None-Match": etags.get(device_id, "*")}
        path = f"/v1/devices/{device_id}/manifest?wait={WAIT_S}"
        try:
            parked += 1
            while True:
                status, _, body = await conn.get(path, headers)
                if status == 200:
                    answered[device_id] = time.time()
                    if not has_emergency(body, title):
                        wrong.append(device_id)
                    return
                if status != 304:
                    errors.append(f"{device_id}: HTTP {status}")
                    return
        except (OSError, asyncio.IncompleteReadError) as exc:
            errors.append(f"{device_id}: {type(exc).__name__}")
        finally:
            conn.close()

    tasks = [asyncio.create_task(device(d, t)) for d, t in tokens.items()]
    while parked < len(tokens) and not all(t.done() for t in tasks):
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.0)  # the last requests reach the gateway and park
    t0 = time.time()
    committed, _units, info = await asyncio.to_thread(approve_and_distribute, url, version_id)
    await asyncio.wait(tasks, timeout=WAIT_S + 30)
    latencies = [at - t0 for at in answered.values()]
    return {
        "devices": len(tokens),
        "approval_to_committed_s": round(committed - t0, 3),
        "approval_to_notified": percentiles(latencies),
        "approval_to_manifest": percentiles(latencies),
        "reached": len(answered),
        "reached_within_target": sum(v <= TARGET_S for v in latencies),
        "without_the_emergency": len(wrong),
        "errors": len(errors),
        "error_sample": errors[:5],
        **info,
    }


async def run_mqtt(
    port: int, url: str, version_id: int, title: str, tokens: dict[str, str], units: dict[str, str], args
) -> dict:
    """Devices listen on their unit topics (a few shared broker connections); each fetches its manifest on the notice."""
    import paho.mqtt.client as mqtt

    from storage.notify import parse_mqtt_url, publish_poll_now

    broker_url = f"{args.broker.rstrip('/')}/bench-{uuid.uuid4().hex[:10]}"
    broker = parse_mqtt_url(broker_url)
    warm = Pool(port, 200, retry_busy=True, timeout=120)
    etags = await fetch_etags(warm, tokens)
    warm.close()  # idle keep-alive connections would be closed by the gateway before the notice
    pool = Pool(port, args.pool, retry_busy=True, timeout=120)
    by_unit: dict[str, list[str]] = {}
    for device_id, unit in units.items():
        by_unit.setdefault(unit, []).append(device_id)
    loop = asyncio.get_running_loop()
    notified: dict[str, float] = {}
    fetched: dict[str, float] = {}
    wrong: list[str] = []
    errors: list[str] = []
    fetches: list[asyncio.Task] = []

    async def fetch(device_id: str) -> None:
        headers = {"Authorization": f"Bearer {tokens[device_id]}", "If-None-Match": etags.get(device_id, "")}
        try:
            status, _, body = await pool.get(f"/v1/devices/{device_id}/manifest", headers)
        except (OSError, asyncio.IncompleteReadError) as exc:
            errors.append(f"{device_id}: {type(exc).__name__}")
            return
        if status != 200:
            errors.append(f"{device_id}: HTTP {status}")
            return
        fetched[device_id] = time.time()
        if not has_emergency(body, title):
            wrong.append(device_id)

    def on_notice(unit: str, at: float) -> None:
        for device_id in by_unit.get(unit, ()):
            if device_id not in notified:
                notified[device_id] = at
                fetches.append(loop.create_task(fetch(device_id)))

    topics = sorted(by_unit)
    shares = [topics[i :: args.mqtt_connections] for i in range(args.mqtt_connections)]
    clients = []
    ready = threading.Semaphore(0)
    for share in shares:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        prefix = broker.unit_topic("")[: -len("/poll")]  # bantin/<prefix>/units/

        def on_message(_c, _u, message, prefix=prefix) -> None:  # type: ignore[no-untyped-def]
            unit = message.topic[len(prefix) :].removesuffix("/poll")
            loop.call_soon_threadsafe(on_notice, unit, time.time())

        def on_connect(c, _u, _f, _rc, _p, share=share) -> None:  # type: ignore[no-untyped-def]
            for start in range(0, len(share), 100):
                c.subscribe([(broker.unit_topic(u), 1) for u in share[start : start + 100]])

        pending = {"n": (len(share) + 99) // 100}

        def on_subscribe(_c, _u, _mid, _codes, _p, pending=pending) -> None:  # type: ignore[no-untyped-def]
            pending["n"] -= 1
            if pending["n"] == 0:
                ready.release()

        client.on_message, client.on_connect, client.on_subscribe = on_message, on_connect, on_subscribe
        client.connect(broker.host, broker.port, keepalive=60)
        client.loop_start()
        clients.append(client)
    for _ in shares:
        if not await asyncio.to_thread(ready.acquire, True, 60):
            raise RuntimeError("the MQTT subscriptions were not acknowledged")
    t0 = time.time()
    committed, changed, info = await asyncio.to_thread(approve_and_distribute, url, version_id)
    push = await asyncio.to_thread(publish_poll_now, broker_url, changed, reason="distributed")
    published = time.time()
    deadline = time.monotonic() + 120
    while len(fetched) + len(errors) < len(tokens) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    if fetches:
        await asyncio.wait(fetches, timeout=30)
    for client in clients:
        client.disconnect()
        client.loop_stop()
    pool.close()
    return {
        "devices": len(tokens),
        "units": len(by_unit),
        "mqtt_connections": len(clients),
        "approval_to_committed_s": round(committed - t0, 3),
        "approval_to_published_s": round(published - t0, 3),
        "busy_retries": pool.busy_retries,
        "broker_warning": push.warning(),
        "approval_to_notified": percentiles([v - t0 for v in notified.values()]),
        "approval_to_manifest": percentiles([v - t0 for v in fetched.values()]),
        "reached": len(fetched),
        "reached_within_target": sum(v - t0 <= TARGET_S for v in fetched.values()),
        "without_the_emergency": len(wrong),
        "errors": len(errors),
        "error_sample": errors[:5],
        **info,
    }


# --- one fleet ----------------------------------------------------------------------------------


def database(kind: str, data_dir: Path) -> tuple[str, callable]:  # type: ignore[valid-type]
    if kind == "sqlite":
        return f"sqlite:///{data_dir / 'bantin.db'}", lambda: None
    import sqlalchemy as sa

    name = f"bench_emergency_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", drop


def run_fleet(devices: int, args) -> dict:  # type: ignore[no-untyped-def]
    data_dir = Path(tempfile.mkdtemp(prefix="bench-emergency-"))
    url, drop = database(args.db, data_dir)
    server = None
    try:
        tokens, units, communes, timings = seed(url, devices, args.per_village)
        from gateway.signing import ManifestSigner, default_key_path

        ManifestSigner(default_key_path(data_dir)).key_id  # noqa: B018 (made before the workers race to make it)
        env = {
            **os.environ,
            "BANTIN_DATA_DIR": str(data_dir),
            "BANTIN_DATABASE_URL": url,
            "BANTIN_SECRET_KEY": "bench-emergency-secret",
        }
        os.environ.update(
            {k: env[k] for k in ("BANTIN_DATA_DIR", "BANTIN_DATABASE_URL", "BANTIN_SECRET_KEY")}
        )
        server = Server(env, args.workers)
        server.wait_ready()
        result: dict = {"devices": devices, "villages": len(set(units.values())), **timings}
        for channel in args.channels:
            title = f"KHẨN CẤP {channel} {uuid.uuid4().hex[:6]}"
            version_id = produce_emergency(url, data_dir, communes, title)
            if channel == "longpoll":
                result[channel] = asyncio.run(run_longpoll(server.port, url, version_id, title, tokens))
            else:
                result[channel] = asyncio.run(
                    run_mqtt(server.port, url, version_id, title, tokens, units, args)
                )
        server, log = None, server.stop()
        noise = (
            "Started server process",
            "Waiting for application",
            "Application startup",
            "Uvicorn running",
        )
        result["gateway_log_tail"] = [line for line in log.splitlines() if not any(n in line for n in noise)][
            -12:
        ]
        return result
    finally:
        if server is not None:
            server.stop()
        drop()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fleets", default="1000,10000", help="Fleet sizes, comma-separated.")
    parser.add_argument("--channels", default="mqtt,longpoll", help="mqtt, longpoll or both.")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="Gateway worker processes.")
    parser.add_argument("--per-village", type=int, default=10, help="Devices per village (per MQTT topic).")
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883", help="MQTT broker for the mqtt channel.")
    parser.add_argument(
        "--mqtt-connections", type=int, default=4, help="Broker connections the devices share."
    )
    parser.add_argument(
        "--pool", type=int, default=256, help="Keep-alive connections MQTT devices fetch over."
    )
    args = parser.parse_args()
    args.channels = [c.strip() for c in args.channels.split(",") if c.strip()]
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    fleets = [int(n) for n in args.fleets.split(",")]
    out = {
        "bench": "emergency",
        "target": f"every online device within {TARGET_S:g} s at 10,000 devices",
        "db": args.db,
        "workers": args.workers,
        "cores": os.cpu_count(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "fleets": [run_fleet(n, args) for n in fleets],
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
