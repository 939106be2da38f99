"""Nothing unreviewed ever plays: a device downloads only the approved audio of its own current manifest.

Each test runs on a SQLite file, on PostgreSQL and with the audio in a real S3 server (SeaweedFS).
"""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import update

import storage
from bantin.recordings import store_recording
from gateway.signing import verify_manifest
from tests.gateway.conftest import World, auth, mp3_tone

BACKENDS = pytest.mark.parametrize(
    "world", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "s3"], indirect=True
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_not_served(response) -> None:  # type: ignore[no-untyped-def]
    """404 with the bilingual body, and not one byte of audio."""
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "unknown_audio"
    assert "danh mục phát" in body["message_vi"] and "manifest" in body["message_en"]


def under_review(world: World, title: str, *, targets: list[str], audio: bytes) -> int:
    """A produced bulletin whose review has been requested but not decided; returns its version id."""
    with world.session() as session:
        draft = storage.BulletinDraft(
            title=title,
            body=f"{title}. Nội dung chờ duyệt.",
            source_unit=world.communes[0],
            target_units=targets,
        )
        _, version, _ = storage.save_draft(session=session, draft=draft)
        storage.save_rendition(
            session=session,
            version_id=version.id,
            language="vie",
            kind=storage.RenditionKind.audio,
            audio_key=storage.put_content(world.store, audio),
            duration_s=1.0,
            details={"sha256": sha(audio)},
        )
        storage.claim_review(session, version_id=version.id, flow_run_id="test-review")
        return version.id


def approve(world: World, version_id: int) -> None:
    """A reviewer of the province approves the version with a fresh one-time code."""
    with world.session() as session:
        province = storage.ancestor_codes(session, world.communes[0])[-1]
        secret_key = world.settings.secret_key_bytes()
        storage.claim_review(session, version_id=version_id, flow_run_id="test-review")
        person, secret = storage.add_person(
            session,
            name=f"Người duyệt {version_id}",
            unit_code=province,
            role="reviewer",
            secret_key=secret_key,
        )
        storage.decide_review(
            session,
            version_id=version_id,
            person_ref=person.id,
            code=storage.totp_code(secret),
            decision=storage.ReviewDecision.approve,
            secret_key=secret_key,
        )


def manifest(client, world: World, device_id: str) -> dict:  # type: ignore[no-untyped-def]
    """The device's manifest, its Ed25519 signature checked as a device does."""
    response = client.get(f"/v1/devices/{device_id}/manifest", headers=auth(world, device_id))
    assert response.status_code == 200
    public_key = client.get("/v1/keys/manifest").json()["public_key_pem"].encode()
    return verify_manifest(response.json(), public_key_pem=public_key, device_id=device_id)


