"""The e-board's page, its JSON view, its packaged font and its service worker (no browser: see test_eboard_browser)."""

from __future__ import annotations

import fnmatch
import time
import tomllib
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

import gateway
import storage
from bantin.simulator import FaultConfig, fetch_public_key, run_fleet, simulated_devices
from gateway.app import create_app
from gateway.board import FONT_FILES, FONTS_PATH
from gateway.server import serve_in_thread
from tests.gateway.conftest import BOTH_DATABASES, auth

REPO = Path(__file__).resolve().parents[2]


def shown(page_html: str) -> str:
    """The page's markup before its data and script: what a board shows before its script runs."""
    return page_html.split('<script type="application/json"')[0]


def displayed(item_id: int) -> dict:
    """A board's confirmation that it showed an item."""
    return {
        "event_id": str(uuid.uuid4()),
        "item_id": item_id,
        "status": "displayed",
        "occurred_at": datetime.now(UTC).isoformat(),
    }


@BOTH_DATABASES
def test_an_item_stays_on_the_board_for_its_whole_window_after_it_was_displayed(world, client):
    world.publish(
        "Sơ tán khẩn cấp", targets=["V-A"], priority="emergency", eboard_text="Di chuyển lên đồi ngay"
    )
    [item] = world.items("bang-a1")
    [speaker_item] = world.items("loa-a1")
    for device, item_id, status in (("bang-a1", item, "displayed"), ("loa-a1", speaker_item, "played")):
        event = displayed(item_id) | {"status": status}
        posted = client.post(
            f"/v1/devices/{device}/confirmations", json={"events": [event]}, headers=auth(world, device)
        )
        assert posted.json()["accepted"] == [event["event_id"]]

    page = client.get("/v1/devices/bang-a1/board", headers=auth(world, "bang-a1"))
    data = client.get("/v1/devices/bang-a1/board/data", headers=auth(world, "bang-a1")).json()

    assert "Di chuyển lên đồi ngay" in shown(page.text) and "Hiện chưa có bản tin." not in shown(page.text)
    assert [i["id"] for i in data["items"]] == [item]
    # The signed manifest of the board keeps it too; a loudspeaker's played audio is not played again.
    manifest = client.get("/v1/devices/bang-a1/manifest", headers=auth(world, "bang-a1")).json()
    assert f'"item_id":{item}' in manifest["manifest"]
    speaker = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1")).json()
    assert f'"item_id":{speaker_item}' not in speaker["manifest"]


def test_after_the_fleet_showed_and_confirmed_it_the_emergency_is_still_on_the_board(world, gateway_url):
    """The demo's case: the simulated board confirms "displayed"; the evacuation notice must stay up."""
    world.publish("Sơ tán khẩn cấp", targets=["V-A"], priority="emergency", eboard_text="Lên đồi ngay")
    with world.session() as session:
        devices = simulated_devices(session=session, count=4)
    key = fetch_public_key(gateway_url)

    report = run_fleet(gateway_url, devices, public_key_pem=key, faults=FaultConfig.none())

    assert report.errors == [] and report.confirmations_accepted == 3  # two loudspeakers and the board
    with world.session() as session:
        statuses = session.exec(
            select(storage.PlaybackConfirmation.status).where(
                storage.PlaybackConfirmation.device_id == "bang-a1"
            )
        ).all()
    assert [s.value for s in statuses] == ["displayed"]
    headers = {"Authorization": f"Bearer {dict(devices)['bang-a1']}"}  # the simulator issued new tokens
    page = httpx.get(f"{gateway_url}/v1/devices/bang-a1/board", headers=headers, timeout=10).text
    assert "<h1>Sơ tán khẩn cấp</h1>" in shown(page) and "Hiện chưa có bản tin." not in shown(page)


