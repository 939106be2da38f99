"""A simulated device that keeps playing offline: its manifest, schedule and confirmation queue on disk.

Time is simulated: the gateway's clock (``storage.utcnow``) and the device's (skewed) clock both read
one ``SimClock`` the test moves, so "hours offline" take no real time. The gateway is a real uvicorn
server on a socket, stopped and started again on the same port; rows are counted in the database.
"""

from __future__ import annotations

import dataclasses
import json
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import select

import storage
from bantin.simulator import FaultConfig, SimulatedDevice, fetch_public_key
from gateway.app import create_app
from gateway.manifest import poll_interval_s
from gateway.server import serve_in_thread
from gateway.signing import key_id, public_key_pem, update_key_set
from tests.gateway.conftest import BOTH_DATABASES, auth

# The device's clock is 37 minutes behind the server's.
SKEW = timedelta(minutes=-37)
QUICK = dataclasses.replace(FaultConfig.none(), max_retries=1, backoff_s=0.001, timeout_s=10.0)


class SimClock:
    """The simulated present, read by the gateway and (skewed) by the device."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class Gateway:
    """A real gateway on a fixed port that can be stopped and started again."""

    def __init__(self, world, ttl: timedelta = timedelta(hours=24)) -> None:  # type: ignore[no-untyped-def]
        self.world, self.stack, self.port, self.ttl = world, ExitStack(), 0, ttl
        self.url = self.start()
        self.public_key = fetch_public_key(self.url)  # what the device was given when it was installed

    def start(self) -> str:
        self.stack = ExitStack()
        url = self.stack.enter_context(
            serve_in_thread(create_app(self.world.settings, manifest_ttl=self.ttl), port=self.port)
        )
        self.port = urlsplit(url).port or 0
        return url

    def stop(self) -> None:
        self.stack.close()


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> SimClock:
    """The gateway's clock, moved by the test (storage.utcnow is what the gateway reads)."""
    clock = SimClock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(storage, "utcnow", clock)
    monkeypatch.setattr("storage.playback.utcnow", clock)
    return clock


@pytest.fixture
def gateway(world):  # type: ignore[no-untyped-def]
    running = Gateway(world)
    yield running
    running.stop()


def device(  # type: ignore[no-untyped-def]
    world,
    gateway: Gateway,
    state: Path,
    sim: SimClock,
    faults: FaultConfig = QUICK,
    key_set: list | None = None,
) -> SimulatedDevice:  # type: ignore[no-untyped-def]
    return SimulatedDevice(
        gateway.url,
        "loa-a1",
        world.tokens["loa-a1"],
        public_key_pem=gateway.public_key,
        seed=0,
        faults=faults,
        now=None,
        state_dir=state,
        clock=lambda: sim.now + SKEW,
        key_set=key_set,
    )


def publish_three(world, sim: SimClock) -> None:  # type: ignore[no-untyped-def]
    for n, title in enumerate(["Lịch tiêm phòng dại", "Họp thôn", "Thu gom rác"]):
        world.publish(title, targets=["V-A"], duration_s=1.0 + n, distribute_at=sim.now)


def rows(world) -> list[storage.PlaybackConfirmation]:  # type: ignore[no-untyped-def]
    with world.session() as session:
        found = session.exec(
            select(storage.PlaybackConfirmation).order_by(storage.PlaybackConfirmation.id)
        ).all()
        session.expunge_all()
        return list(found)


def play_offline_until_done(dev: SimulatedDevice, sim: SimClock) -> int:
    """The device's timer wakes it at each slot (on its own clock); returns how many it played."""
    played = 0
    while (wake := dev.wake_at()) is not None:
        sim.now = wake - SKEW  # the moment the device's clock reads ``wake``
        played += dev.tick()
    return played


