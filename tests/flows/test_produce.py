"""The production and evaluation flows end to end under a real Prefect server (test harness)."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

import pytest
from sqlmodel import select

import storage
from flows.evaluate import EvaluateRequest, evaluate_reach
from flows.produce import ProduceRequest, produce_bulletins
from flows.review import paused_reviews, submit_review
from storage import ConfirmationEvent, PlaybackStatus, RenditionKind, ReviewDecision

REPO = Path(__file__).resolve().parents[2]
DRAFTS = json.loads((REPO / "bantin" / "demo" / "drafts.json").read_text(encoding="utf-8"))
DEVICES = (REPO / "bantin" / "demo" / "devices.json").read_text(encoding="utf-8")


@pytest.fixture(scope="module", autouse=True)
def prefect_server():  # type: ignore[no-untyped-def]
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings for the flows point at a fresh data dir with the demo province, devices and drafts."""
    monkeypatch.setenv("BANTIN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BANTIN_DATABASE_URL", raising=False)
    monkeypatch.delenv("BANTIN_S3_ENDPOINT", raising=False)
    url = f"sqlite:///{tmp_path / 'bantin.db'}"
    storage.upgrade_database(url)
    engine = storage.make_engine(url)
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        storage.import_records(session=session, rows=storage.parse_records(DEVICES, "json"))
    engine.dispose()
    return tmp_path


def submit(data_dir: Path, raw: dict) -> int:
    engine = storage.make_engine(f"sqlite:///{data_dir / 'bantin.db'}")
    with storage.session_scope(engine) as session:
        bulletin, _, _ = storage.save_draft(session=session, draft=storage.BulletinDraft.model_validate(raw))
    engine.dispose()
    return bulletin.id


class Reviewer(threading.Thread):
    """Answers every paused review through Prefect's resume API with one decision."""

    def __init__(self, decision: ReviewDecision) -> None:
        super().__init__(daemon=True)
        self.decision, self.done, self.answered = decision, threading.Event(), 0

    def run(self) -> None:
        while not self.done.wait(0.5):
            for paused in paused_reviews():
                submit_review(
                    paused.flow_run_id, decision=self.decision, reviewer="Lê Văn Duyệt", comment="test"
                )
                self.answered += 1


def run_with(decision: ReviewDecision, request: ProduceRequest) -> tuple[dict, int]:
    reviewer = Reviewer(decision)
    reviewer.start()
    try:
        return produce_bulletins(request), reviewer.answered
    finally:
        reviewer.done.set()
        reviewer.join()


def test_approved_bulletin_is_produced_and_distributed(data_dir: Path) -> None:
    bulletin_id = submit(data_dir, DRAFTS[0])
    outcome, answered = run_with(ReviewDecision.approve, ProduceRequest(bulletins=[str(bulletin_id)]))
    row = outcome[str(bulletin_id)]
    assert answered == 1 and row["decision"] == "approve"
    assert row["distribution"]["items_created"] == row["distribution"]["devices"] > 0
    audio = data_dir / "objects" / row["audio"]["audio_key"]
    head = audio.read_bytes()[:3]
    assert head == b"ID3" or (head[0] == 0xFF and head[1] & 0xE0 == 0xE0)  # an MP3 frame sync
    assert row["audio"]["duration_s"] > 5
    engine = storage.make_engine(f"sqlite:///{data_dir / 'bantin.db'}")
    with storage.session_scope(engine) as session:
        kinds = {r.kind for r in storage.renditions(session, row["version_id"])}
        assert kinds == {
            RenditionKind.script,
            RenditionKind.spoken,
            RenditionKind.eboard,
            RenditionKind.audio,
        }
        assert storage.get_bulletin(session, bulletin_id).status == storage.BulletinStatus.distributed
        spoken = next(
            r for r in storage.renditions(session, row["version_id"]) if r.kind == RenditionKind.spoken
        )
        assert not any(ch.isdigit() for ch in spoken.text)
    # A rerun finds the approval and the playlist already there: nothing is duplicated, no new pause.
    again, answered_again = run_with(ReviewDecision.reject, ProduceRequest(bulletins=[str(bulletin_id)]))
    assert answered_again == 0 and again[str(bulletin_id)]["distribution"]["items_created"] == 0

    # Devices confirm one play; the evaluation flow counts it and publishes the report.
    with storage.session_scope(engine) as session:
        item = session.exec(select(storage.PlaylistItem)).first()
        device = storage.get_device(session, item.device_id)
        storage.record_confirmations(
            session=session,
            device=device,
            events=[ConfirmationEvent(uuid.uuid4(), item.id, PlaybackStatus.played, storage.utcnow())],
        )
    engine.dispose()
    report = evaluate_reach(EvaluateRequest())
    assert report["totals"]["played"] == 1 and report["totals"]["scheduled"] == row["distribution"]["devices"]
    markdown = (data_dir / "objects" / report["report_keys"]["markdown"]).read_text(encoding="utf-8")
    assert DRAFTS[0]["title"] in markdown


