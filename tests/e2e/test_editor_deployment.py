"""An editor's draft written in the Prefect UI (the editor deployment) is reviewed in a run of its own."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import Stack, prefect_client_for, seed_bantin, wait_until
from tests.e2e.test_review_restart import read_run

pytestmark = pytest.mark.slow


def editor_served() -> bool:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return {"editor", "review"} <= {d.name for d in client.read_deployments()}


def test_editor_deployment_draft_waits_for_review_in_a_suspended_run_of_its_own(stack: Stack) -> None:
    from flows.review import paused_reviews

    stack.start_server()
    seed_bantin(stack, drafts=0)
    stack.serve_deployments()
    tomorrow = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() + timedelta(days=1)
    draft = {
        "title": "Thông báo lịch tiêm chủng mở rộng",
        "body": "Trạm Y tế xã Dân Hóa tổ chức tiêm chủng mở rộng cho trẻ dưới 5 tuổi vào sáng thứ Bảy. "
        "Phụ huynh mang theo sổ tiêm chủng và đưa trẻ đến trạm trước 10 giờ.",
        "source_unit": "44",
        "target_units": ["18904"],
        "broadcast_date": tomorrow.isoformat(),
        "target_seconds": 20,
    }
    with prefect_client_for(stack):
        from prefect.deployments import run_deployment

        wait_until(editor_served, timeout=180, what="the served deployments")
        editor = run_deployment("write-bulletin/editor", parameters={"draft": draft}, timeout=0)
        waiting = wait_until(
            lambda: paused_reviews(), timeout=420, what=f"a waiting review run\n{stack.logs()}", every=2
        )[0]
        wait_until(lambda: read_run(editor.id).state.is_final(), timeout=120, what="the editor's run to end")
        review, written = read_run(waiting.flow_run_id), read_run(editor.id)

    assert written.state.is_completed(), stack.logs()
    # The review is not a pause inside the editor's run: it is its own run, suspended, so it survives restarts.
    assert review.id != editor.id and review.deployment_id is not None
    assert review.state.name == "Suspended"
