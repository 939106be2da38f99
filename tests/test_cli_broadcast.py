"""`bantin windows set|list|clear|show` as an officer uses them."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from bantin.cli import app

runner = CliRunner()
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BANTIN_DATA_DIR", str(tmp_path))
    for name in ("BANTIN_DATABASE_URL", "BANTIN_S3_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert runner.invoke(app, ["units", "import", "--province", "Quảng Trị"]).exit_code == 0
    return tmp_path


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_commune_sets_its_windows_and_a_village_inherits_them(data_dir: Path) -> None:
    assert invoke("windows", "set", "44", "06:00-06:30", "17:00-17:30").exit_code == 0
    done = invoke(
        "windows",
        "set",
        "18904",
        "05:30-06:00",
        "18:00-18:20",
        "--max-minutes",
        "15",
        "--languages",
        "vie,khm",
    )

    assert done.exit_code == 0, done.output
    assert "05:30-06:00 18:00-18:20 (riêng / own)" in done.output
    assert "15 phút / min (riêng / own)" in done.output and "vie,khm (riêng / own)" in done.output
    other = invoke("windows", "list", "--unit", "18922").output
    assert "06:00-06:30 17:00-17:30 (kế thừa từ / inherited from Quảng Trị (44))" in other
    listed = invoke("windows", "list").output
    assert (
        "Mặc định / Default: 06:00-06:45 17:00-17:45" in listed and "(18904)" in listed and "(44)" in listed
    )
    cleared = invoke("windows", "clear", "18904")
    assert cleared.exit_code == 0 and "06:00-06:30 17:00-17:30 (kế thừa từ / inherited from" in cleared.output


@pytest.mark.parametrize(
    ("args", "vi", "en"),
    [
        (["18904", "06:00-06:30", "06:20-07:00"], "chồng lên nhau", "overlap"),
        (["18904", "6 giờ sáng"], "GG:PP-GG:PP", "HH:MM-HH:MM"),
        (["18904", "21:00-01:00"], "qua nửa đêm", "crosses midnight"),
        (["18904", "00:00-36:00"], "không dài quá một ngày", "longer than a day"),
        (["99999", "06:00-06:30"], "không có đơn vị hành chính", "unknown administrative unit"),
        (["18904", "06:00-06:30", "--languages", "vie,xyz"], "chưa được hỗ trợ", "Unsupported language"),
        (["18904", "06:00-06:30", "--max-minutes", "0"], "từ 1 đến 1440", "1 to 1440"),
    ],
)
def test_bad_input_is_refused_in_both_languages_and_nothing_is_stored(data_dir: Path, args, vi, en) -> None:  # type: ignore[no-untyped-def]
    assert invoke("windows", "set", "18904", "05:00-05:20").exit_code == 0

    refused = invoke("windows", "set", *args)

    assert refused.exit_code != 0
    assert "Lỗi: " in refused.output and vi in refused.output and en in refused.output
    assert "Traceback" not in refused.output
    assert "05:00-05:20 (riêng / own)" in invoke("windows", "list", "--unit", "18904").output


def test_show_prints_the_composed_day_as_a_table(data_dir: Path) -> None:
    import storage

    assert invoke("windows", "set", "18904", "06:00-06:30", "17:00-17:30").exit_code == 0
    engine = storage.make_engine(f"sqlite:///{data_dir / 'bantin.db'}")
    now = datetime(2026, 12, 3, 5, 0, tzinfo=TZ).astimezone(UTC)
    with storage.session_scope(engine) as session:
        storage.import_records(
            session=session,
            rows=[
                {"type": "village", "code": "V1", "name": "Bản Ra Mai", "parent": "18904"},
                {"type": "device", "id": "LOA-V1", "kind": "speaker_cluster", "unit": "V1"},
            ],
        )
        for title, seconds, priority in (("Họp dân", 60, "normal"), ("Rét đậm", 30, "priority")):
            draft = storage.BulletinDraft(
                title=title, body=f"{title}.", priority=priority, source_unit="44", target_units=["18904"]
            )
            _, version, _ = storage.save_draft(session=session, draft=draft)
            sha = hashlib.sha256(title.encode()).hexdigest()
            storage.save_rendition(
                session=session, version_id=version.id, language="vie", kind=storage.RenditionKind.audio,
                audio_key=f"audio/{sha}.mp3", duration_s=seconds, details={"sha256": sha},
            )  # fmt: skip
            storage.record_review(
                session=session, version_id=version.id, reviewer="t", decision=storage.ReviewDecision.approve
            )
            storage.distribute_version(session=session, version_id=version.id, now=now)
    engine.dispose()

    shown = invoke("windows", "show", "18904", "--date", "2026-12-03")

    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("06:00:00-06:00:30"))
    assert "Rét đậm" in lines[first] and "ưu tiên / priority" in lines[first] and "Bản Ra Mai" in lines[first]
    assert lines[first + 1].startswith("06:00:30-06:01:30") and "Họp dân" in lines[first + 1]
    assert "Không có bản tin" in invoke("windows", "show", "18904", "--date", "2026-12-04").output
    bad = invoke("windows", "show", "18904", "--date", "03/12/2026")
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
