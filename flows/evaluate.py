"""Evaluation flow: reach metrics for a day, month or statistical year, published with charts and files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field

import storage
from flows import stages
from flows.charts import CHART_TITLES
from flows.settings import PipelineSettings

# The daily run happens after the last broadcast window; earlier in the day it reports yesterday.
DAY_REPORT_AFTER_HOUR = 20
REPORT_TITLE = "Đánh giá hiệu quả truyền thanh cơ sở / Reach of grassroots bulletins"


class Period(StrEnum):
    all = "all"
    day = "day"
    month = "month"
    annual = "annual"


class EvaluateRequest(BaseModel):
    """Which period and area to evaluate: the Prefect UI shows this as the run form."""

    period: Period = Field(Period.all, description="all, day, month or annual (15 Dec - 14 Dec).")
    on: date | None = Field(
        None,
        description="day: the day evaluated; month: a day in the month; annual: the day the report is made "
        "(it covers the statistical year that ended last). Empty means now.",
    )
    year: int | None = Field(
        None, description="annual or month: the year (annual 2026 = 15/12/2025-14/12/2026)."
    )
    month: int | None = Field(None, ge=1, le=12, description="month: 1-12 (with year).")
    unit: str | None = Field(None, description="Only this unit and everything under it; empty means all.")


def report_period(request: EvaluateRequest, now: datetime, timezone: str) -> storage.ReportPeriod:
    """The local period a request names; defaults look back at what has ended."""
    local = now.astimezone(ZoneInfo(timezone))
    today = local.date()
    if request.period == Period.all:
        return storage.all_time(timezone)
    if request.period == Period.day:
        day = request.on or (today if local.hour >= DAY_REPORT_AFTER_HOUR else today - timedelta(days=1))
        return storage.day_period(day, timezone)
    if request.period == Period.month:
        if request.year and request.month:
            return storage.monthly_period(request.year, request.month, timezone)
        on = request.on or (today.replace(day=1) - timedelta(days=1))  # the month that has ended
        return storage.monthly_period(on.year, on.month, timezone)
    year = request.year or storage.last_ended_year(request.on or today)
    return storage.annual_period(year, timezone)


def period_bounds(period: Period, on: date, timezone: str) -> tuple[datetime | None, datetime | None]:
    """UTC bounds of a period as a run made on ``on`` (at noon) would evaluate it."""
    now = datetime.combine(on, datetime.min.time(), tzinfo=ZoneInfo(timezone)).replace(hour=12)
    found = report_period(EvaluateRequest(period=period), now, timezone)
    return found.since, found.until


@dataclass
class Evaluation:
    """What one evaluation measured, ready to be written out."""

    period: storage.ReportPeriod
    unit_label: str
    tables: dict[str, list[dict]]
    totals: dict[str, int]

    @property
    def title(self) -> str:
        return REPORT_TITLE


def measure(
    session, period: storage.ReportPeriod, unit: str | None, now: datetime | None = None
) -> Evaluation:  # type: ignore[no-untyped-def]
    """Compute every table for the period and unit (plain function: the CLI and notebook call it too)."""
    metrics = storage.reach_metrics(session=session, period=period, unit_code=unit, now=now)
    label = "Toàn bộ / All units"
    if unit:
        found = storage.get_unit(session, unit)
        label = f"{found.name} ({found.code})"
    totals = metrics.totals()
    return Evaluation(
        period=period,
        unit_label=label,
        tables=metrics.tables(),
        totals={
            "scheduled": totals.targeted,
            "delivered": totals.delivered,
            "played": totals.played,
            "played_full": totals.played_full,
            "played_on_time": totals.played_on_time,
            "failed": totals.failed,
        },
    )


def report_files(evaluation: Evaluation, *, chart_links: dict[str, str] | None = None) -> dict[str, bytes]:
    """Markdown, JSON, HTML (Vietnamese, charts inside), XLSX and chart PNGs of an evaluation."""
    from flows.charts import evaluation_charts
    from flows.report_files import report_html, report_xlsx, summary_markdown

    charts = evaluation_charts(evaluation.tables)
    label = evaluation.period.label
    markdown = summary_markdown(
        evaluation.tables, title=evaluation.title, period_label=label, chart_links=chart_links or {}
    )
    data = {
        "period": label,
        "unit": evaluation.unit_label,
        "totals": evaluation.totals,
        "tables": evaluation.tables,
    }
    files = {
        "summary.md": markdown.encode(),
        "report.json": json.dumps(data, ensure_ascii=False, indent=1, default=str).encode(),
        "report.html": report_html(
            evaluation.tables,
            title=evaluation.title,
            period_label=label,
            unit_label=evaluation.unit_label,
            charts=charts,
        ).encode(),
        "report.xlsx": report_xlsx(evaluation.tables, title=evaluation.title, period_label=label),
    }
    files.update({f"{name}.png": png for name, png in charts.items()})
    return files


_TYPES = {
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


_KEY_NAMES = {"md": "markdown", "json": "json", "html": "html", "xlsx": "xlsx"}


def report_prefix(evaluation: Evaluation, unit: str | None) -> str:
    return f"reports/{evaluation.period.slug}/{unit or 'all'}"


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def measure_reach(settings: PipelineSettings, request: EvaluateRequest, now: datetime) -> Evaluation:
    """Run the SQL metrics for the requested period and unit."""
    period = report_period(request, now, settings.timezone)
    with stages.open_session(settings) as session:
        return measure(session, period, request.unit, now)


@task(retries=3, retry_delay_seconds=5, cache_policy=NO_CACHE)
def publish_report(
    settings: PipelineSettings, evaluation: Evaluation, unit: str | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Store charts, Markdown, JSON, HTML and XLSX in the object store; their keys and the charts' links."""
    store = stages.object_store(settings)
    prefix = report_prefix(evaluation, unit)
    charts = {name: f"{prefix}/{name}.png" for name in CHART_TITLES}
    links = {name: store.url(key, expires_s=7 * 24 * 3600) or key for name, key in charts.items()}
    keys: dict[str, str] = {}
    for name, data in report_files(evaluation, chart_links=links).items():
        key = f"{prefix}/{name}"
        store.put(key, data, _TYPES[name[name.rindex(".") :]])
        stem, suffix = name.rsplit(".", 1)
        keys[stem if suffix == "png" else _KEY_NAMES[suffix]] = key
    return keys, links


