"""Manifest polls answered in batches: the same signed manifests, delivered marks and kept rows as one by one."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import select

import storage
from gateway.app import create_app
from gateway.manifest_batch import answer_polls
from gateway.signing import verify_manifest
from storage.manifest_state import DeviceManifest
from tests.gateway.conftest import BOTH_DATABASES, auth

DEVICES = ["loa-a1", "loa-a2", "bang-a1", "loa-b1", "loa-that"]


def url(device_id: str) -> str:
    return f"/v1/devices/{device_id}/manifest"


def public_key(client) -> bytes:  # type: ignore[no-untyped-def]
    return client.get("/v1/keys/manifest").json()["public_key_pem"].encode()


def played(item_id: int) -> storage.ConfirmationEvent:
    return storage.ConfirmationEvent(
        event_id=uuid.uuid4(),
        item_id=item_id,
        status=storage.PlaybackStatus.played,
        occurred_at=datetime.now(UTC),
    )


@BOTH_DATABASES
def test_many_devices_read_at_once_get_the_playlists_each_gets_alone(world):
    """device_playlists (a few statements for all) equals device_playlist (per device): items, order, fields."""
    world.publish("Thông báo một", targets=["V-A", "V-B"])
    world.publish("Lịch họp", targets=["V-A"], priority="priority")
    with world.session() as session:  # loa-a1 played its first item: it leaves its manifest, not the board's
        first = storage.device_playlist(session=session, device=session.get(storage.Device, "loa-a1"))[0]
        storage.record_confirmations(
            session=session, device=session.get(storage.Device, "loa-a1"), events=[played(first.item_id)]
        )
    world.publish("Bão số 3", targets=["V-A", "V-B"], priority="emergency")
    with world.session() as session:
        now = storage.utcnow()
        together = storage.device_playlists(
            session=session, device_ids=[*DEVICES, "no-such-device"], now=now, mark_delivered=False
        )
        for device_id in DEVICES:
            device = session.get(storage.Device, device_id)
            alone = storage.device_playlist(session=session, device=device, now=now, mark_delivered=False)
            assert together[device_id] == alone, device_id
        assert together["no-such-device"] == []
        assert storage.device_playlists(session=session, device_ids=["no-such-device"], now=now) == {
            "no-such-device": []
        }
        assert first.item_id not in {e.item_id for e in together["loa-a1"]}
        assert together["loa-a1"][0].title == "Bão số 3"


@BOTH_DATABASES
def test_after_an_emergency_every_device_polling_at_once_gets_its_own_new_signed_manifest(world):
    """One batch answers the polls of every affected device: each verifies for its device with the
    emergency first, the items in it are marked delivered, and what is kept is what the device got."""
    world.publish("Thông báo một", targets=["V-A", "V-B"])
    app = create_app(world.settings)
    resources = app.state.resources
    with TestClient(app) as client:  # the first polls also key the stored token hashes
        etags = {d: client.get(url(d), headers=auth(world, d)).headers["ETag"] for d in DEVICES}

    urgent = world.publish("Bão số 3", targets=["V-A", "V-B"], priority="emergency")
    polls = [(d, world.tokens[d]) for d in DEVICES]
    polls += [
        ("loa-a1", world.tokens["loa-a2"]),
        ("no-such-device", "x" * 43),
        ("loa-a2", world.tokens["loa-a2"]),
    ]
    answers = answer_polls(resources, polls)

    # Another device's token, an unknown device: no answer here (the one-request path refuses them).
    assert answers[5] is None and answers[6] is None
    assert answers[7] == answers[1]  # the same device twice in a batch: built once
    key = resources.signer.public_key_pem
    with world.session() as session:
        for device_id, answer in zip(DEVICES, answers, strict=False):
            kept = answer.kept
            assert kept.etag != etags[device_id]
            signed = {"manifest": kept.manifest, "signature": kept.signature, "key_id": kept.key_id}
            manifest = verify_manifest(signed, public_key_pem=key, device_id=device_id)
            assert manifest["items"][0]["bulletin_id"] == urgent, device_id
            assert manifest["items"][0]["priority"] == "emergency"
            row = session.get(DeviceManifest, device_id)
            assert (row.manifest, row.signature, row.etag) == (kept.manifest, kept.signature, kept.etag)
            assert row.generation == answer.generation
            delivered = session.exec(
                select(storage.PlaylistItem.delivered_at).where(
                    storage.PlaylistItem.id.in_([i["item_id"] for i in manifest["items"]])
                )
            ).all()
            assert delivered and all(at is not None for at in delivered)


@BOTH_DATABASES
def test_the_manifest_route_answers_from_the_batch_what_the_device_verifies_then_304(world, client):
    world.publish("Thông báo một", targets=["V-A"])
    etag = client.get(url("loa-a1"), headers=auth(world, "loa-a1")).headers["ETag"]
    urgent = world.publish("Bão số 3", targets=["V-A"], priority="emergency")

    answer = client.get(url("loa-a1"), headers={**auth(world, "loa-a1"), "If-None-Match": etag})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"manifest", "signature", "key_id", "algorithm", "server_time"}
    manifest = verify_manifest(body, public_key_pem=public_key(client), device_id="loa-a1")
    assert manifest["items"][0]["bulletin_id"] == urgent
    with world.session() as session:
        row = session.get(DeviceManifest, "loa-a1")
        assert (row.manifest, row.signature) == (body["manifest"], body["signature"])
        assert json.loads(row.manifest)["key_id"] == body["key_id"]
    again = client.get(
        url("loa-a1"), headers={**auth(world, "loa-a1"), "If-None-Match": answer.headers["ETag"]}
    )
    assert again.status_code == 304

    # A token that does not match still gets the one-request path's 403, and the failure counts.
    refused = client.get(url("loa-a1"), headers=auth(world, "loa-a1", as_device="loa-a2"))
    assert refused.status_code == 403 and refused.json()["message_vi"]


def test_polls_the_fast_path_does_not_answer_get_the_route_s_own_errors(world, client):
    """Anything but a valid poll with the device's own token reaches the route: same statuses, bilingual bodies."""
    world.publish("Thông báo một", targets=["V-A"])
    token = auth(world, "loa-a1")
    cases = [
        (url("loa-a1"), {}, 401),  # no token
        (url("loa-a1"), auth(world, "loa-a1", as_device="loa-b1"), 403),  # another device's token
        (url("loa-a1") + "?wait=61", token, 422),
        (url("loa-a1") + "?wait=soon", token, 422),
        (url("x" * 65), token, 422),
    ]
    for path, headers, status in cases:
        answer = client.get(path, headers=headers)
        assert answer.status_code == status, (path, answer.text)
        assert answer.json()["message_vi"] and answer.json()["message_en"]
    fine = client.get(url("loa-a1") + "?wait=0", headers=token)
    assert fine.status_code == 200
    assert verify_manifest(fine.json(), public_key_pem=public_key(client), device_id="loa-a1")["items"]
    assert client.head(url("loa-a1"), headers=token).status_code in (200, 405)
