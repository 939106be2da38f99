"""A pause the server applied but whose answer the client lost still waits for, and returns, the reviewer's input."""

from __future__ import annotations

import threading

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
from prefect.client.schemas.objects import StateType
from prefect.context import get_run_context
from prefect.flow_runs import resume_flow_run
from prefect.input import RunInput
from prefect.input.run_input import keyset_from_paused_state
from prefect.states import Paused
from prefect.utilities.engine import propose_state_sync

from flows.review import _wait
from tests.flows.conftest import wait_for

KEY = "review-v7-0"


class Answer(RunInput):
    decision: str
    description: str = ""


@flow
def pause_already_applied(key: str) -> str:
    # The pause the server applied and the client never heard of, proposed as pause_flow_run proposes
    # it; pause_flow_run's own proposal is then refused and raises Pause (which failed the run before).
    lost = Paused(timeout_seconds=120, reschedule=False, pause_key=key)
    lost.state_details.run_input_keyset = keyset_from_paused_state(lost)
    with get_client(sync_client=True) as client:
        propose_state_sync(client, lost, flow_run_id=get_run_context().flow_run.id)
    return _wait(Answer, "phiếu / sheet", key, timeout_s=120, poll_s=0.2, suspend=False).decision


def _form_published():  # type: ignore[no-untyped-def]
    """The paused run once its form's schema is published (the UI renders the form from it)."""
    keyset = keyset_from_paused_state(Paused(pause_key=KEY))
    # Every paused run, not a page of runs: the session's server holds every earlier test's runs,
    # listed in UUID order.
    paused = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])))
    with get_client(sync_client=True) as client:
        for run in client.read_flow_runs(flow_run_filter=paused):
            if run.state and run.state.is_paused() and run.state.state_details.pause_key == KEY:
                try:
                    client.read_flow_run_input(flow_run_id=run.id, key=keyset["schema"])
                except Exception:
                    return None
                return run
    return None


def test_a_repeated_pause_waits_for_the_reviewer_instead_of_failing_the_run() -> None:
    result: dict = {}
    runner = threading.Thread(target=lambda: result.update(value=pause_already_applied(KEY)), daemon=True)
    runner.start()
    run = wait_for(_form_published, timeout=60, what="the run to wait with its form published")
    resume_flow_run(run.id, run_input={"decision": "approve"})
    runner.join(timeout=60)
    assert result.get("value") == "approve"
