"""`bantin languages`, `translate`, `tm import`, `units languages`, `translators` as an officer uses them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bantin.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]
TM_SAMPLE = REPO / "bench" / "data" / "tm_sample.tsv"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BANTIN_DATA_DIR", str(tmp_path))
    for name in (
        "BANTIN_DATABASE_URL",
        "BANTIN_S3_ENDPOINT",
        "BANTIN_TRANSLATION_MODELS_DIR",
        "BANTIN_TTS_MODELS_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    assert runner.invoke(app, ["units", "import", "--province", "Quảng Trị"]).exit_code == 0
    return tmp_path


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def memory_count(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "bantin.db") as db:
        return db.execute("SELECT count(*) FROM translation_memory").fetchone()[0]


def test_languages_and_voices_agree_on_which_language_can_be_synthesized(data_dir: Path) -> None:
    languages = json.loads(invoke("languages", "--json").output)
    voices = json.loads(invoke("voices", "--json").output)["voices"]
    voiced = {v["language"] for v in voices if v["available"]}
    assert {row["code"] for row in languages} >= {"vie", "khm", "tyz", "hnj", "jra", "cjm"}
    for row in languages:
        assert row["speech"].startswith("tổng hợp giọng") == (row["code"] in voiced), row
    khm = next(row for row in languages if row["code"] == "khm")
    assert "bantin audio import" in khm["speech"] and not khm["ready"]  # no voice, no translator yet
    table = invoke("languages").output
    assert "Tiếng Khmer / Khmer" in table and "cần người dịch" not in table.split("\n\n")[0]


def test_translator_makes_the_language_ready(data_dir: Path) -> None:
    assert invoke("units", "languages", "set", "18904", "khm").output.strip() == "18904: vie, khm"
    assert invoke("people", "add", "Thạch Sô Phên", "--unit", "18904", "--role", "translator").exit_code == 0
    khm = next(r for r in json.loads(invoke("languages", "--json").output) if r["code"] == "khm")
    assert khm["ready"] and "người dịch / translator (1)" in khm["text"]
    assert "Thạch Sô Phên" in invoke("translators", "list", "--language", "khm").output
    assert "kế thừa / inherited from 44" not in invoke("units", "languages", "show", "44-18904-01").output
    assert "18904" in invoke("units", "languages", "show", "18904").output


def test_tm_import_then_translate_prints_each_segments_origin(data_dir: Path, tmp_path: Path) -> None:
    result = invoke("tm", "import", str(TM_SAMPLE), "--lang", "khm")
    assert result.exit_code == 0, result.output
    assert "Imported 30 pairs (30 new)" in result.output and memory_count(data_dir) == 30
    script = tmp_path / "script.txt"
    script.write_text(
        "Kính thưa bà con!\n\nBão.\n\nÁp thấp nhiệt đới mạnh lên.\n\nMọi chi tiết xin liên hệ số điện thoại 0914 222 333.",
        encoding="utf-8",
    )
    out = invoke("translate", str(script), "--to", "khm")
    assert out.exit_code == 0, out.output
    assert "[1] bộ nhớ dịch / memory" in out.output and "សូមគោរពបងប្អូន!" in out.output
    assert "[2] thuật ngữ / glossary" in out.output and "ព្យុះ" in out.output
    assert "[3] cần người dịch / needs translator" in out.output and "áp thấp nhiệt đới" in out.output
    assert "0914 222 333" in out.output.split("[4]")[1]
    data = json.loads(invoke("translate", str(script), "--to", "km", "--json").output)
    assert [s["origin"] for s in data["segments"]] == ["memory", "glossary", "needs_translator", "memory"]


def test_unsupported_language_lists_the_supported_ones(data_dir: Path, tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text("Thưa bà con!", encoding="utf-8")
    result = invoke("translate", str(script), "--to", "klingon")
    assert result.exit_code == 2 and "Lỗi:" in result.output and "khm (Tiếng Khmer)" in result.output
    assert invoke("units", "languages", "set", "18904", "xyz").exit_code == 2


def test_malformed_tmx_imports_nothing(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.tmx"
    bad.write_text("<tmx><body><tu><tuv xml:lang='vi'><seg>Thưa bà con!</seg>", encoding="utf-8")
    result = invoke("tm", "import", str(bad), "--lang", "khm")
    assert result.exit_code == 2 and "Chưa nhập gì" in result.output and "not well-formed" in result.output
    assert memory_count(data_dir) == 0


def test_wrong_script_or_empty_translation_in_a_memory_file_imports_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    mixed = tmp_path / "mixed.tsv"
    mixed.write_text(
        "Thưa bà con!\tជម្រាបបងប្អូន!\nKính mời bà con đến dự đầy đủ.\tPlease all come.\n", encoding="utf-8"
    )
    result = invoke("tm", "import", str(mixed), "--lang", "khm")
    assert result.exit_code == 2 and "mục 2" in result.output and "Khmr" in result.output
    empty = tmp_path / "empty.tsv"
    empty.write_text("Thưa bà con!\t \n", encoding="utf-8")
    assert invoke("tm", "import", str(empty), "--lang", "khm").exit_code == 2
    assert memory_count(data_dir) == 0


def test_missing_model_directory_is_reported_in_languages(data_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "models" / "nllb-broken"
    broken.mkdir(parents=True)
    (broken / "config.json").write_text("{", encoding="utf-8")
    result = invoke("languages", "--models-dir", str(tmp_path / "models"))
    assert (
        result.exit_code == 0 and "máy dịch / model" not in result.output
    )  # no language gets a broken model
    assert (
        "nllb-broken" in result.output and "lỗi / broken" in result.output and "config.json" in result.output
    )
    script = tmp_path / "s.txt"
    script.write_text("Thưa bà con!", encoding="utf-8")
    out = invoke("translate", str(script), "--to", "khm", "--models-dir", str(tmp_path / "nowhere"))
    assert out.exit_code == 2 and "không tồn tại" in out.output and "does not exist" in out.output
