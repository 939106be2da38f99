"""Upward export, version 1: bulletins, broadcasts and reach metrics per unit and period, JSON or CSV.

For the provincial and central information systems. Each request carries an API key (header
``X-API-Key``) issued with ``bantin export-key create --unit CODE``; a key reads its unit and
everything below it.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

import storage
from gateway.deps import ResourcesDep, SessionDep

SCHEMA_VERSION = "1"
export_router = APIRouter(prefix="/export/v1", tags=["export v1"])


class PeriodKind(StrEnum):
    day = "day"
    month = "month"
    annual = "annual"


class Format(StrEnum):
    json = "json"
    csv = "csv"


class ExportOut(BaseModel):
    """Every JSON export: the schema version, what was asked, and rows."""

    schema_version: str = Field(
        SCHEMA_VERSION, description="Changes only when fields change meaning or go away."
    )
    unit: str
    period: dict[str, Any] = Field(description="kind, first and last local day, time zone.")
    rows: list[dict[str, Any]]


class ErrorOut(BaseModel):
    error: str
    message_vi: str
    message_en: str
    details: list[str] = []


ERRORS = {
    400: {"model": ErrorOut, "description": "Bad period"},
    401: {"model": ErrorOut, "description": "Missing, wrong or revoked API key"},
    403: {"model": ErrorOut, "description": "The unit is outside the key's subtree"},
    404: {"model": ErrorOut, "description": "Unknown unit"},
}
KeyHeader = Annotated[str | None, Header(alias="X-API-Key", description="The key of the upper-level system.")]
UnitPath = Annotated[str, PathParam(max_length=32, description="Unit code (GSO code or village code).")]
KindQuery = Annotated[PeriodKind, Query(description="day, month, or annual (15 Dec - 14 Dec).")]
YearQuery = Annotated[int | None, Query(ge=2000, le=2200, description="month and annual: the year.")]
MonthQuery = Annotated[int | None, Query(ge=1, le=12, description="month: 1-12.")]
DayQuery = Annotated[date | None, Query(description="day: the local date.")]
FormatQuery = Annotated[Format, Query(description="json (default) or csv.")]


def _error(status: int, exc: storage.StorageError) -> JSONResponse:
    body = {"error": exc.code, "message_vi": exc.message_vi, "message_en": exc.message_en, "details": []}
    return JSONResponse(body, status_code=status)


def _period(kind: PeriodKind, year: int | None, month: int | None, day: date | None, timezone: str):  # type: ignore[no-untyped-def]
    missing = storage.InvalidPeriod(
        "give year for annual, year and month for month, day for day",
        "hãy cho năm (annual), năm và tháng (month), hoặc ngày (day)",
    )
    if kind == PeriodKind.annual:
        if year is None:
            raise missing
        return storage.check_period(storage.annual_period(year, timezone))
    if kind == PeriodKind.month:
        if year is None or month is None:
            raise missing
        return storage.check_period(storage.monthly_period(year, month, timezone))
    if day is None:
        raise missing
    return storage.check_period(storage.day_period(day, timezone))


def _respond(unit: str, period, rows: list[dict], fmt: Format, name: str) -> Response:  # type: ignore[no-untyped-def]
    if fmt == Format.csv:
        buffer = io.StringIO()
        columns = list(rows[0]) if rows else ["empty"]
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        filename = f"bantin-{name}-v{SCHEMA_VERSION}-{unit}-{period.slug}.csv"
        return Response(
            "\ufeff" + buffer.getvalue(),  # a BOM so spreadsheets read Vietnamese as UTF-8
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "X-Schema-Version": SCHEMA_VERSION,
            },
        )
    body = ExportOut(
        unit=unit,
        period={
            "kind": period.kind,
            "first": period.first.isoformat() if period.first else None,
            "last": period.last.isoformat() if period.last else None,
            "timezone": period.timezone,
        },
        rows=rows,
    )
    return JSONResponse(body.model_dump(mode="json"), headers={"X-Schema-Version": SCHEMA_VERSION})


def _run(session, resources, api_key, unit_code, kind, year, month, day, produce):  # type: ignore[no-untyped-def]
    """Authenticate, scope, parse the period, then produce rows; storage errors become bilingual answers."""
    try:
        key = storage.authenticate_export_key(session, api_key)
    except storage.StorageError as exc:
        return _error(401, exc), None, None
    try:
        code = storage.check_export_scope(session, key, unit_code)
    except storage.UnknownUnit as exc:
        return _error(404, exc), None, None
    except storage.NotAuthorised as exc:
        return _error(403, exc), None, None
    try:
        period = _period(kind, year, month, day, resources.timezone)
        return None, code, (period, produce(code, period))
    except storage.StorageError as exc:
        return _error(400, exc), None, None


_RESPONSES = {**ERRORS, 200: {"content": {"application/json": {}, "text/csv": {}}, "model": ExportOut}}


@export_router.get("/units/{unit_code}/bulletins", responses=_RESPONSES, response_model=ExportOut)
def export_bulletins(
    unit_code: UnitPath,
    session: SessionDep,
    resources: ResourcesDep,
    period: KindQuery,
    api_key: KeyHeader = None,
    year: YearQuery = None,
    month: MonthQuery = None,
    day: DayQuery = None,
    format: FormatQuery = Format.json,
) -> Response:
    """Bulletins approved in the period and addressed to the unit, its subtree or the units above it."""
    failed, code, result = _run(
        session,
        resources,
        api_key,
        unit_code,
        period,
        year,
        month,
        day,
        lambda c, p: storage.export_bulletins(session, unit_code=c, period=p),
    )
    return failed or _respond(code, result[0], result[1], format, "bulletins")


@export_router.get("/units/{unit_code}/broadcasts", responses=_RESPONSES, response_model=ExportOut)
def export_broadcasts(
    unit_code: UnitPath,
    session: SessionDep,
    resources: ResourcesDep,
    period: KindQuery,
    api_key: KeyHeader = None,
    year: YearQuery = None,
    month: MonthQuery = None,
    day: DayQuery = None,
    format: FormatQuery = Format.json,
) -> Response:
    """Broadcasts per bulletin, language and unit: scheduled, delivered, played, in full, on time."""

    def rows(code: str, p) -> list[dict]:  # type: ignore[no-untyped-def]
        metrics = storage.reach_metrics(session=session, period=p, unit_code=code, detail=True)
        return [r.to_dict() for r in metrics.detail]

    failed, code, result = _run(session, resources, api_key, unit_code, period, year, month, day, rows)
    return failed or _respond(code, result[0], result[1], format, "broadcasts")


@export_router.get("/units/{unit_code}/metrics", responses=_RESPONSES, response_model=ExportOut)
def export_metrics(
    unit_code: UnitPath,
    session: SessionDep,
    resources: ResourcesDep,
    period: KindQuery,
    api_key: KeyHeader = None,
    year: YearQuery = None,
    month: MonthQuery = None,
    day: DayQuery = None,
    format: FormatQuery = Format.json,
) -> Response:
    """Reach rolled up per unit (the unit and every unit below it), with the essential-bulletin headline."""

    def rows(code: str, p) -> list[dict]:  # type: ignore[no-untyped-def]
        metrics = storage.reach_metrics(session=session, period=p, unit_code=code)
        head = metrics.headline
        return [
            r.to_dict() | {"essential_reached_all": head.reached_all, "essential": head.essential}
            if r.key["unit_code"] == code
            else r.to_dict()
            for r in metrics.by_unit
        ]

    failed, code, result = _run(session, resources, api_key, unit_code, period, year, month, day, rows)
    return failed or _respond(code, result[0], result[1], format, "metrics")
