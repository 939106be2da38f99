"""The manifest kept per device: signed once, reused while unchanged, rebuilt by any gateway process on a change."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

import storage
from gateway.app import create_app
from gateway.signing import verify_manifest
from storage.manifest_state import kept_manifest
from tests.gateway.conftest import BOTH_DATABASES, auth

URL = "/v1/devices/loa-a1/manifest"


def played(item_id: int) -> dict:
    return {
        "events": [
            {
                "event_id": str(uuid.uuid4()),
                "item_id": item_id,
                "status": "played",
                "occurred_at": datetime.now(UTC).isoformat(),
            }
        ]
    }


def items_of(client, world) -> list[int]:  # type: ignore[no-untyped-def]
    body = client.get(URL, headers=auth(world, "loa-a1")).json()
    return [i["item_id"] for i in json.loads(body["manifest"])["items"]]


@BOTH_DATABASES
def test_an_unchanged_manifest_is_signed_once_and_the_answer_carries_the_current_server_time(world, client):
    world.publish("Lịch tiêm chủng", targets=["V-A"])
    first = client.get(URL, headers=auth(world, "loa-a1")).json()
    again = client.get(URL, headers=auth(world, "loa-a1")).json()

    # The same signed text and signature: not rebuilt and signed per request.
    assert (again["manifest"], again["signature"]) == (first["manifest"], first["signature"])
    key = client.get("/v1/keys/manifest").json()["public_key_pem"].encode()
    assert verify_manifest(again, public_key_pem=key, device_id="loa-a1")["items"]
    # The answer's own clock moves on (a device sets its clock by it), the signed one does not.
    signed_time = datetime.fromisoformat(json.loads(again["manifest"])["server_time"])
    assert datetime.fromisoformat(again["server_time"]) >= datetime.fromisoformat(first["server_time"])
    assert datetime.fromisoformat(again["server_time"]) >= signed_time


@BOTH_DATABASES
def test_a_distribution_written_by_another_process_changes_the_kept_manifest_of_every_gateway(world):
    """Two gateway processes on one database: what one kept, a distribution made elsewhere replaces."""
    with TestClient(create_app(world.settings)) as one, TestClient(create_app(world.settings)) as two:
        world.publish("Thông báo một", targets=["V-A"])
        etag = one.get(URL, headers=auth(world, "loa-a1")).headers["ETag"]
        assert two.get(URL, headers={**auth(world, "loa-a1"), "If-None-Match": etag}).status_code == 304

        urgent = world.publish("Bão số 3", targets=["V-A"], priority="emergency")  # as a flow would
        for gateway in (one, two):
            changed = gateway.get(URL, headers={**auth(world, "loa-a1"), "If-None-Match": etag})
            assert changed.status_code == 200 and changed.headers["ETag"] != etag
            assert json.loads(changed.json()["manifest"])["items"][0]["bulletin_id"] == urgent
        # A distribution to another village leaves this device's kept manifest as it was.
        now = one.get(URL, headers=auth(world, "loa-a1")).headers["ETag"]
        world.publish("Tin thôn Hai", targets=["V-B"])
        assert two.get(URL, headers={**auth(world, "loa-a1"), "If-None-Match": now}).status_code == 304


@BOTH_DATABASES
def test_an_item_the_device_played_leaves_its_manifest_on_every_gateway(world):
    world.publish("Thông báo một", targets=["V-A"])
    world.publish("Thông báo hai", targets=["V-A"])
    with TestClient(create_app(world.settings)) as one, TestClient(create_app(world.settings)) as two:
        before = items_of(two, world)
        assert len(before) == 2
        posted = one.post(
            "/v1/devices/loa-a1/confirmations", json=played(before[0]), headers=auth(world, "loa-a1")
        )
        assert posted.status_code == 200 and posted.json()["accepted"]
        assert items_of(two, world) == before[1:]


def test_a_kept_manifest_lapses_when_an_item_in_it_ends_or_the_device_moves_or_the_key_changes(world, client):
    world.publish("Thông báo", targets=["V-A"])
    client.get(URL, headers=auth(world, "loa-a1"))
    key_id = client.get("/v1/keys/manifest").json()["key_id"]
    with world.session() as session:
        device = session.get(storage.Device, "loa-a1")
        [ends_at] = [
            i.ends_at for i in session.exec(select(storage.PlaylistItem)).all() if i.device_id == device.id
        ]
        ends_at = ends_at if ends_at.tzinfo else ends_at.replace(tzinfo=UTC)
        now = datetime.now(UTC)
        assert kept_manifest(session, device, key_id=key_id, now=now) is not None
        assert kept_manifest(session, device, key_id=key_id, now=ends_at) is None  # its item ended
        assert kept_manifest(session, device, key_id="another-key", now=now) is None
        device.unit_code = "V-B"
        assert kept_manifest(session, device, key_id=key_id, now=now) is None
        session.rollback()
    # Half the manifest's lifetime at most, even with nothing ending.
    with world.session() as session:
        device = session.get(storage.Device, "loa-a1")
        assert (
            kept_manifest(session, device, key_id=key_id, now=datetime.now(UTC) + timedelta(days=3)) is None
        )
