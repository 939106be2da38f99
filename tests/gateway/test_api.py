"""Audio, confirmations, heartbeats, authentication and errors of the device API."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

import storage
from gateway.schemas import MAX_CONFIRMATIONS_PER_BATCH
from tests.gateway.conftest import BOTH_DATABASES, auth, mp3_tone


def event(item_id: int, *, status: str = "played", at: datetime | None = None) -> dict:
    at = at or datetime.now(UTC)
    return {
        "event_id": str(uuid.uuid4()),
        "item_id": item_id,
        "status": status,
        "occurred_at": at.isoformat(),
    }


def assert_bilingual_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    body = response.json()
    assert body["error"] == code
    assert body["message_vi"] and body["message_en"] and body["message_vi"] != body["message_en"]


def test_audio_downloads_with_sha256_etag(world, client):
    audio = mp3_tone(523.0, 1.5)
    world.publish("Thông báo", targets=["V-A"], audio=audio)
    sha = hashlib.sha256(audio).hexdigest()

    response = client.get(f"/v1/audio/{sha}.mp3", headers=auth(world, "loa-a1"))

    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.content == audio
    assert hashlib.sha256(response.content).hexdigest() == sha
    assert response.headers["ETag"] == f'"{sha}"'
    cached = client.get(
        f"/v1/audio/{sha}.mp3", headers={**auth(world, "loa-a1"), "If-None-Match": f'"{sha}"'}
    )
    assert cached.status_code == 304
    assert client.get(f"/v1/audio/audio/{sha}.mp3", headers=auth(world, "loa-a1")).content == audio


def test_unknown_audio_is_404_and_traversal_is_400(world, client):
    headers = auth(world, "loa-a1")
    assert_bilingual_error(client.get(f"/v1/audio/{'0' * 64}.mp3", headers=headers), 404, "unknown_audio")
    # httpx collapses a literal "../", so the traversal attempts are percent-encoded as attackers do
    for name in ("..%2F..%2Fbantin.db", "audio%2F..%2F..%2Fbantin.db", "reports/x.json", "%2E%2E%2Fkeys"):
        assert_bilingual_error(client.get(f"/v1/audio/{name}", headers=headers), 400, "invalid_audio_key")


def test_audio_needs_a_device_token(world, client):
    audio = mp3_tone()
    world.publish("Thông báo", targets=["V-A"], audio=audio)
    url = f"/v1/audio/{hashlib.sha256(audio).hexdigest()}.mp3"
    assert_bilingual_error(client.get(url), 401, "missing_token")
    assert_bilingual_error(
        client.get(url, headers=auth(world, "loa-a1", as_device="loa-b1")), 403, "device_auth"
    )


@BOTH_DATABASES
def test_confirmations_accepted_then_retry_reports_duplicates(world, client):
    world.publish("Thông báo", targets=["V-A"])
    [item] = world.items("loa-a1")
    batch = {"events": [event(item), event(item, status="failed")]}
    url = "/v1/devices/loa-a1/confirmations"

    first = client.post(url, json=batch, headers=auth(world, "loa-a1")).json()
    retry = client.post(url, json=batch, headers=auth(world, "loa-a1")).json()

    ids = [e["event_id"] for e in batch["events"]]
    assert first == {"accepted": ids, "duplicates": [], "conflicts": [], "rejected": {}}
    assert retry == {"accepted": [], "duplicates": ids, "conflicts": [], "rejected": {}}
    assert world.count(storage.PlaybackConfirmation) == 2


@BOTH_DATABASES
def test_confirmation_for_another_devices_item_or_from_the_future_is_rejected(world, client):
    world.publish("Thông báo", targets=["V-A", "V-B"])
    [own] = world.items("loa-a1")
    [foreign] = world.items("loa-b1")
    stolen = event(foreign)
    future = event(own, at=datetime.now(UTC) + timedelta(hours=3))
    late = event(own, at=datetime.now(UTC) - timedelta(days=9))

    result = client.post(
        "/v1/devices/loa-a1/confirmations",
        json={"events": [stolen, future, late]},
        headers=auth(world, "loa-a1"),
    ).json()

    assert result["accepted"] == [late["event_id"]]
    assert set(result["rejected"]) == {stolen["event_id"], future["event_id"]}
    assert "future" in result["rejected"][future["event_id"]]
    assert world.count(storage.PlaybackConfirmation) == 1


@BOTH_DATABASES
def test_device_lying_about_its_id_is_refused_and_nothing_is_written(world, client):
    world.publish("Thông báo", targets=["V-A", "V-B"])
    [victim_item] = world.items("loa-a1")
    lying = auth(world, "loa-a1", as_device="loa-b1")

    posted = client.post(
        "/v1/devices/loa-a1/confirmations", json={"events": [event(victim_item)]}, headers=lying
    )
    beat = client.post("/v1/devices/loa-a1/heartbeats", json={"status": "ok"}, headers=lying)
    manifest = client.get("/v1/devices/loa-a1/manifest", headers=lying)

    for response in (posted, beat, manifest):
        assert_bilingual_error(response, 403, "device_auth")
    assert world.count(storage.PlaybackConfirmation) == 0
    assert world.count(storage.Heartbeat) == 0
    with world.session() as session:
        assert session.get(storage.PlaylistItem, victim_item).delivered_at is None


def test_unknown_device_and_missing_or_malformed_token(world, client):
    unknown = client.get("/v1/devices/khong-co/manifest", headers={"Authorization": "Bearer abc"})
    assert_bilingual_error(unknown, 403, "device_auth")
    missing = client.get("/v1/devices/loa-a1/manifest")
    assert_bilingual_error(missing, 401, "missing_token")
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    basic = client.get("/v1/devices/loa-a1/manifest", headers={"Authorization": "Basic abc"})
    assert_bilingual_error(basic, 401, "missing_token")


def test_malformed_batch_is_422_with_the_field_named(world, client):
    world.publish("Thông báo", targets=["V-A"])
    [item] = world.items("loa-a1")
    bad = {
        "events": [
            {**event(item), "status": "exploded"},
            {**event(item), "event_id": "not-a-uuid"},
            {**event(item), "item_id": 10**30},
        ]
    }

    response = client.post("/v1/devices/loa-a1/confirmations", json=bad, headers=auth(world, "loa-a1"))

    assert_bilingual_error(response, 422, "invalid_request")
    assert "events.0.status" in response.json()["message_en"]
    assert any(d.startswith("events.1.event_id") for d in response.json()["details"])
    assert any(d.startswith("events.2.item_id") for d in response.json()["details"])
    not_json = client.post(
        "/v1/devices/loa-a1/confirmations",
        content=b"{events: ",
        headers={**auth(world, "loa-a1"), "Content-Type": "application/json"},
    )
    assert_bilingual_error(not_json, 422, "invalid_request")
    assert world.count(storage.PlaybackConfirmation) == 0


def test_batch_over_the_limit_is_413(world, client):
    world.publish("Thông báo", targets=["V-A"])
    [item] = world.items("loa-a1")
    url = "/v1/devices/loa-a1/confirmations"

    too_many = {"events": [event(item) for _ in range(MAX_CONFIRMATIONS_PER_BATCH + 1)]}
    response = client.post(url, json=too_many, headers=auth(world, "loa-a1"))
    assert_bilingual_error(response, 413, "batch_too_large")

    huge = json.dumps({"events": [event(item)], "padding": "x" * 2_000_000}).encode()
    response = client.post(
        url, content=huge, headers={**auth(world, "loa-a1"), "Content-Type": "application/json"}
    )
    assert_bilingual_error(response, 413, "batch_too_large")
    assert world.count(storage.PlaybackConfirmation) == 0


@BOTH_DATABASES
def test_heartbeat_is_stored_and_marks_the_device_seen(world, client):
    beat = {
        "status": "degraded",
        "signal_dbm": -97,
        "battery_pct": 41,
        "fm_fallback": True,
        "firmware": "2.3.1",
    }

    response = client.post("/v1/devices/loa-a1/heartbeats", json=beat, headers=auth(world, "loa-a1"))

    assert response.status_code == 201
    with world.session() as session:
        [stored] = session.exec(select(storage.Heartbeat)).all()
        device = session.get(storage.Device, "loa-a1")
    assert (stored.device_id, stored.status, stored.signal_dbm, stored.battery_pct) == (
        "loa-a1",
        "degraded",
        -97,
        41,
    )
    assert stored.fm_fallback and stored.firmware == "2.3.1"
    assert device.last_seen_at is not None


def test_heartbeat_with_impossible_battery_is_422(world, client):
    response = client.post(
        "/v1/devices/loa-a1/heartbeats", json={"battery_pct": 140}, headers=auth(world, "loa-a1")
    )
    assert_bilingual_error(response, 422, "invalid_request")
    assert world.count(storage.Heartbeat) == 0


def test_healthz_reports_database(client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_unknown_path_answers_in_both_languages(client):
    assert_bilingual_error(client.get("/v2/nothing"), 404, "not_found")


@pytest.mark.s3
@pytest.mark.parametrize("world", ["s3"], indirect=True)
def test_audio_is_served_from_an_s3_object_store(world, client):
    audio = mp3_tone(660.0, 1.0)
    world.publish("Thông báo", targets=["V-A"], audio=audio)
    sha = hashlib.sha256(audio).hexdigest()

    response = client.get(f"/v1/audio/{sha}.mp3", headers=auth(world, "loa-a1"))

    assert response.status_code == 200 and response.content == audio
    assert_bilingual_error(
        client.get(f"/v1/audio/{'1' * 64}.mp3", headers=auth(world, "loa-a1")), 404, "unknown_audio"
    )


def test_interrupted_audio_download_resumes_with_a_range(world, client):
    audio = mp3_tone(392.0, 2.0)
    world.publish("Thông báo", targets=["V-A"], audio=audio)
    url = f"/v1/audio/{hashlib.sha256(audio).hexdigest()}.mp3"
    headers = auth(world, "loa-a1")
    cut = len(audio) // 3

    head = client.get(url, headers={**headers, "Range": f"bytes=0-{cut - 1}"})
    rest = client.get(url, headers={**headers, "Range": f"bytes={cut}-"})

    assert (head.status_code, rest.status_code) == (206, 206)
    assert head.content + rest.content == audio
    assert rest.headers["Content-Range"] == f"bytes {cut}-{len(audio) - 1}/{len(audio)}"
    assert client.get(url, headers={**headers, "Range": "bytes=-10"}).content == audio[-10:]
    past = client.get(url, headers={**headers, "Range": f"bytes={len(audio)}-"})
    assert_bilingual_error(past, 416, "range_not_satisfiable")
    assert client.get(url, headers={**headers, "Range": "bytes=0-1,5-9"}).content == audio


def test_board_session_sets_a_cookie_only_for_that_boards_pages(world, client):
    response = client.post("/v1/devices/bang-a1/board/session", headers=auth(world, "bang-a1"))

    assert response.status_code == 204
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"bantin_board={world.tokens['bang-a1']};")
    for attribute in ("HttpOnly", "Path=/v1/devices/bang-a1/board", "SameSite=strict"):
        assert attribute in set_cookie
    assert "Secure" not in set_cookie  # plain HTTP here; behind HTTPS the cookie is Secure


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [({}, 401, "missing_token"), ({"Authorization": "Bearer not-the-token"}, 403, "device_auth")],
    ids=["no-token", "wrong-token"],
)
def test_board_session_refuses_without_the_boards_token(world, client, headers, status, code):
    response = client.post("/v1/devices/bang-a1/board/session", headers=headers)

    assert_bilingual_error(response, status, code)
    assert "set-cookie" not in response.headers


def test_board_cookie_opens_only_its_own_board(world, client):
    world.publish("Thông báo họp", targets=["V-A"], priority="emergency", eboard_text="Họp lúc 19h")
    cookie = {"bantin_board": world.tokens["bang-a1"]}

    own = client.get(
        "/v1/devices/bang-a1/board", headers={"Cookie": f"bantin_board={cookie['bantin_board']}"}
    )
    other = client.get(
        "/v1/devices/loa-a1/board", headers={"Cookie": f"bantin_board={cookie['bantin_board']}"}
    )
    manifest = client.get(
        "/v1/devices/bang-a1/manifest", headers={"Cookie": f"bantin_board={cookie['bantin_board']}"}
    )

    assert own.status_code == 200 and "Thông báo họp" in own.text
    assert_bilingual_error(other, 403, "device_auth")  # a device cannot speak for another id
    assert_bilingual_error(manifest, 401, "missing_token")  # the cookie opens the page, not the device API


def test_board_login_page_holds_no_secret_and_is_not_cached(world, client):
    response = client.get("/v1/devices/bang-a1/board/login")

    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert world.tokens["bang-a1"] not in response.text
    assert '"/v1/devices/bang-a1/board/session"' in response.text
