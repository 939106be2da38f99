"""A review run's final state whose answer is lost on the way (Prefect's API busy): production still ends well."""

from __future__ import annotations

import pytest

import storage
from flows.produce import ProduceRequest, produce_bulletins
from tests.flows.conftest import DRAFTS, Answerer, World


def test_a_lost_answer_to_a_review_runs_completion_does_not_fail_the_production(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load Prefect's SQLite database is briefly locked; the server commits a run's Completed state
    but its answer does not arrive, the client sends the same transition again, and the server refuses
    the duplicate with its own copy of the state, which carries no result. Here every flow run's
    Completed answer is lost once, deterministically: the first answer is dropped and the request
    sent again, as the client's retry does."""
    from prefect.client.orchestration.base import BaseClient

    send = BaseClient.request
    resent: list[str] = []

    def losing_request(self, method, path, params=None, path_params=None, **kwargs):  # type: ignore[no-untyped-def]
        completing = (
            method == "POST"
            and path == "/flow_runs/{id}/set_state"
            and kwargs.get("json", {}).get("state", {}).get("type") == "COMPLETED"
        )
        if completing:
            send(self, method, path, params, path_params, **kwargs)  # committed; its answer is lost
            resent.append(str(path_params["id"]))
        return send(self, method, path, params, path_params, **kwargs)

    monkeypatch.setattr(BaseClient, "request", losing_request)
    bulletin_id = world.submit(DRAFTS[2])
    with Answerer(world.people["commune"]) as answerer:
        outcome = produce_bulletins(ProduceRequest(bulletins=[str(bulletin_id)]))
    row = outcome[str(bulletin_id)]
    assert resent  # the review run's completion went through the lost answer
    assert answerer.answered == [row["version_id"]] and row["decision"] == "approve"
    assert row["reviewer"] == world.people["commune"].name
    assert row["distribution"]["items_created"] == row["distribution"]["devices"] > 0
    with world.session() as session:
        assert storage.get_bulletin(session, bulletin_id).status == storage.BulletinStatus.distributed