def test_hours_offline_then_a_late_batch_loses_nothing_and_doubles_nothing(world, sim, gateway, tmp_path):
    publish_three(world, sim)
    state = tmp_path / "loa-a1"
    first = device(world, gateway, state, sim, dataclasses.replace(QUICK, duplicate_batch_rate=1.0))
    assert first.tick() == 0  # the slots are hours ahead: nothing to play yet
    assert first.offset == -SKEW  # the manifest's server time corrects the device's clock
    slots = {i["item_id"]: i for i in first.manifest["items"]}
    assert len(slots) == 3 and first.manifest["poll_interval_s"] == 60
    first.close()

    gateway.stop()  # the network goes down; then the device restarts from its card
    again = device(world, gateway, state, sim, dataclasses.replace(QUICK, duplicate_batch_rate=1.0))
    assert again.manifest is not None and again.offset == -SKEW  # verified again, offset kept
    assert play_offline_until_done(again, sim) == 3
    assert rows(world) == []  # nothing reached the gateway...
    queued = again.state.queued()
    assert len(queued) == 3  # ...it is all on disk
    for event in queued:  # played at the slot by the corrected clock, not 37 minutes late
        slot_start = datetime.fromisoformat(slots[event["item_id"]]["starts_at"])
        assert datetime.fromisoformat(event["started_at"]) == slot_start

    sim.now += timedelta(hours=5)  # hours later the network is back
    gateway.start()
    again.tick()
    assert again.state.queued() == []
    stored = rows(world)
    assert len(stored) == 3 and len({r.event_id for r in stored}) == 3
    assert {r.playlist_item_id for r in stored} == set(slots)
    for row in stored:
        slot = slots[row.playlist_item_id]
        assert row.started_at == datetime.fromisoformat(slot["starts_at"])
        assert row.content_sha256 == slot["sha256"] and row.outcome == "completed"
        assert row.received_at - row.occurred_at >= timedelta(hours=5)  # a late batch, dated when it played
    # every batch was posted twice: the second time all came back as duplicates
    assert again.report.duplicate_posts >= 1 and again.report.confirmations_duplicates == 3
    assert not [e for e in again.report.errors if "accepted again" in e]

    # a device that lost the answer sends the same events again: still three rows
    replay = {"events": queued}
    answer = httpx.post(
        f"{gateway.url}/v1/devices/loa-a1/confirmations", json=replay, headers=auth(world, "loa-a1")
    ).json()
    assert sorted(answer["duplicates"]) == sorted(e["event_id"] for e in queued) and answer["accepted"] == []
    assert len(rows(world)) == 3
    again.close()


def test_slots_missed_while_off_and_a_manifest_expired_offline_are_reported_not_played(
    world, sim, gateway, tmp_path
):
    world.publish("Họp thôn", targets=["V-A"], duration_s=1.0, distribute_at=sim.now)
    dev = device(world, gateway, tmp_path / "loa-a1", sim)
    dev.tick()
    [item] = dev.manifest["items"]
    gateway.stop()
    sim.now = datetime.fromisoformat(item["ends_at"]) + timedelta(minutes=1)  # off during the whole slot
    assert dev.tick() == 0
    gateway.start()
    dev.tick()
    [row] = rows(world)
    assert (row.status, row.outcome) == (
        storage.PlaybackStatus.skipped,
        "missed: the device was off during the whole slot",
    )
    assert row.started_at is None and row.content_sha256 == item["sha256"]

    # A gateway whose manifests are valid 30 minutes; the next slot is hours later and the device is offline.
    short = Gateway(world, ttl=timedelta(minutes=30))
    sim.now += timedelta(hours=2)  # past this window: the next one is hours away
    world.publish("Thu gom rác", targets=["V-A"], duration_s=1.0, distribute_at=sim.now)
    dev.client.base_url = httpx.URL(short.url)
    dev.tick()
    [later] = [i for i in dev.manifest["items"] if i["item_id"] != item["item_id"]]
    short.stop()
    sim.now = datetime.fromisoformat(later["starts_at"])
    assert datetime.fromisoformat(dev.manifest["expires_at"]) < sim.now
    assert dev.tick() == 0
    [expired] = dev.state.queued()
    assert expired["status"] == "skipped" and expired["outcome"].startswith(
        "not played: the manifest expired"
    )
    dev.close()


@BOTH_DATABASES
def test_a_gateway_restart_mid_batch_loses_nothing_and_doubles_nothing(world, sim, gateway, tmp_path):
    for n in range(5):
        world.publish(f"Thông báo số {n + 1}", targets=["V-A"], duration_s=1.0, distribute_at=sim.now)
    dev = device(world, gateway, tmp_path / "loa-a1", sim)
    dev.batch_size = 2
    dev.tick()
    gateway.stop()
    assert play_offline_until_done(dev, sim) == 5
    gateway.start()
    posts: list[int] = []

    def restart_after_first_batch(response: httpx.Response) -> None:
        """The first batch is committed, then the gateway goes down before the device reads the answer."""
        if response.request.method == "POST" and response.request.url.path.endswith("/confirmations"):
            posts.append(response.status_code)
            if len(posts) == 1:
                response.read()
                gateway.stop()
                raise httpx.ReadTimeout("gateway restarted before answering", request=response.request)

    dev.client.event_hooks["response"].append(restart_after_first_batch)
    assert dev.forward() == 5  # no answer: all five stay queued...
    assert len(rows(world)) == 2  # ...though the gateway stored the first two
    gateway.start()
    assert dev.forward() == 0
    stored = rows(world)
    assert len(stored) == 5 and len({r.playlist_item_id for r in stored}) == 5
    assert dev.report.confirmations_duplicates == 2 and dev.report.confirmations_accepted == 3
    dev.close()