def test_rejected_bulletin_is_never_scheduled(data_dir: Path) -> None:
    bulletin_id = submit(data_dir, DRAFTS[1])
    outcome, answered = run_with(ReviewDecision.reject, ProduceRequest(bulletins=[str(bulletin_id)]))
    assert answered == 1 and outcome[str(bulletin_id)]["decision"] == "reject"
    assert "distribution" not in outcome[str(bulletin_id)]
    engine = storage.make_engine(f"sqlite:///{data_dir / 'bantin.db'}")
    with storage.session_scope(engine) as session:
        assert session.exec(select(storage.PlaylistItem)).all() == []
        assert storage.get_bulletin(session, bulletin_id).status == storage.BulletinStatus.rejected
    engine.dispose()


def test_a_draft_in_another_language_is_reported_to_the_editor(data_dir: Path) -> None:
    english = {
        **DRAFTS[2],
        "external_id": "english",
        "body": "Farmers should protect their rice fields from "
        "rats this season. The commune supports half of the cost of biological bait for every household.",
    }
    good = submit(data_dir, DRAFTS[2])
    bad = submit(data_dir, english)
    outcome, _ = run_with(ReviewDecision.approve, ProduceRequest(bulletins=[str(bad), str(good)]))
    assert "error" in outcome[str(bad)] and "audio" not in outcome[str(bad)]
    assert outcome[str(good)]["decision"] == "approve"  # one bad draft does not stop the batch
    engine = storage.make_engine(f"sqlite:///{data_dir / 'bantin.db'}")
    with storage.session_scope(engine) as session:
        note = storage.get_bulletin(session, bad).production_note
        assert "tiếng Việt" in note or "Vietnamese" in note
    engine.dispose()


def test_renditions_are_synthesized_in_worker_processes(data_dir: Path) -> None:
    """BANTIN_TASK_RUNNER=processes: text and speech tasks run in a process pool across the cores."""
    from flows.produce import task_runner_for

    ids = [submit(data_dir, raw) for raw in DRAFTS[:2]]
    reviewer = Reviewer(ReviewDecision.approve)
    reviewer.start()
    try:
        outcome = produce_bulletins.with_options(task_runner=task_runner_for("processes"))(
            ProduceRequest(bulletins=[str(i) for i in ids], distribute=False)
        )
    finally:
        reviewer.done.set()
        reviewer.join()
    assert {row["decision"] for row in outcome.values()} == {"approve"}
    engine = storage.make_engine(f"sqlite:///{data_dir / 'bantin.db'}")
    with storage.session_scope(engine) as session:
        for row in outcome.values():
            audio = next(
                r for r in storage.renditions(session, row["version_id"]) if r.kind == RenditionKind.audio
            )
            assert audio.engine == "espeak" and audio.voice == "espeak-vi-north"
            assert audio.duration_s > 5 and -17.0 < audio.loudness_lufs < -15.0
            assert (data_dir / "objects" / audio.audio_key).stat().st_size > 10_000
    engine.dispose()
