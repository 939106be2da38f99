"""`bantin status`, `bantin report annual|monthly` and `bantin officer code` as an official uses them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

import storage
from bantin.cli import app
from tests.storage.test_metrics import build_reach_world

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BANTIN_DATA_DIR", str(tmp_path))
    for name in ("BANTIN_DATABASE_URL", "BANTIN_S3_ENDPOINT", "BANTIN_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'bantin.db'}"
    storage.upgrade_database(url)
    engine = storage.make_engine(url)
    build_reach_world(engine)
    with storage.session_scope(engine) as session:
        storage.record_heartbeat(
            session=session,
            device=storage.get_device(session, "D1"),
            fm_fallback=True,
            free_storage_bytes=2_500_000_000,
        )
    engine.dispose()
    return tmp_path


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_annual_report_writes_vietnamese_html_and_a_workbook(data_dir: Path) -> None:
    from openpyxl import load_workbook

    result = invoke("report", "annual", "--year", "2026", "--unit", "C1", "--out", str(data_dir / "out"))
    assert result.exit_code == 0, result.output
    assert "15/12/2025 – 14/12/2026" in result.output
    html = (data_dir / "out" / "bao-cao-annual-2025-12-15-C1.html").read_text(encoding="utf-8")
    assert "Kỳ báo cáo" in html and "Xã Một (C1)" in html and html.count("data:image/png;base64,") == 4
    assert "Xã Hai" not in html  # outside C1
    book = load_workbook(io.BytesIO((data_dir / "out" / "bao-cao-annual-2025-12-15-C1.xlsx").read_bytes()))
    units = book["Don vi"]
    assert [c.value for c in units[1]][:2] == ["Mã đơn vị / Unit code", "Đơn vị / Unit"]
    assert {units.cell(row=r, column=1).value for r in range(2, units.max_row + 1)} == {"C1", "V1", "V2"}


def test_monthly_report_has_a_detail_sheet(data_dir: Path) -> None:
    from openpyxl import load_workbook

    result = invoke("report", "monthly", "--year", "2026", "--month", "11", "--out", str(data_dir))
    assert result.exit_code == 0, result.output
    book = load_workbook(data_dir / "bao-cao-month-2026-11-01-all.xlsx")
    assert book["Chi tiet"].max_row == 1 + 5  # B1: khm V1, vie V1, vie V2, vie C1; B2: vie V3


def test_status_shows_devices_and_ratings_of_the_subtree(data_dir: Path) -> None:
    result = invoke("status", "--unit", "C1")
    assert result.exit_code == 0, result.output
    assert "Thiết bị / Devices: 1/3 trực tuyến / online" in result.output  # D1, D2, E1; DM moved away
    assert "FM dự phòng" in result.output and "D3" not in result.output
    d1 = next(line for line in result.output.splitlines() if line.strip().startswith("D1 "))
    assert "còn trống / free storage 2,5 GB" in d1
    assert "thien_tai: 4.0/5" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("status", "--unit", "NOPE"), "không có đơn vị hành chính"),
        (("report", "annual", "--year", "2031"), "chưa bắt đầu"),
        (("report", "monthly", "--year", "2026", "--month", "13"), "không hợp lệ"),
        (("report", "annual", "--year", "2026", "--unit", "NOPE"), "không có đơn vị hành chính"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    data_dir: Path, args: tuple[str, ...], message: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_officer_code_is_shown_once_and_only_for_officers(data_dir: Path) -> None:
    url = f"sqlite:///{data_dir / 'bantin.db'}"
    engine = storage.make_engine(url)
    with storage.session_scope(engine) as session:
        officer, _ = storage.add_person(
            session, name="Cán Bộ Xã", unit_code="C1", role="officer", secret_key=b"unused" * 6
        )
    engine.dispose()
    result = invoke("officer", "code", str(officer.id))
    assert result.exit_code == 0 and "otpauth://totp/" in result.output
    refused = invoke("officer", "code", "#999")
    assert refused.exit_code == 2 and "Lỗi:" in refused.output


def test_the_annual_report_renders_with_its_charts_in_chromium(data_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.gateway.test_officer import CHROMIUM_ARGS, SCREENSHOTS

    assert invoke("report", "annual", "--year", "2026", "--out", str(data_dir)).exit_code == 0
    report = data_dir / "bao-cao-annual-2025-12-15-all.html"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(report.as_uri())
        widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        assert len(widths) == 4 and all(w > 300 for w in widths)  # every chart decoded
        assert page.locator("h1").inner_text().startswith("Đánh giá hiệu quả truyền thanh cơ sở")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "annual-report.png"), full_page=True)
        browser.close()


def test_export_keys_are_issued_once_and_scoped(data_dir: Path) -> None:
    result = invoke("export-key", "create", "--unit", "C1", "--name", "Hệ thống thông tin nguồn trung ương")
    assert result.exit_code == 0 and "X-API-Key: bte_" in result.output
    assert invoke("export-key", "create", "--unit", "NOPE", "--name", "x").exit_code == 2
    assert invoke("export-key", "revoke", "1").exit_code == 0
