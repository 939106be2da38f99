"""Devices report their free storage in heartbeats; officers see it in `bantin status` and on their page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import storage
from bantin.cli.reporting import render_status
from tests.gateway.conftest import BOTH_DATABASES, World, auth
from tests.gateway.test_officer import officer, sign_in  # noqa: F401 (the officer fixture)

URL = "/v1/devices/loa-a1/heartbeats"


@BOTH_DATABASES
def test_reported_free_storage_shows_in_status_and_on_the_officer_page(
    world: World,
    client: TestClient,
    officer: dict,  # noqa: F811
) -> None:
    for free in (9_000_000_000, 1_500_000_000):  # the latest report counts
        beat = {"battery_pct": 80, "free_storage_bytes": free}
        assert client.post(URL, json=beat, headers=auth(world, "loa-a1")).status_code == 201
    # A later heartbeat from older firmware without the field leaves the last known figure shown.
    assert client.post(URL, json={"status": "ok"}, headers=auth(world, "loa-a1")).status_code == 201

    with world.session() as session:
        status = storage.unit_status(session=session, unit_code=officer["unit"])
    text = render_status(status, "Asia/Ho_Chi_Minh")
    line = next(line for line in text.splitlines() if "loa-a1" in line)
    assert "còn trống / free storage 1,5 GB" in line
    never = next(line for line in text.splitlines() if "bang-a1" in line)
    assert "còn trống / free storage –" in never  # never reported: a dash, not 0

    assert sign_in(client, officer).status_code == 303
    page = client.get(f"/officer/units/{officer['unit']}").text
    assert "Bộ nhớ trống / Free storage" in page
    row = next(r for r in page.split("<tr>") if "loa-a1" in r)
    assert "<td>1,5 GB</td>" in row


@pytest.mark.parametrize(
    "bad",
    [-1, "1500000000", True, 1.5, 2**63],
    ids=["negative", "string", "bool", "float", "too-large"],
)
def test_a_bad_free_storage_is_422_and_nothing_is_stored(world: World, client: TestClient, bad) -> None:  # type: ignore[no-untyped-def]
    response = client.post(URL, json={"free_storage_bytes": bad}, headers=auth(world, "loa-a1"))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert "free_storage_bytes" in body["message_en"] and "free_storage_bytes" in body["message_vi"]
    assert "chưa lưu gì" in body["message_vi"] and "nothing was stored" in body["message_en"]
    assert world.count(storage.Heartbeat) == 0
    with world.session() as session:
        assert session.get(storage.Device, "loa-a1").last_seen_at is None


def test_zero_free_storage_is_a_real_figure(world: World, client: TestClient) -> None:
    assert client.post(URL, json={"free_storage_bytes": 0}, headers=auth(world, "loa-a1")).status_code == 201
    with world.session() as session:
        status = storage.unit_status(session=session, unit_code=world.communes[0])
    assert next(d for d in status.devices if d.device_id == "loa-a1").free_storage == "0 B"


def test_the_simulator_reports_free_storage(world: World, gateway_url: str) -> None:
    from sqlmodel import select

    from bantin.simulator import SD_CARD_BYTES, FaultConfig, fetch_public_key, run_fleet, simulated_devices

    with world.session() as session:
        devices = simulated_devices(session=session, count=2)
    report = run_fleet(
        gateway_url, devices, public_key_pem=fetch_public_key(gateway_url), faults=FaultConfig.none()
    )
    assert report.heartbeats == 2
    with world.session() as session:
        beats = session.exec(select(storage.Heartbeat)).all()
    assert len(beats) == 2 and all(0 < b.free_storage_bytes < SD_CARD_BYTES for b in beats)