def test_a_tampered_manifest_is_not_played_on_the_wire_or_on_the_card(world, sim, gateway, tmp_path):
    world.publish("Lịch tiêm phòng dại", targets=["V-A"], duration_s=1.0, distribute_at=sim.now)
    state = tmp_path / "loa-a1"
    dev = device(world, gateway, state, sim)
    dev.tick()
    kept = dev.manifest
    assert kept is not None and len(kept["items"]) == 1

    # On the wire: someone changes the slot of the manifest on its way; the device keeps the one it trusts.
    world.publish("Họp thôn", targets=["V-A"], duration_s=1.0, distribute_at=sim.now)

    def tamper(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/manifest") and response.status_code == 200:
            body = json.loads(response.read())
            body["manifest"] = body["manifest"].replace('"priority":"normal"', '"priority":"emergency"')
            response._content = json.dumps(body).encode()

    dev.client.event_hooks["response"].append(tamper)
    assert dev.fetch_manifest() is None
    assert dev.report.signature_failures == 1 and dev.manifest == kept
    dev.close()

    # On the card: the saved manifest is changed; at the next start it is verified, refused and dropped.
    saved = json.loads((state / "manifest.json").read_text())
    saved["signed"]["manifest"] = saved["signed"]["manifest"].replace('"duration_s":1.0', '"duration_s":9.0')
    (state / "manifest.json").write_text(json.dumps(saved))
    restarted = device(world, gateway, state, sim)
    assert restarted.manifest is None and restarted.report.signature_failures == 1
    assert not (state / "manifest.json").exists()
    assert restarted.wake_at() is None  # nothing is played from a manifest it cannot trust
    restarted.close()


def test_a_device_that_trusts_a_key_set_checks_every_manifest_against_it(world, sim, gateway, tmp_path):
    published = httpx.get(f"{gateway.url}/v1/keys/manifest").json()
    trusted = update_key_set(published["keys"], published)  # what the device was provisioned with
    world.publish("Lịch tiêm phòng dại", targets=["V-A"], duration_s=1.0, distribute_at=sim.now)
    state = tmp_path / "loa-a1"
    dev = device(world, gateway, state, sim, key_set=trusted)
    dev.tick()
    assert len(dev.manifest["items"]) == 1
    dev.close()
    restarted = device(world, gateway, state, sim, key_set=trusted)
    assert restarted.manifest == dev.manifest  # the saved one, verified against the key set
    restarted.close()

    # The card moved to a device of another deployment: its key set does not hold the key that signed.
    other = Ed25519PrivateKey.generate().public_key()
    foreign = [
        {"key_id": key_id(other), "public_key_pem": public_key_pem(other).decode(), "expires_at": None}
    ]
    stranger = device(world, gateway, state, sim, key_set=foreign)
    assert stranger.manifest is None and stranger.report.manifests_refused == 1
    assert "not in this device's key set" in stranger.report.errors[0]
    stranger.close()


def test_the_manifest_states_its_poll_interval_and_the_server_time(world, client, monkeypatch):
    world.publish("Họp thôn", targets=["V-A"], duration_s=1.0)
    monkeypatch.setenv("BANTIN_POLL_INTERVAL_SECONDS", "15")
    before = datetime.now(UTC)
    signed = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1")).json()
    manifest = json.loads(signed["manifest"])  # inside the signed text
    assert manifest["poll_interval_s"] == 15
    assert (
        before - timedelta(seconds=1) <= datetime.fromisoformat(manifest["server_time"]) <= datetime.now(UTC)
    )


@pytest.mark.parametrize("value", ["abc", "0", "-5", "999999999"])
def test_a_bad_poll_interval_setting_says_what_to_set(monkeypatch, value):
    monkeypatch.setenv("BANTIN_POLL_INTERVAL_SECONDS", value)
    with pytest.raises(ValueError) as refused:
        poll_interval_s()
    assert "BANTIN_POLL_INTERVAL_SECONDS" in str(refused.value) and "phải là số giây" in str(refused.value)


def test_a_device_without_a_state_directory_cannot_tick(world):
    dev = SimulatedDevice(
        "http://127.0.0.1:9", "loa-a1", "t", public_key_pem=b"", seed=0, faults=QUICK, now=None
    )
    with pytest.raises(ValueError, match="state directory"):
        dev.tick()
    dev.close()