def test_board_data_names_the_unit_and_where_and_until_when_an_emergency_holds(world, client):
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    world.publish("Lịch tiêm phòng", targets=["V-A"], eboard_text="Tiêm lúc 8h", distribute_at=tomorrow)
    world.publish("Sơ tán khẩn cấp", targets=["V-A", "V-B"], priority="emergency", eboard_text="Lên đồi ngay")

    response = client.get("/v1/devices/bang-a1/board/data", headers=auth(world, "bang-a1"))

    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    data = response.json()
    assert data["unit"] == "Thôn Một" and data["device"] == "bang-a1"
    assert data["timezone"] == "Asia/Ho_Chi_Minh" and data["utc_offset_minutes"] == 420
    assert abs(datetime.fromisoformat(data["server_time"]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert 0 < data["wait_seconds"] <= 60 and 0 < data["poll_seconds"] <= 15  # long-poll, retry after failure
    assert len(data["tag"]) == 32
    first, second = data["items"]
    assert (first["priority"], first["title"], first["text"]) == (
        "emergency",
        "Sơ tán khẩn cấp",
        "Lên đồi ngay",
    )
    assert first["areas"] == ["Thôn Một", "Thôn Hai"]  # where, in the order of their codes
    assert datetime.fromisoformat(first["ends_at"]) > datetime.now(UTC)  # until when
    assert second["title"] == "Lịch tiêm phòng" and second["areas"] == []
    assert datetime.fromisoformat(second["starts_at"]) > datetime.now(UTC)  # the page shows it when it opens


def test_board_data_needs_the_boards_token_and_answers_json(world, client):
    missing = client.get("/v1/devices/bang-a1/board/data", headers={"Accept": "text/html"})
    foreign = client.get("/v1/devices/bang-a1/board/data", headers=auth(world, "bang-a1", as_device="loa-a1"))

    assert missing.status_code == 401 and missing.json()["error"] == "missing_token"
    assert foreign.status_code == 403 and foreign.json()["error"] == "device_auth"


def test_board_page_shows_the_open_emergency_as_a_banner_and_escapes_text(world, client):
    tomorrow = datetime.now(UTC) + timedelta(days=1)  # its window opens after tomorrow, whatever the hour now
    world.publish("Lịch họp tổ dân phố", targets=["V-A"], eboard_text="Họp lúc 19h", distribute_at=tomorrow)
    world.publish(
        "Sơ tán khẩn cấp",
        targets=["V-A"],
        priority="emergency",
        eboard_text="Di chuyển lên đồi <ngay>\n\nGọi 112",
    )

    page = client.get("/v1/devices/bang-a1/board", headers=auth(world, "bang-a1"))

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # Nothing from elsewhere runs or loads in it, nor does another site frame it.
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    banner = shown(page.text).split('<div id="alerts" role="alert">')[1].split("</div><main")[0]
    assert "KHẨN CẤP" in banner and "<h1>Sơ tán khẩn cấp</h1>" in banner
    assert "Di chuyển lên đồi &lt;ngay&gt;" in banner and "<p>Gọi 112</p>" in banner
    assert "Khu vực: Thôn Một" in banner and "Hiệu lực đến " in banner
    assert "Lịch họp tổ dân phố" not in shown(page.text)
    assert "<ngay>" not in page.text  # the JSON view in the page is escaped too
    assert client.get("/v1/devices/bang-a1/board").status_code == 401


def test_board_page_without_bulletins_says_so(world, client):
    page = client.get("/v1/devices/bang-a1/board", headers=auth(world, "bang-a1"))
    assert "Hiện chưa có bản tin." in shown(page.text) and 'http-equiv="refresh"' not in page.text


def test_board_font_is_served_from_the_package_with_its_licence(world, client):
    page = client.get("/v1/devices/bang-a1/board", headers=auth(world, "bang-a1")).text
    fonts = [name for name in FONT_FILES if name.endswith(".woff2")]
    assert {"be-vietnam-pro-vietnamese-400-normal.woff2", "be-vietnam-pro-latin-700-normal.woff2"} <= set(
        fonts
    )
    for name in fonts:
        assert f"{FONTS_PATH}/{name}" in page  # declared with @font-face
        response = client.get(f"{FONTS_PATH}/{name}")
        assert response.status_code == 200 and response.headers["content-type"] == "font/woff2"
        assert response.content.startswith(b"wOF2")
    licence = client.get(f"{FONTS_PATH}/be-vietnam-pro-OFL.txt")
    assert licence.status_code == 200 and "SIL OPEN FONT LICENSE Version 1.1" in licence.text


@pytest.mark.parametrize("name", ["nope.woff2", "be-vietnam-pro-SOURCE.txt.bak", "__init__.py"])
def test_an_unknown_font_name_is_404_in_both_languages(world, client, name):
    response = client.get(f"{FONTS_PATH}/{name}")
    assert response.status_code == 404
    body = response.json()
    assert (
        body["error"] == "unknown_font" and "phông chữ" in body["message_vi"] and "font" in body["message_en"]
    )


def test_a_path_outside_the_fonts_is_not_served(world, client):
    response = client.get(f"{FONTS_PATH}/..%2F..%2Fgateway%2Fapp.py")
    assert response.status_code == 404 and "import" not in response.text


def test_the_font_files_are_package_data(world):
    """Every file the board serves is in gateway/static and matched by pyproject's package-data."""
    static = Path(gateway.__file__).parent / "static"
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    for name in FONT_FILES:
        assert (static / name).is_file(), name
        assert any(fnmatch.fnmatch(f"static/{name}", p) for p in patterns), name


def test_the_service_worker_may_serve_the_board_page(world, client):
    response = client.get("/v1/devices/bang-a1/board/sw.js")

    assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
    # The board's page is /board, outside the worker's own folder /board/: the header allows it.
    assert response.headers["service-worker-allowed"] == "/v1/devices/bang-a1/board"
    assert "caches.match" in response.text


def board_data_url(base: str) -> str:
    return f"{base}/v1/devices/bang-a1/board/data"


def test_a_long_poll_is_answered_with_the_emergency_distributed_while_it_waits(world):
    app = create_app(world.settings)
    headers = {"Authorization": f"Bearer {world.tokens['bang-a1']}"}
    with serve_in_thread(app) as url, ThreadPoolExecutor(1) as pool:
        tag = httpx.get(board_data_url(url), headers=headers, timeout=10).json()["tag"]
        waiting = pool.submit(
            httpx.get, f"{board_data_url(url)}?wait=30&since={tag}", headers=headers, timeout=60
        )
        for _ in range(400):  # until the request waits (bounded: 20 s)
            watcher = getattr(app.state, "manifest_watcher", None)
            if watcher is not None and watcher.waiting:
                break
            time.sleep(0.05)
        assert watcher is not None and watcher.waiting == 1

        world.publish("Sơ tán khẩn cấp", targets=["V-A"], priority="emergency", eboard_text="Lên đồi ngay")

        answer = waiting.result(timeout=60)
    assert answer.status_code == 200
    view = answer.json()
    assert view["tag"] != tag and [i["title"] for i in view["items"]] == ["Sơ tán khẩn cấp"]


def test_a_long_poll_with_nothing_new_answers_the_same_view_at_the_end_of_its_wait(world, client):
    headers = auth(world, "bang-a1")
    first = client.get("/v1/devices/bang-a1/board/data", headers=headers).json()

    again = client.get(f"/v1/devices/bang-a1/board/data?wait=1&since={first['tag']}", headers=headers).json()

    assert again["tag"] == first["tag"] and again["items"] == first["items"] == []
    assert again["server_time"] > first["server_time"]  # the board sets its clock by it


@pytest.mark.parametrize("wait", [-1, 61])
def test_a_long_poll_out_of_range_is_refused_in_both_languages(world, client, wait):
    response = client.get(
        f"/v1/devices/bang-a1/board/data?wait={wait}&since=x", headers=auth(world, "bang-a1")
    )

    assert response.status_code == 422
    body = response.json()
    assert (
        body["error"] == "invalid_wait"
        and "0 to 60" in body["message_en"]
        and "0 đến 60" in body["message_vi"]
    )