def audio_shas(client, world: World, device_id: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {i["sha256"] for i in manifest(client, world, device_id)["items"] if i["kind"] == "audio"}


def get_audio(client, world: World, device_id: str, digest: str):  # type: ignore[no-untyped-def]
    return client.get(f"/v1/audio/{digest}.mp3", headers=auth(world, device_id))


@BACKENDS
def test_device_cannot_fetch_audio_under_review(world, client):
    approved = mp3_tone(440.0, 1.0)
    world.publish("Lịch tiêm phòng", targets=["V-A"], audio=approved)
    pending = mp3_tone(660.0, 1.0)
    under_review(world, "Thông báo chưa duyệt", targets=["V-A"], audio=pending)
    assert world.store.exists(f"audio/{sha(pending)}.mp3")  # stored, only not approved

    assert audio_shas(client, world, "loa-a1") == {sha(approved)}
    assert_not_served(get_audio(client, world, "loa-a1", sha(pending)))
    assert_not_served(  # a resumed download is refused just the same
        client.get(f"/v1/audio/{sha(pending)}.mp3", headers={**auth(world, "loa-a1"), "Range": "bytes=0-99"})
    )
    assert get_audio(client, world, "loa-a1", sha(approved)).content == approved


@BACKENDS
def test_device_cannot_fetch_audio_distributed_only_to_another_device(world, client):
    audio = mp3_tone(520.0, 1.0)
    world.publish("Họp thôn Hai", targets=["V-B"], audio=audio)

    assert audio_shas(client, world, "loa-b1") == {sha(audio)}
    assert audio_shas(client, world, "loa-a1") == set()
    assert get_audio(client, world, "loa-b1", sha(audio)).content == audio
    assert_not_served(get_audio(client, world, "loa-a1", sha(audio)))  # its own valid token, not its audio
    # Not even through device B's id with device A's token.
    refused = client.get(f"/v1/audio/{sha(audio)}.mp3", headers=auth(world, "loa-b1", as_device="loa-a1"))
    assert refused.status_code == 403


@BACKENDS
def test_recording_import_on_approved_bulletin_keeps_the_approved_audio(world, client):
    approved = mp3_tone(440.0, 2.0)
    bulletin_id = world.publish("Cảnh báo mưa lớn", targets=["V-A"], audio=approved)
    assert audio_shas(client, world, "loa-a1") == {sha(approved)}

    store_recording(
        world.settings,
        mp3_tone(880.0, 2.0),
        filename="doc-lai.mp3",
        bulletin=str(bulletin_id),
        language="vie",
    )

    with world.session() as session:
        newest = storage.latest_version(session, bulletin_id)
        [imported] = [
            r for r in storage.renditions(session, newest.id) if r.kind == storage.RenditionKind.audio
        ]
        imported_sha = imported.details["sha256"]
    assert imported_sha != sha(approved)
    # The device keeps the approved audio, by its sha256, and never gets the imported one unreviewed.
    assert audio_shas(client, world, "loa-a1") == {sha(approved)}
    served = get_audio(client, world, "loa-a1", sha(approved))
    assert served.status_code == 200 and sha(served.content) == sha(approved)
    assert_not_served(get_audio(client, world, "loa-a1", imported_sha))
    with pytest.raises(storage.InvalidDraft), world.session() as session:
        storage.distribute_version(session=session, version_id=newest.id)
    assert_not_served(get_audio(client, world, "loa-a1", imported_sha))

    approve(world, newest.id)  # its own review
    with world.session() as session:
        storage.distribute_version(session=session, version_id=newest.id)
    assert imported_sha in audio_shas(client, world, "loa-a1")
    assert sha(get_audio(client, world, "loa-a1", imported_sha).content) == imported_sha


@BACKENDS
def test_downloaded_bytes_hash_to_the_manifest_sha256(world, client):
    world.publish("Lịch cắt điện", targets=["V-A", "V-B"], audio=mp3_tone(350.0, 1.5))
    world.publish("Sơ tán khẩn cấp", targets=["V-A"], priority="emergency", audio=mp3_tone(700.0, 1.0))

    items = [i for i in manifest(client, world, "loa-a1")["items"] if i["kind"] == "audio"]

    assert len(items) == 2
    for item in items:
        assert item["audio_url"] == f"/v1/audio/{item['sha256']}.mp3"
        whole = client.get(item["audio_url"], headers=auth(world, "loa-a1"))
        assert whole.status_code == 200 and sha(whole.content) == item["sha256"]
        half = len(whole.content) // 2
        first = client.get(
            item["audio_url"], headers={**auth(world, "loa-a1"), "Range": f"bytes=0-{half - 1}"}
        )
        rest = client.get(item["audio_url"], headers={**auth(world, "loa-a1"), "Range": f"bytes={half}-"})
        assert (first.status_code, rest.status_code) == (206, 206)
        assert sha(first.content + rest.content) == item["sha256"]


@BACKENDS
def test_altered_stored_audio_is_not_served(world, client):
    audio = mp3_tone(480.0, 1.0)
    world.publish("Thông báo", targets=["V-A"], audio=audio)
    # Someone with access to the bucket or the data dir replaced the bytes behind the approved key.
    world.store.put(f"audio/{sha(audio)}.mp3", mp3_tone(200.0, 1.0), "audio/mpeg")

    response = get_audio(client, world, "loa-a1", sha(audio))

    assert response.status_code == 500
    assert response.json()["error"] == "audio_corrupt"
    assert "sha256" in response.json()["message_vi"]


@BACKENDS
def test_rendition_altered_behind_the_api_does_not_reach_the_device(world, client):
    approved = mp3_tone(440.0, 1.0)
    bulletin_id = world.publish("Lịch tiêm phòng", targets=["V-A"], audio=approved)
    swapped = mp3_tone(990.0, 1.0)
    swapped_key = storage.put_content(world.store, swapped)
    with world.session() as session:  # a script or a person with database access rewrites the approved row
        version = storage.latest_version(session, bulletin_id)
        session.exec(
            update(storage.Rendition)
            .where(
                storage.Rendition.version_id == version.id,
                storage.Rendition.kind == storage.RenditionKind.audio,
            )
            .values(audio_key=swapped_key, details={"sha256": sha(swapped)})
        )

    assert audio_shas(client, world, "loa-a1") == {sha(approved)}  # the item names what was approved
    assert get_audio(client, world, "loa-a1", sha(approved)).content == approved
    assert_not_served(get_audio(client, world, "loa-a1", sha(swapped)))
    with pytest.raises(storage.ApprovalOutdated), world.session() as session:  # and it is not scheduled again
        storage.distribute_version(session=session, version_id=version.id)
