"""The fleet simulator against a real gateway on a real socket."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import select

import storage
from bantin.simulator import (
    FaultConfig,
    FleetReport,
    NotEnoughSimulatedDevices,
    fetch_public_key,
    run_fleet,
    simulated_devices,
)
from gateway.app import create_app
from gateway.server import serve_in_thread
from gateway.signing import canonical_json, public_key_pem
from tests.gateway.conftest import BOTH_DATABASES

HARSH = FaultConfig(
    drop_rate=0.2,
    lost_response_rate=0.2,
    duplicate_batch_rate=0.5,
    offline_rate=0.0,
    playback_failure_rate=0.3,
    max_retries=12,
    backoff_s=0.001,
)


def fleet(world, count: int = 4) -> list[tuple[str, str]]:
    with world.session() as session:
        return simulated_devices(session=session, count=count)


def confirmations(world) -> list[tuple[str, int, str]]:
    with world.session() as session:
        rows = session.exec(select(storage.PlaybackConfirmation)).all()
        return sorted((r.device_id, r.playlist_item_id, r.status.value) for r in rows)


def publish_some(world) -> None:
    world.publish("Lịch tiêm phòng dại", targets=["V-A", "V-B"], duration_s=2.0)
    world.publish("Cảnh báo lũ quét", targets=["V-A"], priority="emergency", duration_s=3.0)
    world.publish("Họp thôn", targets=["V-B"], duration_s=1.5)


def test_fleet_plays_everything_and_confirms_over_a_real_socket(world, gateway_url):
    publish_some(world)
    devices = fleet(world)

    report = run_fleet(
        gateway_url, devices, public_key_pem=fetch_public_key(gateway_url), faults=FaultConfig.none()
    )

    # loa-a1, loa-a2: 2 items each; bang-a1: 2 e-board items; loa-b1: 2 items
    assert report.errors == []
    assert (report.devices, report.heartbeats, report.items_played, report.items_failed) == (4, 4, 8, 0)
    assert report.confirmations_accepted == 8 and report.signature_failures == 0
    assert report.seconds_played == pytest.approx(2 * (2.0 + 3.0) + (2.0 + 1.5))
    assert report.audio_downloads == 6  # each speaker downloads each of its two audio files once
    # the speakers' third polls find nothing new; the board's second and third too (it keeps showing its items)
    assert report.manifests_not_modified == 5
    saved = confirmations(world)
    assert len(saved) == 8
    assert {status for device, _, status in saved if device == "bang-a1"} == {"displayed"}
    assert world.count(storage.Heartbeat) == 4


@BOTH_DATABASES
def test_faults_are_retried_and_nothing_is_counted_twice(world, gateway_url):
    publish_some(world)
    devices = fleet(world)

    report = run_fleet(
        gateway_url, devices, public_key_pem=fetch_public_key(gateway_url), seed=7, faults=HARSH
    )

    assert report.retries > 0 and report.duplicate_posts > 0
    assert report.confirmations_duplicates >= report.duplicate_posts
    assert report.items_played + report.items_failed == 8 and report.items_failed > 0
    assert not [e for e in report.errors if "counted twice" in e]
    saved = confirmations(world)
    assert len(saved) == 8 and len({(d, i) for d, i, _ in saved}) == 8
    assert sum(1 for *_, status in saved if status == "failed") == report.items_failed


@BOTH_DATABASES
def test_rerun_adds_no_confirmations(world, gateway_url):
    publish_some(world)
    key = fetch_public_key(gateway_url)
    run_fleet(gateway_url, fleet(world), public_key_pem=key, seed=3, faults=HARSH)
    before = confirmations(world)

    again = run_fleet(gateway_url, fleet(world), public_key_pem=key, seed=3, faults=HARSH)

    assert again.confirmations_accepted == 0
    # the failed items came back and were re-reported under their ids, at a new time: the gateway
    # keeps the first report and answers "conflicts" (same id, other content), stores nothing
    assert again.confirmations_conflicts > 0
    assert confirmations(world) == before


def test_devices_refuse_a_manifest_not_signed_by_the_server_key(world, gateway_url):
    publish_some(world)
    impostor = public_key_pem(Ed25519PrivateKey.generate().public_key())

    report = run_fleet(gateway_url, fleet(world), public_key_pem=impostor, faults=FaultConfig.none())

    assert report.signature_failures == 4
    assert report.items_played == 0 and report.audio_downloads == 0
    assert confirmations(world) == []


def test_offline_devices_report_nothing(world, gateway_url):
    publish_some(world)
    everyone_offline = FaultConfig(offline_rate=1.0)

    report = run_fleet(
        gateway_url, fleet(world), public_key_pem=fetch_public_key(gateway_url), faults=everyone_offline
    )

    assert report.devices_offline == 4 and report.manifests_fetched == 0
    assert world.count(storage.Heartbeat) == 0


def test_picking_devices_never_rotates_a_real_devices_token(world, gateway_url):
    real_token = world.tokens["loa-that"]
    picked = fleet(world)

    assert "loa-that" not in dict(picked)
    response = httpx.get(
        f"{gateway_url}/v1/devices/loa-that/manifest", headers={"Authorization": f"Bearer {real_token}"}
    )
    assert response.status_code == 200
    stale = httpx.get(
        f"{gateway_url}/v1/devices/loa-a1/manifest",
        headers={"Authorization": f"Bearer {world.tokens['loa-a1']}"},
    )
    assert stale.status_code == 403


def test_asking_for_more_simulated_devices_than_exist_says_how_many(world):
    with pytest.raises(NotEnoughSimulatedDevices) as caught:
        fleet(world, count=5)
    assert caught.value.available == 4
    assert "bantin devices import" in caught.value.message_en and "4" in caught.value.message_vi


def raw_get(base_url: str, path: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """Send a request line exactly as given (HTTP clients would normalise "../" away)."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    lines = [b"GET " + path + b" HTTP/1.1", b"Host: " + host.encode(), b"Connection: close"]
    lines += [f"{name}: {value}".encode() for name, value in headers.items()]
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(b"\r\n".join([*lines, b"", b""]))
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_path_traversal_sent_raw_is_refused(world, gateway_url):
    (world.settings.data_dir / "objects" / "audio").mkdir(parents=True, exist_ok=True)
    headers = {"Authorization": f"Bearer {world.tokens['loa-a1']}", "X-Device-Id": "loa-a1"}
    for path in (b"/v1/audio/../../bantin.db", b"/v1/audio/audio/../../keys/manifest-ed25519.pem"):
        status, body = raw_get(gateway_url, path, headers)
        assert (status, body["error"]) == (400, "invalid_audio_key")


