"""Reviews through Prefect's API: find runs paused for a reviewer and resume them with a decision."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
from prefect.client.schemas.objects import StateType
from prefect.flow_runs import resume_flow_run

from storage import ReviewDecision


@dataclass(frozen=True)
class PausedReview:
    """A production run waiting for a reviewer on one bulletin version."""

    flow_run_id: UUID
    flow_run_name: str
    version_id: int | None


def paused_reviews() -> list[PausedReview]:
    """Runs paused for a review, oldest first."""
    state_filter = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(state=state_filter))
    found = []
    for run in runs:
        key = (run.state.state_details.pause_key or "") if run.state else ""
        version = int(key.removeprefix("review-")) if key.startswith("review-") else None
        found.append(PausedReview(run.id, run.name, version))
    return sorted(found, key=lambda p: (p.version_id or 0, str(p.flow_run_id)))


def submit_review(flow_run_id: UUID, *, decision: ReviewDecision, reviewer: str, comment: str = "") -> None:
    """Resume a paused run with the reviewer's typed input (what the UI form does)."""
    resume_flow_run(
        flow_run_id, run_input={"decision": decision.value, "reviewer": reviewer, "comment": comment}
    )
