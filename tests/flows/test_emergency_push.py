"""An emergency approved by one pre-authorised emergency reviewer reaches its villages' MQTT topics at once."""

from __future__ import annotations

import socket
import uuid

import pytest

import storage
from bantin.simulator import PollNowListener
from flows.review import submit_review
from storage import ReviewDecision
from tests.flows.conftest import DRAFTS, World, paused_for, wait_for
from tests.flows.test_review import Production

EMERGENCY = DRAFTS[3]  # targets commune 18904: villages 44-18904-01..03
VILLAGES = ["44-18904-01", "44-18904-02", "44-18904-03"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def approve_emergency(world: World) -> tuple[int, dict]:
    """Produce the demo emergency, approve it as the emergency reviewer; its id and the run's outcome for it."""
    bulletin = world.submit(EMERGENCY)
    production = Production(bulletin)
    production.start()
    paused = paused_for(bulletin=bulletin, world=world)
    reviewer = world.people["emergency"]
    submit_review(
        paused.flow_run_id, reviewer=reviewer.id, code=reviewer.code(), decision=ReviewDecision.approve
    )
    return bulletin, production.finish()[str(bulletin)]


def test_an_approved_emergency_tells_every_village_to_poll_now(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"mqtt://127.0.0.1:1883/flow-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("BANTIN_MQTT_URL", url)
    listeners = {code: PollNowListener(url, code) for code in VILLAGES}
    try:
        _, outcome = approve_emergency(world)
        assert outcome["decision"] == "approve"
        for code, listener in listeners.items():
            assert wait_for(lambda lst=listener: lst.notices, timeout=30, what=f"the notice on {code}")
            assert listener.notices[0]["reason"] == "distributed"
        assert "MQTT" not in outcome["distribution"]["notice"]
    finally:
        for listener in listeners.values():
            listener.close()


def test_a_broker_that_is_down_leaves_the_emergency_distributed_and_tells_the_editor(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_MQTT_URL", f"mqtt://127.0.0.1:{closed_port()}")
    bulletin_id, outcome = approve_emergency(world)
    notice = outcome["distribution"]["notice"]
    assert "Không gửi được thông báo MQTT" in notice and "The MQTT notice could not be sent" in notice
    assert outcome["distribution"]["items_created"] >= 3
    with world.session() as session:
        bulletin = session.get(storage.Bulletin, bulletin_id)
        assert bulletin.status == storage.BulletinStatus.distributed
