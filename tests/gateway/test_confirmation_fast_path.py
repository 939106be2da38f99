"""Confirmation batches through the gateway, on SQLite (the route) and PostgreSQL (gateway.ingest's fast
path for plain batches, the route for the rest): the same answers, the same stored rows."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone

from sqlmodel import select

import storage
from gateway.schemas import ConfirmationIn
from storage.manifest_state import DeviceManifest
from tests.gateway.conftest import BOTH_DATABASES, auth, mp3_tone

URL = "/v1/devices/loa-a1/confirmations"
VIETNAM = timezone(timedelta(hours=7))


def delivered_item(world, client) -> dict:  # type: ignore[no-untyped-def]
    """loa-a1's one audio item as its manifest lists it (fetching the manifest marks it delivered)."""
    world.publish("Thông báo", targets=["V-A"], audio=mp3_tone(440.0, 1.0))
    response = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1"))
    assert response.status_code == 200
    [item] = [i for i in json.loads(response.json()["manifest"])["items"] if i["sha256"]]
    return item


def played(item: dict, **changes) -> dict:  # type: ignore[no-untyped-def]
    """A full play of ``item`` with its proof of play, an hour ago, times in Vietnam's offset."""
    started = (datetime.now(UTC) - timedelta(hours=1)).astimezone(VIETNAM).replace(microsecond=654321)
    ended = started + timedelta(seconds=30.5)
    return {
        "event_id": str(uuid.uuid4()),
        "item_id": item["item_id"],
        "status": "played",
        "occurred_at": ended.isoformat(),
        "duration_s": 30.5,
        "sha256": item["sha256"],
        "slot_starts_at": item["starts_at"],
        "slot_ends_at": item["ends_at"],
        "started_at": started.isoformat(),
        "ended_at": ended.isoformat(),
        "outcome": "completed",
        **changes,
    }


def stored(world) -> dict[str, storage.PlaybackConfirmation]:  # type: ignore[no-untyped-def]
    with world.session() as session:
        rows = session.exec(select(storage.PlaybackConfirmation)).all()
        session.expunge_all()
    return {str(r.event_id): r for r in rows}


def utc(at) -> datetime | None:  # type: ignore[no-untyped-def]
    if at is None:
        return None
    if isinstance(at, str):
        at = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


@BOTH_DATABASES
def test_a_batch_is_stored_with_its_proof_of_play_exactly(world, client):
    item = delivered_item(world, client)
    full = played(item)
    old_device = {  # a device that predates proof of play: the item's audio and slot are kept
        "event_id": str(uuid.uuid4()),
        "item_id": item["item_id"],
        "status": "failed",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    }

    answer = client.post(URL, json={"events": [full, old_device]}, headers=auth(world, "loa-a1"))

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {
        "accepted": [full["event_id"], old_device["event_id"]],
        "duplicates": [],
        "conflicts": [],
        "rejected": {},
    }
    rows = stored(world)
    row = rows[full["event_id"]]
    assert (row.device_id, row.playlist_item_id, row.status) == ("loa-a1", item["item_id"], "played")
    for name in ("occurred_at", "slot_starts_at", "slot_ends_at", "started_at", "ended_at"):
        assert utc(getattr(row, name)) == utc(full[name]), name  # to the microsecond
    assert (row.duration_s, row.content_sha256, row.outcome) == (30.5, item["sha256"], "completed")
    old = rows[old_device["event_id"]]
    assert (old.status, old.duration_s, old.outcome, old.started_at) == ("failed", None, None, None)
    assert old.content_sha256 == item["sha256"]
    assert utc(old.slot_starts_at) == utc(item["starts_at"]) and utc(old.slot_ends_at) == utc(item["ends_at"])


