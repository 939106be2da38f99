"""The evaluation flow: periods, artifacts, charts and report files in the object store."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import storage
from flows.evaluate import EvaluateRequest, Period, evaluate_reach, report_period
from tests.storage.test_metrics import DAY, build_reach_world

TZ = "Asia/Ho_Chi_Minh"


@pytest.fixture
def reach_env(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BANTIN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BANTIN_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("BANTIN_S3_ENDPOINT", raising=False)
    engine = storage.make_engine(sqlite_url)
    build_reach_world(engine)
    engine.dispose()
    return tmp_path


def test_the_scheduled_annual_run_reports_the_year_that_just_ended() -> None:
    run_at = datetime(2026, 12, 14, 23, 0, tzinfo=UTC)  # 06:00 on 15 December in Hà Nội
    period = report_period(EvaluateRequest(period=Period.annual), run_at, TZ)
    assert (period.first, period.last) == (date(2025, 12, 15), date(2026, 12, 14))
    assert period.label == "15/12/2025 – 14/12/2026"
    explicit = report_period(EvaluateRequest(period=Period.annual, year=2025), run_at, TZ)
    assert explicit.label == "15/12/2024 – 14/12/2025"


def test_the_daily_run_after_the_last_window_reports_today() -> None:
    evening = datetime(2026, 11, 11, 16, 30, tzinfo=UTC)  # 23:30 local
    assert report_period(EvaluateRequest(period=Period.day), evening, TZ).first == date(2026, 11, 11)
    morning = datetime(2026, 11, 11, 1, 0, tzinfo=UTC)  # 08:00 local: yesterday is the last full day
    assert report_period(EvaluateRequest(period=Period.day), morning, TZ).first == date(2026, 11, 10)
    month = report_period(EvaluateRequest(period=Period.month), morning, TZ)
    assert (month.first, month.last) == (date(2026, 10, 1), date(2026, 10, 31))


def test_evaluation_publishes_summary_tables_charts_and_files(reach_env: Path) -> None:
    from openpyxl import load_workbook
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    result = evaluate_reach(EvaluateRequest(period=Period.day, on=DAY))
    assert result["totals"]["scheduled"] == 8 and result["totals"]["played"] == 6
    assert result["period_label"] == "11/11/2026"
    objects = reach_env / "objects"
    keys = result["report_keys"]
    for chart in ("reach_by_commune", "plays_over_time", "device_uptime", "ratings"):
        assert (objects / keys[chart]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (objects / keys["markdown"]).read_text(encoding="utf-8")
    assert "Bão số 9" in summary and "1/2 (50%)" in summary
    assert keys["reach_by_commune"].split("/")[-1] in summary  # the chart is linked from the summary
    html = (objects / keys["html"]).read_text(encoding="utf-8")
    assert "Kỳ báo cáo" in html and "data:image/png;base64," in html
    book = load_workbook(io.BytesIO((objects / keys["xlsx"]).read_bytes()))
    assert {"Tong hop", "Ban tin", "Don vi", "Thiet bi", "Y kien"} <= set(book.sheetnames)
    assert book["Ban tin"]["B1"].value == "Tiêu đề / Title"

    async def artifacts():  # type: ignore[no-untyped-def]
        async with get_client() as client:
            wanted = ArtifactFilter(key=ArtifactFilterKey(any_=["reach-day", "reach-day-units"]))
            return await client.read_artifacts(artifact_filter=wanted)

    import asyncio

    found = {a.key: a for a in asyncio.run(artifacts())}
    assert "Bão số 9" in found["reach-day"].data and "reach_by_commune.png" in found["reach-day"].data
    units = {row["unit_code"]: row for row in json.loads(found["reach-day-units"].data)}
    assert units["C1"]["unit_name"] == "Xã Một" and units["C1"]["targeted"] == 6


def test_an_evaluation_of_a_unit_that_does_not_exist_fails_clearly(reach_env: Path) -> None:
    with pytest.raises(storage.UnknownUnit, match="unknown administrative unit"):
        evaluate_reach(EvaluateRequest(period=Period.day, on=DAY, unit="NOPE"), return_state=True).result()
