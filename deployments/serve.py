"""Deployments and schedules (Asia/Ho_Chi_Minh), defined once; `python -m deployments.serve` serves them all.

`deployments/prefect.yaml` (for a server with workers) is generated from this list by
`python -m deployments.prefect_yaml`, and a test keeps the two identical.
"""

from __future__ import annotations

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.editor import write_bulletin
from flows.evaluate import EvaluateRequest, Period, evaluate_reach
from flows.produce import ProduceRequest, produce_bulletins
from flows.review import review_bulletin
from flows.translate import translate_bulletin

TIMEZONE = "Asia/Ho_Chi_Minh"


def build_deployments(timezone: str = TIMEZONE) -> list[RunnerDeployment]:
    """Nightly, on-demand and emergency production; the editor's form; reviews; translations; daily and annual evaluation."""
    produce = {"request": ProduceRequest().model_dump(mode="json")}
    return [
        produce_bulletins.to_deployment(
            name="nightly",
            schedules=[Cron("0 2 * * *", timezone=timezone)],
            parameters=produce,
            description="Every draft waiting, produced at 02:00 for the morning broadcast window.",
            tags=["nightly"],
        ),
        produce_bulletins.to_deployment(
            name="on-demand",
            parameters=produce,
            description="Sản xuất ngay các bản tin đã chọn (điền mã bản tin; để trống là mọi bản tin đang chờ). "
            "/ Produce chosen bulletins now (bulletin ids; empty means every draft waiting).",
            tags=["on-demand"],
        ),
        produce_bulletins.to_deployment(
            name="emergency",
            parameters=produce,
            description="Emergency bulletins: no schedule, highest priority, pre-empt device playlists.",
            tags=["emergency"],
        ),
        write_bulletin.to_deployment(
            name="editor",
            description="Soạn bản tin mới: lưu bản tin rồi sản xuất bản đọc, âm thanh và gửi người duyệt. "
            "/ Write a new bulletin: it is stored, produced and sent for review.",
            tags=["editor"],
        ),
        review_bulletin.to_deployment(
            name="review",
            description="One bulletin version's review: the sheet, the reviewer's decision, then distribution. "
            "Started by the production flow, one run per version.",
            tags=["review"],
        ),
        translate_bulletin.to_deployment(
            name="translate",
            description="Bản dịch một phiên bản sang một ngôn ngữ: chờ người dịch nhập những câu máy chưa dịch được, "
            "rồi gửi đi duyệt khi mọi ngôn ngữ đã sẵn sàng. / One version translated into one language: waits for a "
            "translator's typed input where memory, glossary and model fall short. Started by the production flow.",
            tags=["translation"],
        ),
        evaluate_reach.to_deployment(
            name="daily",
            schedules=[Cron("30 23 * * *", timezone=timezone)],
            parameters={"request": EvaluateRequest(period=Period.day).model_dump(mode="json")},
            description="Reach of yesterday's bulletins.",
            tags=["evaluation"],
        ),
        evaluate_reach.to_deployment(
            name="annual",
            schedules=[Cron("0 6 15 12 *", timezone=timezone)],
            parameters={"request": EvaluateRequest(period=Period.annual).model_dump(mode="json")},
            description="Annual report for the data period 15 December – 14 December.",
            tags=["evaluation"],
        ),
    ]


def main() -> None:
    """Serve every deployment from this process (a worker-free set-up for one server)."""
    serve(*build_deployments())


if __name__ == "__main__":
    main()
