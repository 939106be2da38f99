"""The production and evaluation flows end to end under a real Prefect server (test harness)."""

from __future__ import annotations

import uuid

from sqlmodel import select

import storage
from flows.evaluate import EvaluateRequest, evaluate_reach
from flows.produce import ProduceRequest, produce_bulletins
from storage import ConfirmationEvent, PlaybackStatus, RenditionKind
from tests.flows.conftest import DRAFTS, Answerer, World


def test_approved_bulletin_is_produced_and_distributed(world: World) -> None:
    bulletin_id = world.submit(DRAFTS[2])
    with Answerer(world.people["commune"]) as answerer:
        outcome = produce_bulletins(ProduceRequest(bulletins=[str(bulletin_id)]))
    row = outcome[str(bulletin_id)]
    assert answerer.answered == [row["version_id"]] and row["decision"] == "approve"
    assert row["reviewer"] == world.people["commune"].name
    assert row["distribution"]["items_created"] == row["distribution"]["devices"] > 0
    audio = world.data_dir / "objects" / row["audio"]["audio_key"]
    head = audio.read_bytes()[:3]
    assert head == b"ID3" or (head[0] == 0xFF and head[1] & 0xE0 == 0xE0)  # an MP3 frame sync
    assert row["audio"]["duration_s"] > 5
    with world.session() as session:
        kinds = {r.kind for r in storage.renditions(session, row["version_id"])}
        assert kinds == {
            RenditionKind.script,
            RenditionKind.spoken,
            RenditionKind.eboard,
            RenditionKind.audio,
        }
        assert storage.get_bulletin(session, bulletin_id).status == storage.BulletinStatus.distributed
        review = storage.latest_review(session, row["version_id"])
        assert review.person_id == world.people["commune"].id
        assert review.content_digest == storage.version_digest(session, row["version_id"])
        actions = [e.action for e in storage.bulletin_history(session, bulletin_id)]
        assert actions.index("produced") < actions.index("review_requested") < actions.index("approved")
        assert "distributed" in actions or actions[-1] == "approved"
        assert storage.verify_audit(session).ok
    # A rerun finds the decision and the playlist already there: nothing is duplicated, no new pause.
    with Answerer(world.people["commune"], "reject", "no") as again:
        rerun = produce_bulletins(ProduceRequest(bulletins=[str(bulletin_id)]))
    assert again.answered == [] and rerun[str(bulletin_id)]["distribution"]["items_created"] == 0

    # Devices confirm one play; the evaluation flow counts it and publishes the report.
    with world.session() as session:
        item = session.exec(select(storage.PlaylistItem)).first()
        device = storage.get_device(session, item.device_id)
        storage.record_confirmations(
            session=session,
            device=device,
            events=[ConfirmationEvent(uuid.uuid4(), item.id, PlaybackStatus.played, storage.utcnow())],
        )
    report = evaluate_reach(EvaluateRequest())
    assert report["totals"]["played"] == 1 and report["totals"]["scheduled"] == row["distribution"]["devices"]
    markdown = (world.data_dir / "objects" / report["report_keys"]["markdown"]).read_text(encoding="utf-8")
    assert DRAFTS[2]["title"] in markdown


def test_rejected_bulletin_is_never_scheduled(world: World) -> None:
    bulletin_id = world.submit(DRAFTS[1])
    with Answerer(world.people["commune_b"], "reject", "Sai số liệu / wrong figures") as answerer:
        outcome = produce_bulletins(ProduceRequest(bulletins=[str(bulletin_id)]))
    assert len(answerer.answered) == 1 and outcome[str(bulletin_id)]["decision"] == "reject"
    assert "distribution" not in outcome[str(bulletin_id)]
    with world.session() as session:
        assert session.exec(select(storage.PlaylistItem)).all() == []
        assert storage.get_bulletin(session, bulletin_id).status == storage.BulletinStatus.rejected


def test_a_draft_in_another_language_is_reported_to_the_editor(world: World) -> None:
    english = {
        **DRAFTS[2],
        "external_id": "english",
        "body": "Farmers should protect their rice fields from "
        "rats this season. The commune supports half of the cost of biological bait for every household.",
    }
    good = world.submit(DRAFTS[2])
    bad = world.submit(english)
    with Answerer(world.people["commune"]):
        outcome = produce_bulletins(ProduceRequest(bulletins=[str(bad), str(good)]))
    assert "error" in outcome[str(bad)] and "audio" not in outcome[str(bad)]
    assert outcome[str(good)]["decision"] == "approve"  # one bad draft does not stop the batch
    with world.session() as session:
        note = storage.get_bulletin(session, bad).production_note
        assert "tiếng Việt" in note or "Vietnamese" in note


def test_renditions_are_synthesized_in_worker_processes(world: World) -> None:
    """BANTIN_TASK_RUNNER=processes: text and speech tasks run in a process pool across the cores."""
    from flows.produce import task_runner_for

    ids = [world.submit(raw) for raw in (DRAFTS[1], DRAFTS[2])]
    with Answerer(world.people["province"]):
        outcome = produce_bulletins.with_options(task_runner=task_runner_for("processes"))(
            ProduceRequest(bulletins=[str(i) for i in ids], distribute=False)
        )
    assert {row["decision"] for row in outcome.values()} == {"approve"}
    with world.session() as session:
        for row in outcome.values():
            audio = next(
                r for r in storage.renditions(session, row["version_id"]) if r.kind == RenditionKind.audio
            )
            assert audio.engine == "espeak" and audio.voice == "espeak-vi-north"
            assert audio.duration_s > 5 and -17.0 < audio.loudness_lufs < -15.0
            assert (world.data_dir / "objects" / audio.audio_key).stat().st_size > 10_000
