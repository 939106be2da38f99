"""Confirmations through the real gateway while it is killed, or while the database drops its connections.

The device resends a batch until it gets an answer (same event ids); afterwards every event is
stored exactly once: 0 lost, 0 doubled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from sqlmodel import func, select

import storage
from gateway.app import create_app
from gateway.server import serve_in_thread
from tests.conftest import free_port
from tests.gateway.conftest import BOTH_DATABASES, template_db, world  # noqa: F401  (fixtures)

BATCHES, PER_BATCH = 40, 50


@dataclass
class Device:
    """A device posting its confirmations in batches, resending a batch until the gateway answers it."""

    base_url: str
    device_id: str
    token: str
    items: list[int]
    answered: dict[int, dict] = field(default_factory=dict)  # batch number -> the answer it finally got
    resends: int = 0
    refusals: list[str] = field(default_factory=list)  # 5xx answers (the device resent after each)
    batches_done: int = 0
    error: str | None = None

    def events(self, batch: int) -> list[dict]:
        now = storage.utcnow()
        return [
            {
                "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.device_id}/{batch}/{n}")),
                "item_id": self.items[n % len(self.items)],
                "status": "played",
                "occurred_at": (now - timedelta(seconds=n)).isoformat(),
            }
            for n in range(PER_BATCH)
        ]

    def run(self, *, give_up_after_s: float = 120) -> None:
        try:
            for batch in range(BATCHES):
                body = {"events": self.events(batch)}  # a resend carries the very same events
                deadline = time.monotonic() + give_up_after_s
                while True:
                    answer = self.post(body)
                    if answer is not None:
                        self.answered[batch] = answer
                        self.batches_done += 1
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"batch {batch} unanswered for {give_up_after_s:.0f} s")
                    self.resends += 1
                    time.sleep(0.1)
        except Exception as exc:  # reported to the test, which fails on it
            self.error = repr(exc)

    def post(self, body: dict) -> dict | None:
        try:
            response = httpx.post(
                f"{self.base_url}/v1/devices/{self.device_id}/confirmations",
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=30,
            )
        except httpx.TransportError:
            return None
        if response.status_code >= 500:
            self.refusals.append(f"{response.status_code} {response.text[:200]}")
            return None
        assert response.status_code == 200, response.text
        return response.json()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, daemon=True, name=f"device-{self.device_id}")
        thread.start()
        return thread


def event_ids_sent() -> int:
    return BATCHES * PER_BATCH


def stored(deployment) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(rows, distinct event ids) of the device's confirmations."""
    with deployment.session() as session:
        model = storage.PlaybackConfirmation
        rows = session.exec(select(func.count()).select_from(model)).one()
        distinct = session.exec(select(func.count(func.distinct(model.event_id)))).one()
    return rows, distinct


def assert_every_event_stored_once(deployment, device: Device) -> None:  # type: ignore[no-untyped-def]
    assert device.error is None, device.error
    assert sorted(device.answered) == list(range(BATCHES))
    for answer in device.answered.values():  # each event came back either accepted or as a duplicate
        assert len(answer["accepted"]) + len(answer["duplicates"]) == PER_BATCH, answer
        assert not answer["rejected"] and not answer.get("conflicts"), answer
    assert stored(deployment) == (event_ids_sent(), event_ids_sent())  # 0 lost, 0 doubled


def wait_for(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def start_gateway(deployment, port: int) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    """``uvicorn gateway.app:app`` in a process of its own, answering on ``port``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANTIN_")}
    env |= {
        "BANTIN_DATA_DIR": str(deployment.settings.data_dir),
        "BANTIN_DATABASE_URL": deployment.settings.database_url,
    }
    cmd = [sys.executable, "-m", "uvicorn", "gateway.app:app", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def healthy() -> bool:
        assert process.poll() is None, "the gateway exited"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(healthy, 90, "the gateway to answer /healthz")
    return process


@BOTH_DATABASES
def test_gateway_killed_mid_stream_loses_and_doubles_nothing(world) -> None:  # noqa: F811
    world.publish("Lịch tiêm phòng dại", targets=["V-A"])
    world.publish("Họp thôn", targets=["V-A"])
    port = free_port()
    gateway = start_gateway(world, port)
    device = Device(f"http://127.0.0.1:{port}", "loa-a1", world.tokens["loa-a1"], world.items("loa-a1"))
    try:
        thread = device.start()
        wait_for(lambda: device.batches_done >= 5 or device.error, 60, "five batches to be answered")
        gateway.send_signal(signal.SIGKILL)  # mid-stream: the device is posting batch after batch
        gateway.wait(timeout=30)
        killed_at = device.batches_done
        gateway = start_gateway(world, port)
        thread.join(timeout=180)
    finally:
        gateway.kill()
        gateway.wait(timeout=30)

    assert killed_at < BATCHES and device.resends > 0  # batches were sent to a dead gateway and sent again
    assert_every_event_stored_once(world, device)


@pytest.mark.postgres
@pytest.mark.parametrize("world", ["postgres"], indirect=True)
def test_database_connections_dropped_during_ingestion_lose_and_double_nothing(world) -> None:  # noqa: F811
    world.publish("Lịch tiêm phòng dại", targets=["V-A"])
    name = f"bantin-gw-{uuid.uuid4().hex[:8]}"  # the gateway's connections, told apart from everyone else's
    settings = world.settings.model_copy(
        update={"database_url": f"{world.settings.database_url}&application_name={name}"}
    )
    killed: list[tuple[int, str]] = []  # (backend pid, what it was doing when it was ended)
    stop = threading.Event()

    def drop_connections() -> None:
        """The database server ends the gateway's backends, whatever they are doing, every 20 ms (a batch
        takes a few ms: less often, none may be hit mid-request)."""
        engine = storage.make_engine(world.settings.database_url)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            while not stop.wait(0.02):
                ended = connection.exec_driver_sql(
                    "select pid, state from (select pid, coalesce(state, '') as state, "
                    "pg_terminate_backend(pid) as ended from pg_stat_activity "
                    "where application_name = %(name)s and pid <> pg_backend_pid() offset 0) as gone where ended",
                    {"name": name},
                ).all()
                killed.extend((pid, state) for pid, state in ended)
        engine.dispose()

    killer = threading.Thread(target=drop_connections, daemon=True)
    with serve_in_thread(create_app(settings)) as url:
        device = Device(url, "loa-a1", world.tokens["loa-a1"], world.items("loa-a1"))
        thread = device.start()
        killer.start()
        thread.join(timeout=300)
        stop.set()
        killer.join(timeout=30)

    states = sorted({state for _, state in killed})
    print(
        f"{len(killed)} backends ended ({states}); {len(device.refusals)} answers 503; {device.resends} resends"
    )
    # backends were ended mid-request (inside a transaction or a statement): the gateway either
    # redid the batch itself or answered 503 and the device resent; idle pooled ones were replaced
    # unnoticed (pool_pre_ping). Which of the two happens depends on timing; the counts may not.
    assert any(state in ("active", "idle in transaction") for _, state in killed), states
    assert all(refusal.startswith("503") for refusal in device.refusals), device.refusals[:3]
    assert_every_event_stored_once(world, device)
