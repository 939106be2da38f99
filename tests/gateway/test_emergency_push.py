"""Emergencies reach devices at once: MQTT "poll now" notices, long-polled manifests, the end of an emergency."""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from datetime import timedelta
from itertools import pairwise

import httpx
import pytest
from sqlmodel import select
from typer.testing import CliRunner

import storage
from bantin.cli import app as cli_app
from bantin.simulator import FaultConfig, PollNowListener, SimulatedDevice, fetch_public_key
from storage.emergency import end_emergency, set_emergency_repeat
from storage.notify import announce_distribution, publish_poll_now
from tests.gateway.conftest import BOTH_DATABASES, auth

BROKER = "mqtt://127.0.0.1:1883"


def unique_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def village_items(world, bulletin_id: int) -> list[storage.PlaylistItem]:  # type: ignore[no-untyped-def]
    with world.session() as session:
        return list(
            session.exec(
                select(storage.PlaylistItem).where(storage.PlaylistItem.bulletin_id == bulletin_id)
            ).all()
        )


def manifest_titles(response: httpx.Response) -> list[str]:
    import json

    return [item["title"] for item in json.loads(response.json()["manifest"])["items"]]


def current_etag(base: str, world, device_id: str) -> str:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{base}/v1/devices/{device_id}/manifest", headers=auth(world, device_id))
    assert response.status_code == 200
    return response.headers["ETag"]


class LongPoll(threading.Thread):
    """A device waiting on its manifest in the background."""

    def __init__(self, url: str, headers: dict[str, str], wait: int) -> None:
        super().__init__(daemon=True)
        self.url, self.headers, self.wait = url, headers, wait
        self.response: httpx.Response | None = None

    def run(self) -> None:
        self.response = httpx.get(
            self.url, headers=self.headers, params={"wait": self.wait}, timeout=self.wait + 30
        )


@BOTH_DATABASES
def test_long_poll_answers_with_the_emergency_as_soon_as_it_is_distributed(world, gateway_url) -> None:
    world.publish("Lịch tiêm chủng", targets=["V-A"])
    etag = current_etag(gateway_url, world, "loa-a1")
    waiting = LongPoll(
        f"{gateway_url}/v1/devices/loa-a1/manifest", {**auth(world, "loa-a1"), "If-None-Match": etag}, wait=50
    )
    waiting.start()
    waiting.join(timeout=1.5)
    assert waiting.is_alive(), "an unchanged manifest must make the device wait"
    world.publish("Lũ quét: sơ tán ngay", targets=["V-A"], priority="emergency")
    waiting.join(timeout=45)
    assert waiting.response is not None
    # 200 (not the 304 a timeout gives) with the emergency first: the change itself answered the wait.
    assert waiting.response.status_code == 200
    assert manifest_titles(waiting.response)[0] == "Lũ quét: sơ tán ngay"
    assert waiting.response.headers["ETag"] != etag


