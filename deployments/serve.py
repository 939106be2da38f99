"""Deployments and schedules (Asia/Ho_Chi_Minh); `python -m deployments.serve` serves them all."""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from flows.evaluate import EvaluateRequest, Period, evaluate_reach
from flows.produce import ProduceRequest, produce_bulletins

TIMEZONE = "Asia/Ho_Chi_Minh"


def build_deployments(timezone: str = TIMEZONE) -> list:  # type: ignore[type-arg]
    """Nightly production, editor-triggered and emergency production, daily and annual evaluation."""
    request = ProduceRequest().model_dump()
    return [
        produce_bulletins.to_deployment(
            name="nightly",
            schedules=[Cron("0 2 * * *", timezone=timezone)],
            parameters={"request": request},
            description="Every draft waiting, produced at 02:00 for the morning broadcast window.",
            tags=["nightly"],
        ),
        produce_bulletins.to_deployment(
            name="editor",
            parameters={"request": request},
            tags=["editor"],
            description="An editor produces chosen bulletins now (fill in the bulletin ids).",
        ),
        produce_bulletins.to_deployment(
            name="emergency",
            parameters={"request": request},
            tags=["emergency"],
            description="Emergency bulletins: no schedule, highest priority, pre-empt device playlists.",
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