@BOTH_DATABASES
def test_a_resend_is_duplicates_and_a_reused_id_with_other_content_a_conflict(world, client):
    item = delivered_item(world, client)
    first, second = played(item), played(item)
    client.post(URL, json={"events": [first, second]}, headers=auth(world, "loa-a1"))
    reused = {**second, "duration_s": 12.0}
    new = played(item)

    answer = client.post(URL, json={"events": [first, reused, new]}, headers=auth(world, "loa-a1")).json()

    assert answer == {
        "accepted": [new["event_id"]],
        "duplicates": [first["event_id"]],
        "conflicts": [second["event_id"]],
        "rejected": {},
    }
    assert stored(world)[second["event_id"]].duration_s == 30.5  # the stored event is kept
    assert len(stored(world)) == 3


@BOTH_DATABASES
def test_a_stored_play_forgets_the_kept_manifest_and_a_failure_does_not(world, client):
    item = delivered_item(world, client)

    def kept() -> bool:
        with world.session() as session:
            return session.get(DeviceManifest, "loa-a1") is not None

    assert kept()
    failed = played(item, status="failed")
    client.post(URL, json={"events": [failed]}, headers=auth(world, "loa-a1"))
    assert kept()
    client.post(URL, json={"events": [played(item)]}, headers=auth(world, "loa-a1"))
    assert not kept()
    client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1"))
    client.post(URL, json={"events": [failed]}, headers=auth(world, "loa-a1"))  # a resend stores nothing
    assert kept()


@BOTH_DATABASES
def test_one_refused_event_leaves_the_rest_of_the_batch_stored_once(world, client):
    item = delivered_item(world, client)
    good = [played(item) for _ in range(3)]
    other_audio = played(item, sha256=hashlib.sha256(b"other").hexdigest())
    twice = played(item)

    answer = client.post(
        URL, json={"events": [*good, other_audio, twice, twice]}, headers=auth(world, "loa-a1")
    ).json()

    assert answer["accepted"] == [e["event_id"] for e in good] + [twice["event_id"]]
    assert answer["duplicates"] == [twice["event_id"]]  # the same id again in the batch
    assert list(answer["rejected"]) == [other_audio["event_id"]]
    assert "is not the audio of playlist item" in answer["rejected"][other_audio["event_id"]]
    assert len(stored(world)) == 4


@BOTH_DATABASES
def test_times_without_offset_are_utc_and_implausible_ones_rejected(world, client):
    item = delivered_item(world, client)
    naive_at = (datetime.now(UTC) - timedelta(minutes=3)).replace(tzinfo=None, microsecond=123456)
    naive = {**played(item), "occurred_at": naive_at.isoformat()}
    unset_clock = played(item, started_at="2019-12-31T23:59:59+00:00")

    answer = client.post(URL, json={"events": [naive, unset_clock]}, headers=auth(world, "loa-a1")).json()

    assert answer["accepted"] == [naive["event_id"]]
    assert (
        "started_at 2019-12-31T23:59:59+00:00 is before 2020-01-01"
        in answer["rejected"][unset_clock["event_id"]]
    )
    assert utc(stored(world)[naive["event_id"]].occurred_at) == naive_at.replace(tzinfo=UTC)


@BOTH_DATABASES
def test_malformed_bodies_get_the_routes_bilingual_422(world, client):
    item = delivered_item(world, client)
    cases = {
        "events.1.outcome: Value error, must not contain control characters": played(item, outcome="ok\x00"),
        "events.1.item_id: Input should be a valid integer": played(item, item_id="1"),
        "events.1.duration_s: Input should be less than or equal to 86400": played(item, duration_s=1e9),
        "events.1.sha256: String should match pattern": played(item, sha256="A" * 64),
        "events.1.event_id: Input should be a valid UUID": played(item, event_id="x" * 500),
    }
    for expected, bad in cases.items():
        response = client.post(URL, json={"events": [played(item), bad]}, headers=auth(world, "loa-a1"))
        assert response.status_code == 422, expected
        body = response.json()
        assert body["error"] == "invalid_request"
        assert body["details"][0].startswith(expected), body["details"]
        assert "chưa lưu gì" in body["message_vi"] and "nothing was stored" in body["message_en"]
    broken = client.post(URL, content=b'{"events": [', headers=auth(world, "loa-a1"))
    assert broken.status_code == 422 and broken.json()["error"] == "invalid_request"
    too_many = client.post(URL, json={"events": [played(item)] * 501}, headers=auth(world, "loa-a1"))
    assert too_many.status_code == 413 and too_many.json()["error"] == "batch_too_large"
    assert stored(world) == {}


