"""Core CLI commands as an officer uses them: clear bilingual errors, nothing half-written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bantin.cli import app

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BANTIN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BANTIN_DATABASE_URL", raising=False)
    monkeypatch.delenv("BANTIN_S3_ENDPOINT", raising=False)
    return tmp_path


def rows(data_dir: Path, table: str) -> int:
    with sqlite3.connect(data_dir / "bantin.db") as db:
        return db.execute(f"select count(*) from {table}").fetchone()[0]


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_db_upgrade_creates_the_schema(data_dir: Path) -> None:
    result = invoke("db", "upgrade")
    assert result.exit_code == 0 and "revision" in result.output
    assert rows(data_dir, "admin_unit") == 0


def test_unknown_province_is_a_clear_error(data_dir: Path) -> None:
    result = invoke("units", "import", "--province", "Sài Gòn Cũ")
    assert result.exit_code == 2
    assert "Lỗi:" in result.output and "Error:" in result.output and "Traceback" not in result.output
    assert rows(data_dir, "admin_unit") == 0


@pytest.fixture
def province(data_dir: Path) -> Path:
    assert invoke("units", "import", "--province", "Quảng Trị").exit_code == 0
    return data_dir


def devices_csv(tmp_path: Path, *devices: str) -> Path:
    """A devices file with village V1 (in commune 18904) and ``devices`` ("ID,name,kind") in it."""
    path = tmp_path / "devices.csv"
    lines = ["type,code,name,parent,kind,languages", "village,V1,Bản A,18904,,vie"]
    lines += [f"device,{d.split(',')[0]},{d.split(',')[1]},V1,{d.split(',')[2]},vie" for d in devices]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_devices_import_prints_tokens_and_rejects_bad_files(province: Path, tmp_path: Path) -> None:
    good = devices_csv(tmp_path, "LOA-1,Cụm loa A,speaker_cluster")
    result = invoke("devices", "import", str(good))
    assert result.exit_code == 0 and "token LOA-1 " in result.output
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"devices": [{"id": "LOA-2", "unit": "V1"}, {"id": "LOA-3", "unit": "NOWHERE"}]})
    )
    result = invoke("devices", "import", str(bad))
    assert result.exit_code == 2 and "NOWHERE" in result.output
    assert rows(province, "device") == 1
    assert invoke("devices", "import", str(tmp_path / "missing.csv")).exit_code == 2


def test_eboards_get_a_login_link_with_their_token(province: Path, tmp_path: Path) -> None:
    devices = devices_csv(tmp_path, "LOA-1,Cụm loa A,speaker_cluster", "BANG-1,Bảng tin A,eboard")
    result = invoke("devices", "import", str(devices), "--board-url", "https://tin.example.vn/")
    assert result.exit_code == 0
    tokens = dict(line.split()[1:] for line in result.output.splitlines() if line.startswith("token "))
    links = dict(line.split()[1:] for line in result.output.splitlines() if line.startswith("board-link "))
    assert set(tokens) == {"LOA-1", "BANG-1"} and set(links) == {"BANG-1"}  # loudspeakers have no page
    assert links["BANG-1"] == f"https://tin.example.vn/v1/devices/BANG-1/board/login#token={tokens['BANG-1']}"

    result = invoke("devices", "token", "BANG-1", "--board-url", "http://10.0.0.5:8080")
    new_token, link = result.output.split()[0], result.output.split()[-1]
    assert result.exit_code == 0 and new_token != tokens["BANG-1"]
    assert link == f"http://10.0.0.5:8080/v1/devices/BANG-1/board/login#token={new_token}"


def test_a_bad_board_url_is_refused_before_the_token_changes(province: Path, tmp_path: Path) -> None:
    devices = devices_csv(tmp_path, "BANG-1,Bảng tin A,eboard")
    assert invoke("devices", "import", str(devices)).exit_code == 0
    with sqlite3.connect(province / "bantin.db") as db:
        before = db.execute("select token_hash from device where id = 'BANG-1'").fetchone()

    result = invoke("devices", "token", "BANG-1", "--board-url", "tin.example.vn")

    assert result.exit_code == 2 and "https://" in result.output
    with sqlite3.connect(province / "bantin.db") as db:
        assert db.execute("select token_hash from device where id = 'BANG-1'").fetchone() == before


def test_empty_draft_is_refused(province: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.json"
    draft.write_text(
        json.dumps({"title": "Tin", "body": " ", "source_unit": "44", "target_units": ["18904"]})
    )
    result = invoke("bulletins", "submit", str(draft))
    assert result.exit_code == 2 and "trống" in result.output
    assert rows(province, "bulletin") == 0


def test_draft_for_an_unknown_unit_is_refused(province: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.json"
    draft.write_text(
        json.dumps({"title": "Tin", "body": "Nội dung.", "source_unit": "44", "target_units": ["00000"]})
    )
    result = invoke("bulletins", "submit", str(draft))
    assert result.exit_code == 2 and "00000" in result.output
    assert rows(province, "bulletin") == 0


def test_recording_for_unknown_bulletin_or_broken_audio_stores_nothing(
    province: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "reading.mp3"
    broken.write_bytes(b"ID3" + b"\x00not really audio" * 100)
    result = invoke("audio", "import", str(broken), "--bulletin", "42", "--language", "khm")
    assert result.exit_code == 2 and "42" in result.output
    draft = tmp_path / "draft.json"
    draft.write_text(
        json.dumps(
            {
                "title": "Tin",
                "body": "Nội dung.",
                "source_unit": "44",
                "target_units": ["18904"],
                "external_id": "rec-1",
            }
        )
    )
    assert invoke("bulletins", "submit", str(draft)).exit_code == 0
    result = invoke("audio", "import", str(broken), "--bulletin", "rec-1", "--language", "khm")
    assert result.exit_code == 2 and "Lỗi:" in result.output
    assert rows(province, "rendition") == 0
    assert not (province / "objects" / "audio").exists() or not list(
        (province / "objects" / "audio").iterdir()
    )
