"""Waiting for a person inside a flow run: Prefect's in-process pause, ended also by a cancellation."""

from __future__ import annotations

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.context import get_run_context
from prefect.exceptions import FlowPauseTimeout, Pause
from prefect.input import RunInput


class RunCancelled(RuntimeError):
    """The run was cancelled (from the Prefect UI or the API) while it waited for a person."""


def pause_in_process(form: type[RunInput], key: str, timeout_s: int, poll_s: float):  # type: ignore[no-untyped-def]
    """Prefect's in-process pause, which also ends when the run is cancelled.

    ``pause_flow_run`` polls only for "running" until its timeout, so a run cancelled while paused
    went on waiting and, at the timeout, was set running again and asked anew. This proposes the
    same Paused state, publishes the form, and polls: running returns the answer, a cancelled (or
    otherwise ended) run raises ``RunCancelled``, the timeout marks it running and raises
    ``FlowPauseTimeout`` as before. A pause the server already took (its answer lost, the client's
    retry refused as a repeat) is waited on the same way."""
    import time

    from prefect.exceptions import Abort
    from prefect.input.run_input import keyset_from_paused_state
    from prefect.states import Paused
    from prefect.utilities.engine import propose_state_sync

    run_id = get_run_context().flow_run.id
    proposed = Paused(timeout_seconds=timeout_s, reschedule=False, pause_key=key)
    keyset = keyset_from_paused_state(proposed)
    proposed.state_details.run_input_keyset = keyset
    get_run_logger().info("Waiting for input / Chờ nhập ý kiến (%s)", key)
    with get_client(sync_client=True) as client:
        try:
            state = propose_state_sync(client=client, state=proposed, flow_run_id=run_id)
        except Abort as refused:
            raise RuntimeError(f"Flow run cannot be paused: {refused}") from None
        except Pause as duplicate:
            state = getattr(duplicate, "state", None)
            if state is None or not state.is_paused() or state.state_details.pause_key != key:
                raise
        if state.is_running():  # this pause was answered before (a rerun after suspension)
            return form.load(keyset)
        if not state.is_paused():
            raise RunCancelled(f"the run left its pause for {state.type.value}: {state.message or ''}")
        form.save(keyset)
        started = time.monotonic()
        while True:
            time.sleep(min(poll_s, max(0.1, timeout_s / 2)))
            run = client.read_flow_run(run_id)
            now = run.state
            if now is not None and now.is_running():
                return form.load(keyset)
            if now is not None and (now.is_final() or now.is_cancelling()):
                raise RunCancelled(
                    f"the run was {now.type.value.lower()} while it waited for a person: {now.message or ''}"
                )
            if time.monotonic() - started >= timeout_s:
                break
    resume_running()
    raise FlowPauseTimeout("Flow run was paused and never resumed.")


def resume_running() -> None:
    """After a pause timed out the server still shows the run paused: mark it running again."""
    from prefect.states import Running

    run_id = get_run_context().flow_run.id
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run_id, Running(), force=True)
