"""The review step under a real Prefect server: one run per version, checked answers, edits, timeouts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from prefect.flow_runs import resume_flow_run
from sqlmodel import select

import storage
from flows.produce import ProduceRequest, produce_bulletins
from flows.review import ReviewNotWaiting, paused_review, paused_reviews, submit_review, waiting_form
from storage import ReviewDecision
from tests.flows.conftest import DRAFTS, World, next_pause, paused_for, wait_for

EMERGENCY = DRAFTS[3]  # targets commune 18904
NORMAL_A = DRAFTS[2]  # targets commune 18904
NORMAL_B = DRAFTS[1]  # targets commune 18922


class Production(threading.Thread):
    """A produce_bulletins run in the background (it waits for its reviews)."""

    def __init__(self, *bulletins: int, distribute: bool = True) -> None:
        super().__init__(daemon=True)
        self.request = ProduceRequest(bulletins=[str(b) for b in bulletins], distribute=distribute)
        self.outcome: dict | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.outcome = produce_bulletins(self.request)
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def finish(self) -> dict:
        self.join(timeout=300)
        assert self.error is None, self.error
        assert self.outcome is not None
        return self.outcome


def run_logs(run_id) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    return [(log.level, log.message) for log in logs]


def status_of(world: World, bulletin: int) -> storage.BulletinStatus:
    with world.session() as session:
        return storage.get_bulletin(session, bulletin).status


def recorded(world: World, version_id: int) -> bool:
    with world.session() as session:
        return storage.latest_review(session, version_id) is not None


def refused(world: World, paused, *, reviewer, code: str, decision=ReviewDecision.approve, **extra):  # type: ignore[no-untyped-def]
    """Submit an answer that must be refused: the run waits again, its next form starts with the reason."""
    submit_review(paused.flow_run_id, reviewer=reviewer, code=code, decision=decision, **extra)
    again = next_pause(paused.flow_run_id, paused.pause_key)
    assert again.version_id == paused.version_id
    _, description = waiting_form(again.flow_run_id)
    assert description.startswith("**⚠")
    with world.session() as session:
        assert storage.latest_review(session, paused.version_id) is None
        request = storage.get_review_request(session, paused.version_id)
        assert request.status == storage.ReviewRequestStatus.waiting
    return again, description


def test_every_bad_answer_leaves_the_run_waiting_and_a_good_one_distributes(world: World) -> None:
    commune, province = world.people["commune"], world.people["province"]
    bulletin = world.submit(NORMAL_A)
    production = Production(bulletin)
    production.start()
    paused = paused_for(bulletin=bulletin, world=world)
    schema, sheet = waiting_form(paused.flow_run_id)
    assert set(schema["properties"]["reviewer"]["enum"]) == {
        commune.label,
        province.label,
        world.people["emergency"].label,
    }
    assert schema["properties"]["decision"]["enum"] == ["duyệt", "từ chối", "yêu cầu sửa"]
    assert NORMAL_A["title"] in sheet and "/v1/review/audio/" in sheet

    # A wrong code: the run logs who may approve at WARNING and asks again.
    paused, notice = refused(world, paused, reviewer=commune.id, code="000000")
    assert "sai" in notice and "wrong" in notice and commune.label in notice
    wait_for(
        lambda: any(
            level >= 30 and commune.label in msg and "000000" not in msg
            for level, msg in run_logs(paused.flow_run_id)
        ),
        what="a warning in the run's logs naming who may approve",
    )
    # An expired code (two minutes old).
    old = storage.totp_code(commune.secret, storage.utcnow() - timedelta(minutes=2))
    paused, _ = refused(world, paused, reviewer=commune.id, code=old)
    # Reject without a comment (with a valid code, which is not spent: nothing was recorded).
    paused, notice = refused(
        world, paused, reviewer=commune.id, code=commune.code(), decision=ReviewDecision.reject
    )
    assert "nhận xét" in notice and "comment" in notice
    # An edited script that is empty, then one in English.
    paused, notice = refused(world, paused, reviewer=province.id, code=province.code(), edited_script="   ")
    assert "Kịch bản sửa" in notice
    emergency = world.people["emergency"]
    paused, notice = refused(
        world,
        paused,
        reviewer=emergency.id,
        code=emergency.code(),
        edited_script="Farmers must protect their rice fields from rats this season, says the commune.",
        decision=ReviewDecision.request_changes,
        comment="English",
    )
    assert "tiếng Việt" in notice and "Vietnamese" in notice
    # Someone who is not on the form is refused before anything reaches the run.
    with pytest.raises(storage.NotAuthorised) as not_listed:
        submit_review(
            paused.flow_run_id,
            reviewer=world.people["commune_b"].id,
            code="123456",
            decision=ReviewDecision.approve,
        )
    assert commune.label in not_listed.value.message_vi
    # Straight through Prefect's API (what a crafted form post does), the server refuses a name not on the form.
    outsider = world.people["commune_b"]
    with pytest.raises(RuntimeError, match="reviewer"):
        resume_flow_run(
            paused.flow_run_id,
            run_input={"reviewer": outsider.label, "code": outsider.code(), "decision": "duyệt"},
        )
    assert paused_review(paused.flow_run_id).pause_key == paused.pause_key  # still waiting on the same form
    # A revoked reviewer, still listed on the form built before the revocation.
    with world.session() as session:
        storage.revoke_person(session, commune.id, actor="test")
    paused, _ = refused(world, paused, reviewer=commune.id, code=commune.code())
    # The province reviewer approves; the finished run takes no second answer (a version is reviewed once).
    code = province.code()
    submit_review(paused.flow_run_id, reviewer=province.id, code=code, decision=ReviewDecision.approve)
    outcome = production.finish()[str(bulletin)]
    assert outcome["decision"] == "approve" and outcome["reviewer"] == province.name
    assert outcome["distribution"]["items_created"] > 0
    with pytest.raises(ReviewNotWaiting):
        submit_review(paused.flow_run_id, reviewer=province.id, code=code, decision=ReviewDecision.approve)
    with world.session() as session:
        reviews = session.exec(select(storage.Review)).all()
        assert [(r.person_id, r.decision) for r in reviews] == [(province.id, ReviewDecision.approve)]
        with pytest.raises(storage.ReviewClosed):
            storage.decide_review(
                session,
                version_id=paused.version_id,
                person_ref=province.id,
                code=province.code(),
                decision="approve",
                secret_key=b"flow-tests-secret-key",
            )


def test_a_replayed_code_is_refused_on_another_version(world: World) -> None:
    emergency, commune = world.people["emergency"], world.people["commune"]
    urgent, normal = world.submit(EMERGENCY), world.submit(NORMAL_A)
    production = Production(urgent, normal, distribute=False)
    production.start()
    e, n = paused_for(bulletin=urgent, world=world), paused_for(bulletin=normal, world=world)
    code = emergency.code()
    submit_review(e.flow_run_id, reviewer=emergency.id, code=code, decision=ReviewDecision.approve)
    # The run leaves its pause before it records the review: wait for the record itself, or the
    # replay below can reach the other run first and take the code.
    wait_for(lambda: recorded(world, e.version_id), what="the emergency review to be recorded")
    n, notice = refused(world, n, reviewer=emergency.id, code=code)
    assert "đã được dùng" in notice and "already used" in notice
    submit_review(n.flow_run_id, reviewer=commune.id, code=commune.code(), decision=ReviewDecision.approve)
    outcome = production.finish()
    assert {row["decision"] for row in outcome.values()} == {"approve"}


def test_two_productions_of_one_draft_ask_once_and_record_one_approval(world: World) -> None:
    bulletin = world.submit(NORMAL_B)
    runs = [Production(bulletin), Production(bulletin)]
    for run in runs:
        run.start()
    paused = paused_for(bulletin=bulletin, world=world)
    wait_for(lambda: not all(run.is_alive() for run in runs), what="the second production to find the claim")
    assert [p.flow_run_id for p in paused_reviews() if p.version_id == paused.version_id] == [
        paused.flow_run_id
    ]
    person = world.people["commune_b"]
    submit_review(paused.flow_run_id, reviewer=person.id, code=person.code(), decision=ReviewDecision.approve)
    outcomes = [run.finish()[str(bulletin)] for run in runs]
    assert sorted(o["review"]["status"] for o in outcomes) == ["decided", "elsewhere"]
    assert [o["decision"] for o in outcomes if o["review"]["status"] == "decided"] == ["approve"]
    with world.session() as session:
        assert len(session.exec(select(storage.Review)).all()) == 1
        assert len(session.exec(select(storage.ReviewRequest)).all()) == 1


def test_reviews_are_answered_in_any_order_and_an_emergency_never_waits_behind_them(world: World) -> None:
    a, b, e = world.submit(NORMAL_A), world.submit(NORMAL_B), world.submit(EMERGENCY)
    production = Production(a, b, e)
    production.start()
    paused = {x: paused_for(bulletin=x, world=world) for x in (a, b, e)}
    # The emergency is approved while both normal reviews still wait, then B before A.
    emergency = world.people["emergency"]
    submit_review(
        paused[e].flow_run_id, reviewer=emergency.id, code=emergency.code(), decision=ReviewDecision.approve
    )
    version = paused[e].version_id
    wait_for(
        lambda: status_of(world, e) == storage.BulletinStatus.distributed, what="the emergency distributed"
    )
    assert (
        paused_review(paused[a].flow_run_id) is not None and paused_review(paused[b].flow_run_id) is not None
    )
    for x, who in ((b, "commune_b"), (a, "commune")):
        person = world.people[who]
        submit_review(
            paused[x].flow_run_id, reviewer=person.id, code=person.code(), decision=ReviewDecision.approve
        )
    outcome = production.finish()
    assert {k: v["decision"] for k, v in outcome.items()} == {
        str(a): "approve",
        str(b): "approve",
        str(e): "approve",
    }
    with world.session() as session:
        items = session.exec(
            select(storage.PlaylistItem).where(storage.PlaylistItem.version_id == version)
        ).all()
        assert items and {i.priority for i in items} == {storage.Priority.emergency}


def test_an_edited_script_becomes_a_new_version_reviewed_in_the_same_run(any_world: World) -> None:
    world = any_world
    commune, province = world.people["commune"], world.people["province"]
    bulletin = world.submit(NORMAL_A)
    production = Production(bulletin)
    production.start()
    paused = paused_for(bulletin=bulletin, world=world)
    edited = (
        "Kính thưa bà con! Từ ngày 20/12/2025, xã hỗ trợ một nửa chi phí mồi sinh học diệt chuột cho mọi hộ. "
        "Bà con đăng ký tại trưởng thôn trước ngày 25/12/2025."
    )
    submit_review(
        paused.flow_run_id,
        reviewer=commune.id,
        code=commune.code(),
        decision=ReviewDecision.request_changes,
        comment="Rút gọn / shorter",
        edited_script=edited,
    )
    again = next_pause(paused.flow_run_id, paused.pause_key)
    assert again.flow_run_id == paused.flow_run_id and again.version_id != paused.version_id
    _, sheet = waiting_form(again.flow_run_id)
    assert "mồi sinh học diệt chuột" in sheet and "hai mươi tháng mười hai" in sheet  # the spoken form
    submit_review(
        again.flow_run_id, reviewer=province.id, code=province.code(), decision=ReviewDecision.approve
    )
    outcome = production.finish()[str(bulletin)]
    assert outcome["review"]["versions"] == [paused.version_id, again.version_id]
    assert outcome["decision"] == "approve" and outcome["distribution"]["items_created"] > 0
    with world.session() as session:
        old = storage.latest_review(session, paused.version_id)
        new = storage.latest_review(session, again.version_id)
        assert old.decision == ReviewDecision.request_changes and new.decision == ReviewDecision.approve
        script = next(
            r.text
            for r in storage.renditions(session, again.version_id)
            if r.kind == storage.RenditionKind.script
        )
        assert script == edited
        assert storage.edited_from(session, paused.version_id) == again.version_id
        assert storage.edited_from(session, again.version_id) is None
        items = session.exec(select(storage.PlaylistItem)).all()
        assert {i.version_id for i in items} == {again.version_id}


def test_a_review_left_by_a_run_that_ended_is_taken_over_by_the_next_production(any_world: World) -> None:
    """`bantin produce` killed while waiting: the next production asks again instead of skipping the bulletin."""
    import uuid

    from flows.produce import prepare_text, synthesize
    from flows.settings import PipelineSettings

    world = any_world
    bulletin = world.submit(NORMAL_B)
    settings = PipelineSettings()
    with world.session() as session:
        version_id = storage.latest_version(session, bulletin).id
    text = prepare_text(settings, version_id, settings.default_voice)
    synthesize(settings, version_id, text["spoken"], settings.default_voice)
    dead = str(uuid.uuid4())  # a run Prefect never heard of, as after its process was killed
    with world.session() as session:
        storage.claim_review(session, version_id=version_id, flow_run_id=dead)
    production = Production(bulletin, distribute=False)
    production.start()
    taken = paused_for(version_id)
    person = world.people["commune_b"]
    submit_review(taken.flow_run_id, reviewer=person.id, code=person.code(), decision=ReviewDecision.approve)
    assert production.finish()[str(bulletin)]["decision"] == "approve"
    with world.session() as session:
        assert storage.get_review_request(session, version_id).flow_run_id == str(taken.flow_run_id)
        assert [r.person_id for r in session.exec(select(storage.Review)).all()] == [person.id]
        assert not storage.reclaim_review(session, version_id, stale_run_id=dead, flow_run_id="another")


def test_a_review_cancelled_in_the_ui_stays_cancelled_and_the_next_production_asks_again(
    world: World,
) -> None:
    """Cancel on a waiting review run: the run ends cancelled (it is not set running again at its timeout),
    nothing is approved, and the version's review is asked again by the next production."""
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled

    bulletin = world.submit(NORMAL_B)
    production = Production(bulletin, distribute=False)
    production.start()
    waiting = paused_for(bulletin=bulletin, world=world)
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(
            waiting.flow_run_id, Cancelled(message="huỷ từ giao diện / cancelled in the UI"), force=True
        )
    review = production.finish()[str(bulletin)]["review"]
    assert review["status"] == "failed" and "cancelled" in review["error"] and "huỷ" in review["error"]
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(waiting.flow_run_id).state.is_cancelled()
    assert paused_review(waiting.flow_run_id) is None
    with world.session() as session:
        assert storage.latest_review(session, waiting.version_id) is None
        assert (
            storage.get_review_request(session, waiting.version_id).status
            == storage.ReviewRequestStatus.waiting
        )

    again = Production(bulletin, distribute=False)
    again.start()
    asked = paused_for(waiting.version_id)
    assert asked.flow_run_id != waiting.flow_run_id
    person = world.people["commune_b"]
    submit_review(asked.flow_run_id, reviewer=person.id, code=person.code(), decision=ReviewDecision.approve)
    assert again.finish()[str(bulletin)]["decision"] == "approve"
