"""Proof of play: a confirmation keeps what was played, its slot, when it really played and how it ended."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from sqlmodel import select

import storage
from bantin.simulator import FaultConfig, SimulatedDevice, fetch_public_key
from tests.gateway.conftest import auth, mp3_tone

TITLE = "Lịch tiêm phòng dại"


def publish_version(world, body: str, freq: float) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """A new approved and distributed version of the one bulletin "pop-1"; returns (version number, audio sha256)."""
    audio = mp3_tone(freq, 1.0)
    with world.session() as session:
        draft = storage.BulletinDraft(
            title=TITLE,
            body=body,
            priority=storage.Priority.normal,
            source_unit=world.communes[0],
            target_units=["V-A"],
            external_id="pop-1",
        )
        _, version, _ = storage.save_draft(session=session, draft=draft)
        storage.save_rendition(
            session=session,
            version_id=version.id,
            language="vie",
            kind=storage.RenditionKind.audio,
            audio_key=storage.put_content(world.store, audio),
            duration_s=1.0,
        )
        storage.save_rendition(
            session=session,
            version_id=version.id,
            language="vie",
            kind=storage.RenditionKind.eboard,
            text=body,
        )
        storage.record_review(
            session=session, version_id=version.id, reviewer="tester", decision=storage.ReviewDecision.approve
        )
        storage.distribute_version(session=session, version_id=version.id)
        return version.number, hashlib.sha256(audio).hexdigest()


def item_of(world, device_id: str, sha: str) -> storage.PlaylistItem:  # type: ignore[no-untyped-def]
    with world.session() as session:
        query = select(storage.PlaylistItem).where(
            storage.PlaylistItem.device_id == device_id, storage.PlaylistItem.audio_sha256 == sha
        )
        item = session.exec(query).one()
        session.expunge(item)
        return item


def confirmations(world) -> list[storage.PlaybackConfirmation]:  # type: ignore[no-untyped-def]
    with world.session() as session:
        found = session.exec(
            select(storage.PlaybackConfirmation).order_by(storage.PlaybackConfirmation.id)
        ).all()
        session.expunge_all()
        return list(found)


def test_the_confirmation_still_says_what_was_played_after_the_bulletin_is_edited_and_its_new_version_deleted(
    world, gateway_url
):
    _, played_sha = publish_version(world, "Tiêm phòng dại cho chó mèo ngày 5/12 tại nhà văn hóa thôn.", 440)
    item = item_of(world, "loa-a1", played_sha)
    speaker = SimulatedDevice(
        gateway_url,
        "loa-a1",
        world.tokens["loa-a1"],
        public_key_pem=fetch_public_key(gateway_url),
        seed=0,
        faults=FaultConfig.none(),
        now=None,
    )
    report = speaker.run(rounds=1)
    assert report.errors == [] and report.confirmations_accepted == 1
    [proof] = confirmations(world)
    expected = (played_sha, item.starts_at, item.ends_at, "completed")
    assert (proof.content_sha256, proof.slot_starts_at, proof.slot_ends_at, proof.outcome) == expected
    assert proof.ended_at - proof.started_at == timedelta(seconds=1.0)

    # The editor corrects the bulletin (new text, new audio): the new version replaces the old on the device.
    number, new_sha = publish_version(world, "Tiêm phòng dại dời sang ngày 7/12, tại trạm y tế xã.", 660)
    assert number == 2 and new_sha != played_sha
    # The old item moves to a later slot, its audio goes from the store, the new version is withdrawn.
    with world.session() as session:
        old = session.get(storage.PlaylistItem, item.id)
        old.starts_at, old.ends_at = old.starts_at + timedelta(days=1), old.ends_at + timedelta(days=1)
        new_items = session.exec(
            select(storage.PlaylistItem).where(storage.PlaylistItem.audio_sha256 == new_sha)
        ).all()
        renditions = {i.rendition_id for i in new_items}
        for new_item in new_items:
            session.delete(new_item)
        session.flush()
        for rendition_id in renditions:
            session.delete(session.get(storage.Rendition, rendition_id))
    world.store.delete(f"audio/{played_sha}.mp3")

    [kept] = confirmations(world)
    assert (kept.content_sha256, kept.slot_starts_at, kept.slot_ends_at, kept.outcome) == expected
    assert (kept.started_at, kept.ended_at) == (proof.started_at, proof.ended_at)


def event(item_id: int, **proof) -> dict:  # type: ignore[no-untyped-def,type-arg]
    base = {"event_id": str(uuid.uuid4()), "item_id": item_id, "status": "played", "duration_s": 1.0}
    return base | {"occurred_at": storage.utcnow().isoformat()} | proof


def test_a_confirmation_of_audio_or_a_version_the_device_never_had_is_refused_per_event(world, client):
    _, first_sha = publish_version(world, "Họp thôn lúc 19 giờ tối nay.", 440)
    assert client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1")).status_code == 200
    first = item_of(world, "loa-a1", first_sha)
    _, second_sha = publish_version(world, "Họp thôn dời sang 20 giờ tối nay.", 660)
    second = item_of(world, "loa-a1", second_sha)  # scheduled, but not yet fetched by the device
    theirs = item_of(world, "loa-a2", first_sha)
    now = storage.utcnow()
    slot = {"slot_starts_at": first.starts_at.isoformat(), "slot_ends_at": first.ends_at.isoformat()}
    good = event(
        first.id,
        sha256=first_sha,
        started_at=now.isoformat(),
        ended_at=(now + timedelta(seconds=1)).isoformat(),
        outcome="completed",
        **slot,
    )
    old_device = event(first.id, status="failed", duration_s=0.0)  # sends no proof: still taken
    wrong_audio = event(first.id, sha256="0" * 64, **slot)
    other_version = event(first.id, sha256=second_sha, **slot)
    never_sent = event(second.id, sha256=second_sha)
    not_mine = event(theirs.id, sha256=first_sha)
    backwards = event(
        first.id,
        sha256=first_sha,
        started_at=now.isoformat(),
        ended_at=(now - timedelta(minutes=5)).isoformat(),
    )
    batch = [good, wrong_audio, other_version, old_device, never_sent, not_mine, backwards]
    answer = client.post(
        "/v1/devices/loa-a1/confirmations", json={"events": batch}, headers=auth(world, "loa-a1")
    )

    assert answer.status_code == 200
    result = answer.json()
    assert sorted(result["accepted"]) == sorted([good["event_id"], old_device["event_id"]])
    rejected = result["rejected"]
    assert set(rejected) == {
        e["event_id"] for e in (wrong_audio, other_version, never_sent, not_mine, backwards)
    }
    assert "is not the audio of playlist item" in rejected[wrong_audio["event_id"]]
    assert "version 2 of bulletin" in rejected[other_version["event_id"]]
    assert "phiên bản 2" in rejected[other_version["event_id"]]
    assert "was never in a manifest sent to device loa-a1" in rejected[never_sent["event_id"]]
    assert "not scheduled on device loa-a1" in rejected[not_mine["event_id"]]
    assert "is before started_at" in rejected[backwards["event_id"]]
    assert all(" / " in reason for reason in rejected.values())  # Vietnamese / English
    stored = {str(c.event_id): c for c in confirmations(world)}
    assert set(stored) == {good["event_id"], old_device["event_id"]}
    # the old device's confirmation keeps the item's approved audio and slot as they were when it came
    legacy = stored[old_device["event_id"]]
    assert (legacy.content_sha256, legacy.slot_starts_at, legacy.slot_ends_at) == (
        first_sha,
        first.starts_at,
        first.ends_at,
    )
    assert legacy.started_at is None and legacy.outcome is None


def test_a_malformed_proof_of_play_is_refused_with_the_field_named(world, client):
    _, sha = publish_version(world, "Họp thôn lúc 19 giờ tối nay.", 440)
    item = item_of(world, "loa-a1", sha)
    for bad, field in (
        (event(item.id, sha256="XYZ"), "sha256"),
        (event(item.id, outcome="x" * 201), "outcome"),
    ):
        answer = client.post(
            "/v1/devices/loa-a1/confirmations", json={"events": [bad]}, headers=auth(world, "loa-a1")
        )
        assert answer.status_code == 422
        assert any(field in detail for detail in answer.json()["details"])
    assert confirmations(world) == []
