"""A real gateway and a simulated loudspeaker: a Khmer commune's sequence of languages is fetched in a
signed manifest, played in its order and confirmed language by language."""

from __future__ import annotations

import hashlib

from sqlmodel import select

import storage
from bantin.simulator import FaultConfig, SimulatedDevice, fetch_public_key
from tests.gateway.conftest import gateway_url, mp3_tone, template_db, world  # noqa: F401  (fixtures)

READINGS = {"vie": (700.0, 1.5), "khm": (500.0, 1.0)}  # language: (tone Hz, seconds)


def test_a_simulated_loudspeaker_plays_khmer_then_vietnamese_and_confirms_each(world, gateway_url):  # noqa: F811
    shas = {}
    with world.session() as session:
        device = storage.get_device(session, "loa-a1")
        device.languages = ["vie", "khm"]
        session.add(device)
        storage.set_unit_broadcast(session, world.communes[0], [], languages=["khm", "vie"])
        draft = storage.BulletinDraft(
            title="Lịch thu hoạch lúa",
            body="Bà con thu hoạch lúa trước ngày 10/12.",
            source_unit=world.communes[0],
            target_units=["V-A"],
        )
        _, version, _ = storage.save_draft(session=session, draft=draft)
        for language, (freq, seconds) in READINGS.items():
            audio = mp3_tone(freq, seconds)
            shas[language] = hashlib.sha256(audio).hexdigest()
            storage.save_rendition(
                session=session,
                version_id=version.id,
                language=language,
                kind=storage.RenditionKind.audio,
                audio_key=storage.put_content(world.store, audio),
                duration_s=seconds,
            )
        storage.record_review(
            session=session, version_id=version.id, reviewer="tester", decision=storage.ReviewDecision.approve
        )
        storage.distribute_version(session=session, version_id=version.id)

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

    assert report.errors == [] and report.confirmations_accepted == 2 and report.items_played == 2
    assert [(i["language"], i["sha256"]) for i in speaker.manifest["items"]] == [
        ("khm", shas["khm"]),
        ("vie", shas["vie"]),
    ]
    with world.session() as session:
        played = session.exec(
            select(storage.PlaybackConfirmation, storage.PlaylistItem)
            .join(
                storage.PlaylistItem, storage.PlaylistItem.id == storage.PlaybackConfirmation.playlist_item_id
            )
            .order_by(storage.PlaybackConfirmation.id)
        ).all()
        found = [(item.language, c.content_sha256, c.slot_starts_at, c.slot_ends_at) for c, item in played]
    assert [(language, sha) for language, sha, _, _ in found] == [("khm", shas["khm"]), ("vie", shas["vie"])]
    (_, _, _, khmer_ends), (_, _, vietnamese_starts, _) = found
    assert khmer_ends == vietnamese_starts  # one block: Vietnamese right after Khmer