@BOTH_DATABASES
def test_identical_batches_posted_at_once_are_counted_once(world, gateway_url):
    world.publish("Thông báo", targets=["V-A"])
    [item] = world.items("loa-a1")
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "item_id": item,
            "status": "played",
            "occurred_at": "2026-01-05T06:10:00Z",
        }
        for _ in range(20)
    ]
    headers = {"Authorization": f"Bearer {world.tokens['loa-a1']}"}
    start = threading.Barrier(6)

    def post(_: int) -> httpx.Response:
        start.wait()
        return httpx.post(
            f"{gateway_url}/v1/devices/loa-a1/confirmations",
            json={"events": events},
            headers=headers,
            timeout=60,
        )

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(post, range(6)))

    assert [r.status_code for r in responses] == [200] * 6
    accepted = [e for r in responses for e in r.json()["accepted"]]
    assert sorted(accepted) == sorted(e["event_id"] for e in events)
    assert sum(len(r.json()["duplicates"]) for r in responses) == 5 * 20
    assert world.count(storage.PlaybackConfirmation) == 20


class TamperingProxy:
    """A man in the middle that rewrites every manifest in flight (a new title on each item)."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path.startswith("/v1/devices/") and path.endswith("/manifest")):
            await self.app(scope, receive, send)
            return
        started: dict = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                started.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if started["status"] == 200:
                signed = json.loads(body)
                manifest = json.loads(signed["manifest"])
                for item in manifest["items"]:
                    item["title"] = "Tin giả: sơ tán ngay"
                signed["manifest"] = canonical_json(manifest).decode()
                body = json.dumps(signed).encode()
            headers = [(k, v) for k, v in started["headers"] if k != b"content-length"]
            await send({**started, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


def test_manifest_tampered_in_flight_is_refused_and_nothing_plays(world):
    publish_some(world)
    app = create_app(world.settings)
    with serve_in_thread(TamperingProxy(app)) as url:
        key = fetch_public_key(url)
        report = run_fleet(url, fleet(world), public_key_pem=key, faults=FaultConfig.none())

    assert report.signature_failures == 4 and report.manifests_fetched == 4
    assert report.items_played == 0 and report.confirmations_accepted == 0
    assert confirmations(world) == []


def test_report_reads_as_one_line_in_an_f_string():
    report = FleetReport(devices=3, devices_offline=1, items_played=4, confirmations_accepted=4, retries=2)
    assert f"{report}".startswith("3 devices (1 offline), 4 played, 0 failed")
    assert "4 accepted" in str(report) and "2 retries" in str(report)
