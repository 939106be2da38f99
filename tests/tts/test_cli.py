"""`bantin voices` and `bantin speak` as an editor runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bantin.cli import app
from tts.config import PROFILES

from .conftest import SAMPLE_SENTENCE, decode, measure

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_local_models(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BANTIN_TTS_MODELS_DIR", raising=False)
    monkeypatch.delenv("BANTIN_DEFAULT_VOICE", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_voices_table_shows_engines_languages_and_licences() -> None:
    result = runner.invoke(app, ["voices"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "ENGINE", "LANG", "REGION", "RATE", "LICENCE", "AVAILABLE"]
    north = next(line for line in lines if line.startswith("espeak-vi-north"))
    assert north.split() == ["espeak-vi-north", "espeak", "vie", "north", "22050", "GPL-3.0", "yes"]
    assert any(line.strip().startswith("coqui") for line in lines)


def test_voices_json_lists_local_models_from_settings(
    monkeypatch: pytest.MonkeyPatch, vits_models_dir: Path
) -> None:
    monkeypatch.setenv("BANTIN_TTS_MODELS_DIR", str(vits_models_dir))
    result = runner.invoke(app, ["voices", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    voices = {v["name"]: v for v in payload["voices"]}
    assert voices["vits-tiny-vie"]["licence"] == "CC-BY-NC-4.0"
    assert voices["vits-tiny-vie"]["available"] is True
    assert {e["engine"] for e in payload["engines"]} >= {"espeak", "vits", "coqui"}


def test_speak_writes_a_mastered_mp3_and_reports_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "bantin.mp3"
    result = runner.invoke(app, ["speak", SAMPLE_SENTENCE + " Hạn chót 15/12/2025.", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "LUFS" in result.stdout and "real-time factor" in result.stdout and "GPL-3.0" in result.stdout
    samples, rate, channels = decode(out.read_bytes())
    assert (rate, channels) == (22050, 1) and len(samples) > rate * 3
    loudness, peak = measure(out.read_bytes())
    assert abs(loudness + 16) <= 0.5 and peak <= -1.0


def test_speak_reads_a_bulletin_file_with_a_chosen_voice_and_profile(tmp_path: Path) -> None:
    bulletin = tmp_path / "draft.json"
    bulletin.write_text(json.dumps({"body": f"{SAMPLE_SENTENCE}\n\n{SAMPLE_SENTENCE}"}), encoding="utf-8")
    out = tmp_path / "portal.mp3"
    args = [
        "speak",
        str(bulletin),
        "-o",
        str(out),
        "--voice",
        "espeak-vi-south",
        "--profile",
        "portal",
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["voice"], payload["profile"], payload["sample_rate"]) == (
        "espeak-vi-south",
        "portal",
        PROFILES["portal"].sample_rate,
    )
    assert decode(out.read_bytes())[1] == PROFILES["portal"].sample_rate


def test_speak_picks_a_voice_for_the_language_from_local_models(
    monkeypatch: pytest.MonkeyPatch, vits_models_dir: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("BANTIN_TTS_MODELS_DIR", str(vits_models_dir))
    out = tmp_path / "khm.mp3"
    result = runner.invoke(app, ["speak", "sala khum thnak", "--language", "khm", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["voice"], payload["language"], payload["licence"]) == (
        "vits-tiny-khm",
        "khm",
        "CC-BY-NC-4.0",
    )
    assert decode(out.read_bytes())[1] == 22050


def test_speak_reads_abbreviations_in_full(tmp_path: Path) -> None:
    written, spelled = tmp_path / "written.mp3", tmp_path / "spelled.mp3"
    assert runner.invoke(app, ["speak", "UBND xã, UBND tỉnh.", "-o", str(written)]).exit_code == 0
    full = "Ủy ban nhân dân xã, Ủy ban nhân dân tỉnh."
    assert runner.invoke(app, ["speak", full, "-o", str(spelled)]).exit_code == 0
    # eSpeak alone reads "UBND" as one short word; the normalizer makes it "Ủy ban nhân dân".
    ratio = len(decode(written.read_bytes())[0]) / len(decode(spelled.read_bytes())[0])
    assert 0.85 < ratio < 1.15


@pytest.mark.parametrize(
    ("args", "english", "vietnamese"),
    [
        (["speak", "   "], "no text to read", "Không có nội dung"),
        (["speak", "Xin chào.", "--voice", "espeak-vi-hue"], "Unknown voice", "Không có giọng đọc"),
        (["speak", "Xin chào.", "--language", "khm"], "bantin audio import", "bản ghi âm"),
        (["speak", "xin chào " * 3000], "at most 20,000", "tối đa"),
        (["speak", "Xin chào.", "--profile", "stadium"], "Unknown mastering profile", "Không có cấu hình"),
    ],
)
def test_bad_requests_exit_2_with_vietnamese_then_english(
    tmp_path: Path, args: list[str], english: str, vietnamese: str
) -> None:
    out = tmp_path / "x.mp3"
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Lỗi:") or "\nLỗi:" in result.stderr
    assert vietnamese in result.stderr and english in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