def test_long_poll_gives_304_when_nothing_changes_before_the_wait_ends(world, client) -> None:
    world.publish("Lịch tiêm chủng", targets=["V-A"])
    first = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1"))
    # Another village's emergency changes nothing for this device.
    world.publish("Cháy rừng", targets=["V-B"], priority="emergency")
    again = client.get(
        "/v1/devices/loa-a1/manifest?wait=1",
        headers={**auth(world, "loa-a1"), "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]


@pytest.mark.parametrize("wait", ["-1", "61", "100000"])
def test_a_wait_out_of_bounds_is_refused_in_both_languages(world, client, wait: str) -> None:
    response = client.get(f"/v1/devices/loa-a1/manifest?wait={wait}", headers=auth(world, "loa-a1"))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_wait"
    assert "0 to 60 seconds" in body["message_en"] and "từ 0 đến 60 giây" in body["message_vi"]


def test_a_wait_that_is_not_a_number_is_refused(world, client) -> None:
    response = client.get("/v1/devices/loa-a1/manifest?wait=soon", headers=auth(world, "loa-a1"))
    assert response.status_code == 422
    assert "wait" in response.json()["message_en"]


def test_a_wrong_token_is_refused_before_any_wait(world, client) -> None:
    response = client.get(
        "/v1/devices/loa-a1/manifest?wait=30", headers=auth(world, "loa-a1", as_device="loa-b1")
    )
    assert response.status_code == 403


def test_200_waiting_devices_hold_no_connection_and_all_get_the_emergency(world, gateway_url) -> None:
    """A fleet waiting on its manifests leaves the pool free: a normal request answers while they wait."""
    etag = current_etag(gateway_url, world, "loa-a1")
    headers = {**auth(world, "loa-a1"), "If-None-Match": etag}
    url = f"{gateway_url}/v1/devices/loa-a1/manifest"

    async def fleet() -> tuple[list[httpx.Response], httpx.Response, int]:
        limits = httpx.Limits(max_connections=300, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=90) as http:
            waiters = [
                asyncio.create_task(http.get(url, headers=headers, params={"wait": 55})) for _ in range(200)
            ]
            await asyncio.sleep(2)
            # Every waiter is parked; a normal request and a plain manifest still answer at once.
            health = await http.get(f"{gateway_url}/healthz", timeout=20)
            plain = await http.get(
                f"{gateway_url}/v1/devices/loa-b1/manifest", headers=auth(world, "loa-b1"), timeout=20
            )
            assert plain.status_code == 200
            still_waiting = sum(not w.done() for w in waiters)
            await asyncio.to_thread(
                world.publish, "Bão số 5: vào nơi trú ẩn", targets=["V-A"], priority="emergency"
            )
            return list(await asyncio.gather(*waiters)), health, still_waiting

    responses, health, still_waiting = asyncio.run(fleet())
    assert health.status_code == 200
    assert still_waiting == 200
    assert {r.status_code for r in responses} == {200}
    assert {manifest_titles(r)[0] for r in responses} == {"Bão số 5: vào nơi trú ẩn"}


def approve_and_distribute(world, title: str, targets: list[str], priority: str = "emergency"):  # type: ignore[no-untyped-def]
    """An approved e-board-only bulletin distributed; returns the distribution."""
    with world.session() as session:
        draft = storage.BulletinDraft(
            title=title,
            body=f"{title}. Sơ tán ngay.",
            priority=storage.Priority(priority),
            source_unit=world.communes[0],
            target_units=targets,
        )
        _, version, _ = storage.save_draft(session=session, draft=draft)
        storage.save_rendition(
            session=session,
            version_id=version.id,
            language="vie",
            kind=storage.RenditionKind.eboard,
            text=title,
        )
        storage.record_review(
            session=session, version_id=version.id, reviewer="t", decision=storage.ReviewDecision.approve
        )
        return storage.distribute_version(session=session, version_id=version.id)


def test_the_mqtt_notice_arrives_on_each_changed_unit_topic(world) -> None:
    url = f"{BROKER}/{unique_prefix()}"
    a, b = PollNowListener(url, "V-A"), PollNowListener(url, "V-B")
    try:
        distribution = approve_and_distribute(world, "Lũ quét", ["V-A"])
        assert distribution.changed_units == ["V-A"]
        assert announce_distribution(url, distribution) == distribution.notice()
        assert a.wait(10)
        notice = a.notices[-1]
        assert notice["type"] == "poll_now" and notice["bulletin_id"] == distribution.bulletin_id
        assert notice["unit"] == "V-A" and notice["reason"] == "distributed"
        assert a.topic == f"bantin/{url.rsplit('/', 1)[1]}/units/V-A/poll"
        assert not b.wait(0.5), "another village's devices are not woken"
    finally:
        a.close()
        b.close()


def test_a_broker_that_is_down_changes_nothing_stored_and_the_editor_is_told(world, client) -> None:
    bulletin = world.publish("Lũ quét: sơ tán ngay", targets=["V-A"], priority="emergency")
    distribution = storage.Distribution(bulletin_id=bulletin, version_id=0, changed_units=["V-A"])
    notice = announce_distribution(f"mqtt://127.0.0.1:{closed_port()}/x", distribution)
    assert "Không gửi được thông báo MQTT" in notice and "The MQTT notice could not be sent" in notice
    # The distribution stands: the device polls and gets the emergency.
    response = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1"))
    assert manifest_titles(response) == ["Lũ quét: sơ tán ngay"]


def test_an_invalid_broker_url_is_a_warning_not_a_crash(world) -> None:
    push = publish_poll_now("http://127.0.0.1:1883", ["V-A"], reason="distributed")
    assert "mqtt://" in push.warning() and "BANTIN_MQTT_URL" in push.warning()
    assert publish_poll_now("", ["V-A"], reason="distributed").warning() == ""


def test_the_simulator_fetches_its_manifest_on_the_mqtt_notice(world, gateway_url) -> None:
    url = f"{BROKER}/{unique_prefix()}"
    # Tomorrow's program: distributed "now" inside a window, the item would play (and leave the
    # manifest) within seconds, before the emergency ends.
    world.publish("Lịch tiêm chủng", targets=["V-A"], distribute_at=storage.utcnow() + timedelta(days=1))
    device = SimulatedDevice(
        gateway_url,
        "loa-a2",
        world.tokens["loa-a2"],
        public_key_pem=fetch_public_key(gateway_url),
        seed=0,
        faults=FaultConfig.none(),
        now=None,
    )
    assert [i["title"] for i in device.fetch_manifest()["items"]] == ["Lịch tiêm chủng"]
    listener = PollNowListener(url, "V-A")
    try:
        world.publish("Lũ quét: sơ tán ngay", targets=["V-A"], priority="emergency")
        publish_poll_now(url, ["V-A"], reason="distributed")
        manifest = device.await_change(30, listener)
    finally:
        listener.close()
    assert manifest["items"][0]["title"] == "Lũ quét: sơ tán ngay"
    # Without MQTT it long-polls: the end of the emergency answers its wait.
    ending = threading.Timer(1.0, lambda: end_in(world, manifest["items"][0]["bulletin_id"]))
    ending.start()
    after = device.await_change(20)
    ending.join()
    assert [i["title"] for i in after["items"]] == ["Lịch tiêm chủng"]


def end_in(world, bulletin_id: int) -> None:  # type: ignore[no-untyped-def]
    with world.session() as session:
        end_emergency(session, bulletin_id, actor="test")


def test_ending_an_emergency_withdraws_it_everywhere_and_notifies(world, client, monkeypatch) -> None:
    url = f"{BROKER}/{unique_prefix()}"
    normal = world.publish("Lịch tiêm chủng", targets=["V-A"])
    emergency = world.publish("Lũ quét: sơ tán ngay", targets=[world.communes[0]], priority="emergency")
    before = client.get("/v1/devices/bang-a1/manifest", headers=auth(world, "bang-a1"))
    assert "Lũ quét: sơ tán ngay" in manifest_titles(before)
    board = client.get("/v1/devices/bang-a1/board/data", headers=auth(world, "bang-a1")).json()
    assert any(i["title"] == "Lũ quét: sơ tán ngay" for i in board["items"])
    listener = PollNowListener(url, "V-A")
    monkeypatch.setenv("BANTIN_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("BANTIN_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("BANTIN_MQTT_URL", url)
    try:
        result = CliRunner().invoke(cli_app, ["emergency", "end", str(emergency), "--by", "Chủ tịch xã"])
        assert result.exit_code == 0, result.output
        assert "Đã kết thúc khẩn cấp" in result.output and "Emergency ended" in result.output
        assert listener.wait(10) and listener.notices[-1]["reason"] == "emergency_ended"
    finally:
        listener.close()
    for device in ("loa-a1", "loa-a2", "bang-a1"):
        after = client.get(
            f"/v1/devices/{device}/manifest",
            headers={**auth(world, device), "If-None-Match": before.headers["ETag"]},
        )
        assert "Lũ quét: sơ tán ngay" not in manifest_titles(after)
    board = client.get("/v1/devices/bang-a1/board/data", headers=auth(world, "bang-a1")).json()
    assert [i["title"] for i in board["items"]] == ["Lịch tiêm chủng"]
    assert normal
    with world.session() as session:
        events = storage.bulletin_history(session, emergency)
        assert events[-1].action == "emergency_ended" and events[-1].actor == "Chủ tịch xã"
        assert storage.verify_audit(session).ok
    # Ending it again withdraws nothing and says so.
    again = CliRunner().invoke(cli_app, ["emergency", "end", str(emergency)])
    assert again.exit_code == 0 and "không có gì để rút" in again.output


def test_ending_with_the_broker_down_still_withdraws_and_warns(world, client, monkeypatch) -> None:
    emergency = world.publish("Lũ quét: sơ tán ngay", targets=["V-A"], priority="emergency")
    monkeypatch.setenv("BANTIN_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("BANTIN_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("BANTIN_MQTT_URL", f"mqtt://127.0.0.1:{closed_port()}")
    result = CliRunner().invoke(cli_app, ["emergency", "end", str(emergency)])
    assert result.exit_code == 0, result.output
    assert "Không gửi được thông báo MQTT" in result.output and "could not be sent" in result.output
    response = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1"))
    assert manifest_titles(response) == []


@pytest.mark.parametrize(
    ("args", "vi", "en"),
    [
        (["emergency", "end", "999"], "không có bản tin 999", "no bulletin 999"),
        (["emergency", "repeat", "often"], "hãy nhập số phút", "give a number of minutes"),
        (["emergency", "repeat", "5000"], "từ 1 đến 1440 phút", "1 to 1440 minutes"),
        (
            ["emergency", "repeat", "10", "--unit", "NOPE"],
            "không có đơn vị hành chính",
            "unknown administrative unit",
        ),
    ],
)
def test_bad_emergency_commands_are_refused_in_both_languages(world, monkeypatch, args, vi, en) -> None:
    monkeypatch.setenv("BANTIN_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("BANTIN_DATABASE_URL", world.settings.database_url)
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 2
    assert vi in result.output and en in result.output


def test_ending_a_normal_bulletin_is_refused(world, monkeypatch) -> None:
    normal = world.publish("Lịch tiêm chủng", targets=["V-A"])
    monkeypatch.setenv("BANTIN_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("BANTIN_DATABASE_URL", world.settings.database_url)
    result = CliRunner().invoke(cli_app, ["emergency", "end", str(normal)])
    assert result.exit_code == 2
    assert "không phải bản tin khẩn cấp" in result.output and "is not an emergency" in result.output
    assert len(village_items(world, normal)) == 3


def test_an_emergency_repeats_on_loudspeakers_until_it_ends(world, monkeypatch) -> None:
    monkeypatch.setenv("BANTIN_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("BANTIN_DATABASE_URL", world.settings.database_url)
    result = CliRunner().invoke(cli_app, ["emergency", "repeat", "20", "--unit", "V-A"])
    assert result.exit_code == 0, result.output
    assert "mỗi 20 phút" in result.output
    with world.session() as session:
        set_emergency_repeat(session, None, 60, actor="test")  # the default, for V-B
    now = storage.utcnow()
    bulletin = world.publish(
        "Lũ quét: sơ tán ngay", targets=["V-A", "V-B"], priority="emergency", distribute_at=now
    )
    items = village_items(world, bulletin)
    by_device: dict[str, list[storage.PlaylistItem]] = {}
    for item in items:
        by_device.setdefault(item.device_id, []).append(item)
    # Six hours without an end: every 20 min on V-A's loudspeakers, every hour on V-B's, once on the board.
    assert len(by_device["loa-a1"]) == 18 and len(by_device["loa-a2"]) == 18
    assert len(by_device["loa-b1"]) == 6
    assert len(by_device["bang-a1"]) == 1
    starts = sorted(i.starts_at for i in by_device["loa-a1"])
    assert all(b - a == timedelta(minutes=20) for a, b in pairwise(starts))
    # Ending it withdraws the repetitions still to come.
    with world.session() as session:
        ended = end_emergency(session, bulletin, actor="test")
    assert ended.items == 18 + 18 + 6 + 6 + 1  # loa-that (a real device in V-B) has it too
