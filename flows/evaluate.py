"""Evaluation flow: reach per bulletin, language and administrative level, as a Prefect artifact."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field

import storage
from flows import stages
from flows.settings import PipelineSettings


class Period(StrEnum):
    all = "all"
    day = "day"
    annual = "annual"


class EvaluateRequest(BaseModel):
    """Which period to evaluate: the Prefect UI shows this as the run form."""

    period: Period = Field(Period.all, description="all, day (yesterday) or annual (15 Dec - 14 Dec).")
    on: date | None = Field(None, description="A day inside the period; empty means today.")


def period_bounds(period: Period, on: date, timezone: str) -> tuple[datetime | None, datetime | None]:
    """UTC bounds of a period; the annual data period runs 15 December to 14 December."""
    tz = ZoneInfo(timezone)
    if period == Period.all:
        return None, None
    if period == Period.day:
        start = datetime.combine(on - timedelta(days=1), time(0), tzinfo=tz)
        return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
    year = on.year if (on.month, on.day) >= (12, 15) else on.year - 1
    start = datetime.combine(date(year, 12, 15), time(0), tzinfo=tz)
    return start.astimezone(UTC), datetime.combine(date(year + 1, 12, 15), time(0), tzinfo=tz).astimezone(UTC)


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def measure_reach(settings: PipelineSettings, since: datetime | None, until: datetime | None) -> dict:
    """Count scheduled, delivered and played items per group."""
    with stages.open_session(settings) as session:
        report = storage.reach(session=session, since=since, until=until)
    return {group: [row.to_dict() for row in rows] for group, rows in report.items()}


@task(retries=3, retry_delay_seconds=5, cache_policy=NO_CACHE)
def publish_report(settings: PipelineSettings, markdown: str, data: dict, name: str) -> dict:
    """Keep the report in the object store (Markdown and JSON)."""
    store = stages.object_store(settings)
    keys = {"markdown": f"reports/{name}.md", "json": f"reports/{name}.json"}
    store.put(keys["markdown"], markdown.encode(), "text/markdown; charset=utf-8")
    store.put(keys["json"], json.dumps(data, ensure_ascii=False, indent=2).encode(), "application/json")
    return keys


@flow(name="evaluate-reach", log_prints=True)
def evaluate_reach(request: EvaluateRequest) -> dict:
    """Measure reach for a period and publish it as a Prefect artifact and a stored report."""
    settings = PipelineSettings()
    on = request.on or datetime.now(ZoneInfo(settings.timezone)).date()
    since, until = period_bounds(request.period, on, settings.timezone)
    data = measure_reach(settings, since, until)
    rows = {
        group: [storage.ReachRow(**{k: v for k, v in row.items() if k != "delivery_rate"}) for row in rows]
        for group, rows in data.items()
    }
    title = "Đánh giá hiệu quả truyền thanh cơ sở / Reach of grassroots bulletins"
    markdown = stages.reach_markdown(rows, title=title, since=since, until=until)
    create_markdown_artifact(key=f"reach-{request.period.value}", markdown=markdown, description=title)
    create_table_artifact(key=f"reach-{request.period.value}-bulletins", table=data.get("bulletin", []))
    keys = publish_report(settings, markdown, data, f"reach-{request.period.value}-{on.isoformat()}")
    totals = {"scheduled": 0, "delivered": 0, "played": 0, "failed": 0}
    for row in data.get("bulletin", []):
        for name in totals:
            totals[name] += row[name]
    rate = totals["played"] / totals["scheduled"] if totals["scheduled"] else 0.0
    return {
        "period": request.period.value,
        "totals": totals,
        "delivery_rate": round(rate, 4),
        "groups": data,
        "report_keys": keys,
    }