@flow(name="evaluate-reach", log_prints=True)
def evaluate_reach(request: EvaluateRequest) -> dict:
    """Measure reach for a period; publish a summary, tables and charts as artifacts and stored files."""
    settings = PipelineSettings()
    now = datetime.now(UTC)
    evaluation = measure_reach(settings, request, now)
    keys, links = publish_report(settings, evaluation, request.unit)
    from flows.report_files import summary_markdown

    markdown = summary_markdown(
        evaluation.tables, title=REPORT_TITLE, period_label=evaluation.period.label, chart_links=links
    )
    slug = f"reach-{request.period.value}"
    create_markdown_artifact(key=slug, markdown=markdown, description=REPORT_TITLE)
    for name in ("bulletins", "units", "uptime_units", "feedback"):
        create_table_artifact(key=f"{slug}-{name.replace('_', '-')}", table=evaluation.tables[name] or [{}])
    totals = evaluation.totals
    rate = totals["played"] / totals["scheduled"] if totals["scheduled"] else 0.0
    return {
        "period": request.period.value,
        "period_label": evaluation.period.label,
        "unit": request.unit,
        "totals": totals,
        "delivery_rate": round(rate, 4),
        "headline": evaluation.tables["headline"][0],
        "groups": evaluation.tables,
        "report_keys": keys,
        "chart_links": links,
    }