@BOTH_DATABASES
def test_a_wrong_token_is_refused_and_throttled_and_stores_nothing(world, client):
    item = delivered_item(world, client)
    batch = {"events": [played(item)]}
    wrong = {"Authorization": "Bearer " + "x" * 43}

    answers = [client.post(URL, json=batch, headers=wrong) for _ in range(11)]

    assert [a.status_code for a in answers[:10]] == [403] * 10
    assert answers[10].status_code == 429 and answers[10].headers["Retry-After"]
    assert (
        client.post(URL, json=batch, headers=auth(world, "loa-a1")).status_code == 429
    )  # the device id waits
    assert stored(world) == {}


@BOTH_DATABASES
def test_the_same_batch_posted_at_once_is_stored_once(world, client):
    item = delivered_item(world, client)
    batch = {"events": [played(item) for _ in range(50)]}
    answers: list[dict] = []

    def post() -> None:
        answers.append(client.post(URL, json=batch, headers=auth(world, "loa-a1")).json())

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ids = sorted(e["event_id"] for e in batch["events"])
    accepted = sorted(i for a in answers for i in a["accepted"])
    assert accepted == ids  # each stored by exactly one of the requests
    assert sorted(i for a in answers for i in a["duplicates"]) == sorted(ids * 3)
    assert sorted(stored(world)) == ids


@BOTH_DATABASES
def test_other_forms_the_model_takes_are_still_taken(world, client):
    item = delivered_item(world, client)
    an_hour_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    upper = played(item, event_id=str(uuid.uuid4()).upper())
    braces = played(item, event_id="{" + str(uuid.uuid4()) + "}")
    epoch = played(item, occurred_at=int(an_hour_ago.timestamp()))
    spaced = played(item, started_at=an_hour_ago.isoformat(sep=" "), ended_at=None)

    answer = client.post(
        URL, json={"events": [upper, braces, epoch, spaced]}, headers=auth(world, "loa-a1")
    ).json()

    ids = [upper["event_id"].lower(), braces["event_id"].strip("{}"), epoch["event_id"], spaced["event_id"]]
    assert answer == {"accepted": ids, "duplicates": [], "conflicts": [], "rejected": {}}
    rows = stored(world)
    assert utc(rows[epoch["event_id"]].occurred_at) == an_hour_ago
    assert utc(rows[spaced["event_id"]].started_at) == an_hour_ago


def test_the_fast_paths_times_are_read_as_the_routes_model_reads_them():
    """Every time the fast path's pattern lets through is the instant pydantic makes of it, or refused by both."""
    from pydantic import TypeAdapter, ValidationError

    from gateway.schemas import _AWARE_TIME, FastConfirmationIn

    model = TypeAdapter(datetime)
    pattern = re.compile(_AWARE_TIME)
    for text in (
        "2026-01-01T06:00:00Z",
        "2026-01-01T06:00:00.5+07:00",
        "2026-01-01T06:00:00.12345-03:30",
        "2026-01-01T06:00:00.123456+00:00",
        "2024-02-29T23:59:59.999999Z",
        "2026-02-29T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T23:59:60Z",
        "2026-13-01T00:00:00Z",
        "2026-01-01T00:00:00+24:00",
    ):
        assert pattern.match(text), text
        try:
            expected = model.validate_json(json.dumps(text))
        except ValidationError:
            expected = None
        try:
            read = datetime.fromisoformat(text)
        except ValueError:
            read = None
        assert read == expected and (read is None or read.utcoffset() == expected.utcoffset()), text
    for text in (
        "2026-01-01T06:00:00",
        "2026-01-01 06:00:00Z",
        "2026-01-01T06:00:00.1234567Z",
        "٢٠٢٦-01-01T06:00:00Z",
    ):
        assert not pattern.match(text), text  # the route's model reads these
    assert FastConfirmationIn.__annotations__.keys() == ConfirmationIn.model_fields.keys()
