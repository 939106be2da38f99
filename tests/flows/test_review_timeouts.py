"""Review timeouts by priority, with timeouts of seconds: expiry, escalation, the emergency pool."""

from __future__ import annotations

import pytest
from sqlmodel import select

import storage
from flows.review import ReviewNotWaiting, submit_review, waiting_form
from storage import ReviewDecision
from tests.flows.conftest import DRAFTS, World, next_pause, paused_for
from tests.flows.test_review import Production

NORMAL = DRAFTS[2]  # commune 18904
EMERGENCY = DRAFTS[3]  # commune 18904
PRIORITY = {**DRAFTS[2], "external_id": "priority-rats", "priority": "priority"}


def review_sheet_artifact(version_id: int) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        artifact = client.read_latest_artifacts()  # newest version of every key
    return next(a.data for a in artifact if a.key == f"review-v{version_id}")


def reviewers_on_form(run_id) -> set[str]:  # type: ignore[no-untyped-def]
    schema, _ = waiting_form(run_id)
    return set(schema["properties"]["reviewer"]["enum"])


def test_a_normal_bulletin_expires_unapproved(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANTIN_REVIEW_TIMEOUT_SECONDS", "3")
    bulletin = world.submit(NORMAL)
    production = Production(bulletin)
    production.start()
    paused = paused_for(bulletin=bulletin, world=world)
    outcome = production.finish()[str(bulletin)]
    assert outcome["review"]["status"] == "expired" and outcome["decision"] is None
    assert "distribution" not in outcome
    commune = world.people["commune"]
    with pytest.raises(ReviewNotWaiting):  # approving an expired version through its run
        submit_review(
            paused.flow_run_id, reviewer=commune.id, code=commune.code(), decision=ReviewDecision.approve
        )
    with world.session() as session:
        assert storage.get_bulletin(session, bulletin).status == storage.BulletinStatus.expired
        request = storage.get_review_request(session, paused.version_id)
        assert request.status == storage.ReviewRequestStatus.expired
        with pytest.raises(storage.ReviewClosed) as closed:  # and directly
            storage.decide_review(
                session,
                version_id=paused.version_id,
                person_ref=commune.id,
                code=commune.code(),
                decision="approve",
                secret_key=b"flow-tests-secret-key",
            )
        assert "hết hạn" in closed.value.message_vi
    with world.session() as session:
        assert session.exec(select(storage.Review)).all() == []
        assert session.exec(select(storage.PlaylistItem)).all() == []
        assert "expired" in [e.action for e in storage.bulletin_history(session, bulletin)]


def test_a_priority_review_escalates_one_level_up(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANTIN_REVIEW_ESCALATION_SECONDS", "3")
    commune, province = world.people["commune"], world.people["province"]
    bulletin = world.submit(PRIORITY)
    production = Production(bulletin)
    production.start()
    first = paused_for(bulletin=bulletin, world=world)
    assert commune.label in reviewers_on_form(first.flow_run_id)
    assert province.label not in reviewers_on_form(first.flow_run_id)
    escalated = next_pause(first.flow_run_id, first.pause_key)
    _, description = waiting_form(escalated.flow_run_id)
    assert province.label in reviewers_on_form(escalated.flow_run_id) and "Escalated" in description
    submit_review(
        escalated.flow_run_id, reviewer=province.id, code=province.code(), decision=ReviewDecision.approve
    )
    outcome = production.finish()[str(bulletin)]
    assert outcome["decision"] == "approve" and outcome["reviewer"] == province.name
    with world.session() as session:
        assert storage.get_review_request(session, first.version_id).level == 1
        assert "escalated" in [e.action for e in storage.bulletin_history(session, bulletin)]
    sheet = review_sheet_artifact(first.version_id)
    assert province.label in sheet and "Cấp duyệt / Review level: 1" in sheet


def test_an_emergency_goes_to_the_emergency_reviewers_then_escalates(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_EMERGENCY_REVIEW_TIMEOUT_SECONDS", "3")
    emergency, commune = world.people["emergency"], world.people["commune"]
    bulletin = world.submit(EMERGENCY)
    production = Production(bulletin)
    production.start()
    first = paused_for(bulletin=bulletin, world=world)
    assert reviewers_on_form(first.flow_run_id) == {emergency.label}
    escalated = next_pause(first.flow_run_id, first.pause_key)
    assert {emergency.label, commune.label} <= reviewers_on_form(escalated.flow_run_id)
    submit_review(
        escalated.flow_run_id, reviewer=commune.id, code=commune.code(), decision=ReviewDecision.approve
    )
    outcome = production.finish()[str(bulletin)]
    assert outcome["decision"] == "approve" and outcome["reviewer"] == commune.name
    assert outcome["distribution"]["items_created"] > 0
    with world.session() as session:
        assert storage.get_review_request(session, first.version_id).level >= 1


def test_a_review_left_waiting_past_its_window_is_expired_by_the_next_production(world: World) -> None:
    """A suspended run looks at its deadline only when it runs again; production expires such reviews first."""
    from datetime import timedelta

    from flows.review import expire_overdue
    from flows.settings import PipelineSettings

    normal, urgent = world.submit(NORMAL), world.submit(PRIORITY)
    past = storage.utcnow() - timedelta(minutes=5)
    with world.session() as session:
        versions = {b: storage.latest_version(session, b).id for b in (normal, urgent)}
        for version_id in versions.values():
            storage.claim_review(session, version_id=version_id, flow_run_id="a-suspended-run", due_at=past)
    assert expire_overdue(PipelineSettings()) == [versions[normal]]
    with world.session() as session:
        assert storage.get_bulletin(session, normal).status == storage.BulletinStatus.expired
        assert (
            storage.get_review_request(session, versions[urgent]).status
            == storage.ReviewRequestStatus.waiting
        )


def test_a_version_without_speech_is_not_put_up_for_review(world: World) -> None:
    from flows.review import ReviewRequestParams, review_bulletin

    bulletin = world.submit(NORMAL)
    with world.session() as session:
        version_id = storage.latest_version(session, bulletin).id
    state = review_bulletin(ReviewRequestParams(version_id=version_id), return_state=True)
    error = state.result(raise_on_failure=False)
    assert isinstance(error, ReviewNotWaiting) and f"bantin produce {bulletin}" in error.message_en
    with world.session() as session:
        assert storage.get_review_request(session, version_id) is None  # not frozen, still a draft
        assert not storage.version_frozen(session, version_id)
