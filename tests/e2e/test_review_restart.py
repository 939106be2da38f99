"""A review waiting in a deployment's run survives a Prefect server restart and resumes without redoing work.

Real processes only: `prefect server start` (own home, free port), `python -m deployments.serve`, and
`bantin produce` for the run logs. Every process is stopped when the test ends.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
from uuid import UUID

import pytest

from tests.e2e.conftest import BIN, Stack, prefect_client_for, seed_bantin, wait_until

pytestmark = pytest.mark.slow


def read_run(run_id: UUID):  # type: ignore[no-untyped-def]
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id)


def deployments_served() -> bool:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        names = {f"{d.name}" for d in client.read_deployments()}
    return {"on-demand", "review"} <= names


def renditions(stack: Stack, version_id: int) -> list[tuple]:
    """What production made for a version: ids, kinds, creation times, audio keys (a redo changes them)."""
    with sqlite3.connect(stack.data_dir / "bantin.db") as db:
        return db.execute(
            "select id, language, kind, created_at, audio_key from rendition where version_id = ? order by id",
            (version_id,),
        ).fetchall()


def audio_files(stack: Stack) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (stack.data_dir / "objects" / "audio").glob("*")}


def playlist(stack: Stack, version_id: int) -> list[tuple]:
    with sqlite3.connect(stack.data_dir / "bantin.db") as db:
        return db.execute(
            "select p.device_id, p.audio_sha256, r.audio_key from playlist_item p "
            "left join rendition r on r.id = p.rendition_id where p.version_id = ?",
            (version_id,),
        ).fetchall()


def test_bantin_produce_against_a_server_shows_its_run_logs_there(stack: Stack) -> None:
    from prefect.client.schemas.filters import FlowRunFilter, LogFilter, LogFilterFlowRunId

    stack.start_server()
    result = subprocess.run(
        [str(BIN / "bantin"), "produce"], env=stack.env(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert " INFO " not in result.stderr  # the terminal stays quiet; the run's page has the logs
    with prefect_client_for(stack):
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter())
            assert [r.state.type.value for r in runs] == ["COMPLETED"]
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[runs[0].id])))
    assert any(log.level == 20 and "Beginning flow run" in log.message for log in logs), logs


def flow_run_processes(stack: Stack, flow_run_id) -> list:  # type: ignore[no-untyped-def]
    """The processes the served deployments started for one flow run (``python -m prefect.engine``)."""
    import psutil

    found = []
    for worker in stack.workers:
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(worker.pid).children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    if (
                        child.environ().get("PREFECT__FLOW_RUN_ID") == str(flow_run_id)
                        and child.status() != psutil.STATUS_ZOMBIE
                    ):
                        found.append(child.pid)
    return found


def test_waiting_review_survives_a_server_restart_and_resumes_without_redoing_work(stack: Stack) -> None:
    import storage
    from flows.review import paused_reviews, submit_review
    from storage import ReviewDecision

    stack.start_server()
    (bulletin_id,), secret, reviewer_id = seed_bantin(stack, drafts=1)
    stack.serve_deployments()
    with prefect_client_for(stack):
        from prefect.deployments import run_deployment

        wait_until(deployments_served, timeout=180, what="the served deployments")
        produce = run_deployment(
            "produce-bulletins/on-demand",
            parameters={"request": {"bulletins": [str(bulletin_id)]}},
            timeout=0,
        )
        waiting = wait_until(
            lambda: paused_reviews(), timeout=420, what=f"a suspended review run\n{stack.logs()}", every=2
        )[0]
        # Production does not wait for its reviews: it ends once the review run is started.
        wait_until(lambda: read_run(produce.id).state.is_completed(), timeout=60, what="production to end")
        assert read_run(waiting.flow_run_id).state.name == "Suspended"
        made = renditions(stack, waiting.version_id)
        files = audio_files(stack)
        assert any(kind == "audio" for _, _, kind, _, _ in made) and files

        # Suspended on the server; its process is still ending. Stopping the runner before that process
        # has exited makes the runner report the run as crashed, so wait as an operator's restart would.
        wait_until(
            lambda: not flow_run_processes(stack, waiting.flow_run_id),
            timeout=120,
            what="the suspended review run's process to exit",
            every=1,
        )

    stack.close()  # the server and the process running the deployments both go down
    stack.start_server()
    stack.serve_deployments()
    with prefect_client_for(stack):
        wait_until(deployments_served, timeout=180, what="the served deployments after the restart")
        assert read_run(waiting.flow_run_id).state.name == "Suspended"  # still waiting after the restart
        submit_review(
            waiting.flow_run_id,
            reviewer=reviewer_id,
            code=storage.totp_code(secret),
            decision=ReviewDecision.approve,
        )
        done = wait_until(
            lambda: (run := read_run(waiting.flow_run_id)).state.is_final() and run,
            timeout=300,
            what=f"the resumed review run to finish\n{stack.logs()}",
            every=2,
        )
    assert done.state.is_completed(), f"{done.state}\n{stack.logs()}"
    items = playlist(stack, waiting.version_id)
    assert items, "approved but nothing scheduled on the devices"
    approved_audio = {key for _, _, kind, _, key in made if kind == "audio"}
    assert {key for _, _, key in items if key} <= approved_audio
    assert all(sha and f"audio/{sha}.mp3" in approved_audio for _, sha, key in items if key)
    # Nothing finished before the restart was done again: same renditions, same audio files untouched.
    assert renditions(stack, waiting.version_id) == made
    assert audio_files(stack) == files
