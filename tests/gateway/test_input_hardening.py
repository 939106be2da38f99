"""Bad input from devices gets a 4xx with a clear message, never a 500, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import select

import storage
from tests.gateway.conftest import BOTH_DATABASES, auth, mp3_tone
from tests.gateway.test_api import assert_bilingual_error, event


@BOTH_DATABASES
def test_nul_bytes_and_long_ids_are_refused_not_stored(world, client):
    headers = auth(world, "loa-a1")
    for device_id in ("loa%00a1", "x" * 65):
        response = client.post(f"/v1/devices/{device_id}/heartbeats", json={}, headers=headers)
        assert_bilingual_error(response, 422, "invalid_request")
        assert client.get(f"/v1/devices/{device_id}/manifest", headers=headers).status_code == 422
    for field in ("status", "firmware"):
        response = client.post("/v1/devices/loa-a1/heartbeats", json={field: "ok\x00boom"}, headers=headers)
        assert_bilingual_error(response, 422, "invalid_request")
        assert "NUL" in response.json()["message_en"]
    audio = mp3_tone()
    world.publish("Thông báo", targets=["V-A"], audio=audio)
    sha = hashlib.sha256(audio).hexdigest()
    bad_header = {**headers, "X-Device-Id": "loa-a1\x01"}
    assert client.get(f"/v1/audio/{sha}.mp3", headers=bad_header).status_code == 422
    # a route that passes text to the database unchecked: the database's refusal is a 4xx too
    assert client.get("/public/units/V%00A/listen").status_code in {404, 422}
    assert client.post("/v1/devices/loa-a1/heartbeats", json={}, headers=headers).status_code == 201


@BOTH_DATABASES
def test_timestamps_outside_a_sane_window_are_rejected_with_the_reason(world, client):
    world.publish("Thông báo", targets=["V-A"])
    [item] = world.items("loa-a1")
    now = datetime.now(UTC)
    good = event(item, at=now - timedelta(minutes=5))
    epoch = event(item, at=datetime(1970, 1, 1, tzinfo=UTC))
    year_one = dict(event(item), occurred_at="0001-01-01T00:00:00+07:00")
    ahead = event(item, at=now + timedelta(days=2))
    batch = {"events": [good, epoch, year_one, ahead]}

    answer = client.post("/v1/devices/loa-a1/confirmations", json=batch, headers=auth(world, "loa-a1"))

    assert answer.status_code == 200
    body = answer.json()
    assert body["accepted"] == [good["event_id"]]
    assert "before 2020-01-01" in body["rejected"][epoch["event_id"]]
    assert "before 2020-01-01" in body["rejected"][year_one["event_id"]]
    assert "more than a day ahead" in body["rejected"][ahead["event_id"]]
    assert world.count(storage.PlaybackConfirmation) == 1


def test_a_range_of_thousands_of_digits_is_416_or_the_whole_file(world, client):
    audio = mp3_tone()
    world.publish("Thông báo", targets=["V-A"], audio=audio)
    url = f"/v1/audio/{hashlib.sha256(audio).hexdigest()}.mp3"
    huge = "9" * 4301
    headers = auth(world, "loa-a1")

    start_past_end = client.get(url, headers={**headers, "Range": f"bytes={huge}-"})
    assert_bilingual_error(start_past_end, 416, "range_not_satisfiable")
    assert start_past_end.headers["Content-Range"] == f"bytes */{len(audio)}"
    for header in (f"bytes=-{huge}", f"bytes=0-{huge}", f"bytes={'0' * 4300}1-"):
        response = client.get(url, headers={**headers, "Range": header})
        assert response.status_code in {200, 206}
        assert audio.endswith(response.content) and len(response.content) >= len(audio) - 1


def test_heartbeat_fields_are_typed_strictly(world, client):
    headers = auth(world, "loa-a1")
    url = "/v1/devices/loa-a1/heartbeats"
    for body in (
        {"signal_dbm": True},
        {"signal_dbm": "-70"},
        {"battery_pct": False},
        {"fm_fallback": 1},
        {"fm_fallback": "yes"},
        {"status": 5},
        {"status": "x" * 33},
        {"free_storage_bytes": True},
    ):
        response = client.post(url, json=body, headers=headers)
        assert_bilingual_error(response, 422, "invalid_request")
    assert client.post(url, json={"signal_dbm": -70, "fm_fallback": True}, headers=headers).status_code == 201
    bad_event = {"events": [dict(event(1), item_id=True)]}
    response = client.post("/v1/devices/loa-a1/confirmations", json=bad_event, headers=headers)
    assert_bilingual_error(response, 422, "invalid_request")


@BOTH_DATABASES
def test_a_reused_event_id_with_other_content_is_a_conflict_not_a_duplicate(world, client):
    world.publish("Thông báo", targets=["V-A"])
    [item] = world.items("loa-a1")
    url = "/v1/devices/loa-a1/confirmations"
    first = event(item, at=datetime.now(UTC) - timedelta(minutes=3))
    client.post(url, json={"events": [first]}, headers=auth(world, "loa-a1"))
    same_id_other_status = dict(first, status="failed")
    same_id_in_other_zone = dict(
        first, occurred_at=datetime.fromisoformat(first["occurred_at"]).astimezone().isoformat()
    )
    fresh = event(item)

    answer = client.post(
        url, json={"events": [same_id_other_status, fresh]}, headers=auth(world, "loa-a1")
    ).json()
    resend = client.post(url, json={"events": [same_id_in_other_zone]}, headers=auth(world, "loa-a1")).json()

    assert answer["conflicts"] == [first["event_id"]] and answer["duplicates"] == []
    assert answer["accepted"] == [fresh["event_id"]]
    assert resend["duplicates"] == [first["event_id"]] and resend["conflicts"] == []
    with world.session() as session:
        kept = session.exec(
            select(storage.PlaybackConfirmation).where(
                storage.PlaybackConfirmation.event_id == uuid.UUID(first["event_id"])
            )
        ).one()
    assert kept.status == storage.PlaybackStatus.played


def test_conflicts_are_documented_in_the_openapi(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ConfirmationOut"]
    assert "conflicts" in schema["properties"]
    assert "reused" in schema["properties"]["conflicts"]["description"]


def test_405_names_the_allowed_methods(world, client):
    response = client.get("/v1/devices/loa-a1/confirmations", headers=auth(world, "loa-a1"))
    assert_bilingual_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"
    response = client.delete("/v1/devices/loa-a1/manifest")
    assert response.status_code == 405 and response.headers["Allow"] == "GET"


def test_if_none_match_star_only_matches_an_existing_manifest(world, client):
    star = {**auth(world, "loa-a1"), "If-None-Match": "*"}
    empty = client.get("/v1/devices/loa-a1/manifest", headers=star)
    assert empty.status_code == 200 and "manifest" in empty.json()
    world.publish("Thông báo", targets=["V-A"])
    assert client.get("/v1/devices/loa-a1/manifest", headers=star).status_code == 304


def test_a_device_id_of_a_known_event_on_another_device_is_a_conflict(world, client):
    world.publish("Thông báo", targets=["V-A"])
    item_a1, item_a2 = world.items("loa-a1")[0], world.items("loa-a2")[0]
    shared = str(uuid.uuid4())
    mine = dict(event(item_a1), event_id=shared)
    theirs = dict(event(item_a2), event_id=shared)
    client.post("/v1/devices/loa-a1/confirmations", json={"events": [mine]}, headers=auth(world, "loa-a1"))
    answer = client.post(
        "/v1/devices/loa-a2/confirmations", json={"events": [theirs]}, headers=auth(world, "loa-a2")
    ).json()
    assert answer["conflicts"] == [shared]


def test_an_export_day_in_year_one_is_a_4xx(world, client):
    with world.session() as session:
        _, token = storage.create_export_key(session, unit_code=world.communes[0], name="Tỉnh")
    for day in ("0001-01-01", "9999-12-31"):
        response = client.get(
            f"/export/v1/units/{world.communes[0]}/metrics",
            params={"period": "day", "day": day},
            headers={"X-API-Key": token},
        )
        assert 400 <= response.status_code < 500, response.text
        body = response.json()
        assert body["message_vi"] and body["message_en"]
