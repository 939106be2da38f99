"""The scheduled deployments (nightly production, daily and annual evaluation) really get runs on a server."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import Stack, prefect_client_for, wait_until

pytestmark = pytest.mark.slow


def scheduled_runs(deployment_ids: dict[str, object]) -> dict[str, list]:  # type: ignore[type-arg]
    """Scheduled flow runs per deployment name."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with get_client(sync_client=True) as client:
        return {
            name: client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
            )
            for name, deployment_id in deployment_ids.items()
        }


def test_cron_deployments_get_scheduled_runs_at_local_times(stack: Stack) -> None:
    stack.start_server(PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="3")
    with prefect_client_for(stack):
        from deployments.serve import build_deployments

        cron = {d.name: d for d in build_deployments() if d.schedules}
        ids = {name: deployment.apply() for name, deployment in cron.items()}

        def every_one_scheduled() -> bool:
            return all(scheduled_runs(ids).values())

        wait_until(every_one_scheduled, timeout=120, what=f"scheduled runs of {sorted(ids)}", every=2)
        runs = scheduled_runs(ids)

    assert {"nightly", "daily", "annual"} <= set(runs)
    local = ZoneInfo("Asia/Ho_Chi_Minh")
    nightly = {run.expected_start_time.astimezone(local).strftime("%H:%M") for run in runs["nightly"]}
    annual = {run.expected_start_time.astimezone(local).strftime("%d/%m %H:%M") for run in runs["annual"]}
    assert nightly == {"02:00"}  # the morning programme is produced at 02:00 local time, every night
    assert annual == {"15/12 06:00"}
    assert all(run.state.is_scheduled() for found in runs.values() for run in found)
