"""Bad input on the command line: a bilingual message and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlmodel import select

import storage
from bantin.cli import main
from bantin.cli.common import failed_everywhere


def run_bantin(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> tuple[int, str]:
    """Run ``bantin ARGS`` as its entry point does; the exit code and what it printed to stderr."""
    monkeypatch.setattr(sys, "argv", ["bantin", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return exited.value.code, capsys.readouterr().err


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BANTIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BANTIN_DATABASE_URL", raising=False)
    monkeypatch.delenv("BANTIN_DEBUG", raising=False)
    return tmp_path / "data"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("[1, 2, 3]", "list of objects"),
        ('{"devices": [5]}', "list of objects"),
        ('{"devices": "loa-1"}', "list of objects"),
    ],
)
def test_a_devices_file_that_is_not_rows_is_one_message(
    data_dir, tmp_path, monkeypatch, capsys, content, expected
):
    path = tmp_path / "devices.json"
    path.write_text(content)

    code, err = run_bantin(["devices", "import", str(path)], monkeypatch, capsys)

    assert code == 2
    assert expected in err and "Traceback" not in err and len(err.splitlines()) <= 2


def test_deeply_nested_drafts_are_one_message(data_dir, tmp_path, monkeypatch, capsys):
    path = tmp_path / "drafts.json"
    path.write_text("{" + '"a":{' * 50_000 + "}" * 50_001)

    code, err = run_bantin(["bulletins", "submit", str(path)], monkeypatch, capsys)

    assert code == 2 and "nested too deeply" in err and "Traceback" not in err


def test_a_draft_dated_year_one_with_an_offset_is_one_message(data_dir, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{data_dir / 'bantin.db'}"
    storage.upgrade_database(url)
    engine = storage.make_engine(url)
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        commune = session.exec(
            select(storage.AdminUnit.code).where(storage.AdminUnit.level == storage.AdminLevel.commune)
        ).first()
    draft = {
        "title": "Thông báo",
        "body": "Nội dung bản tin thử nghiệm.",
        "source_unit": commune,
        "target_units": [commune],
        "valid_from": "0001-01-01T00:00:00+07:00",
    }
    path = tmp_path / "drafts.json"
    path.write_text(json.dumps([draft]))

    code, err = run_bantin(["bulletins", "submit", str(path)], monkeypatch, capsys)

    assert code == 2 and "Traceback" not in err
    assert "out of range" in err, err
    with storage.session_scope(engine) as session:
        assert session.exec(select(storage.Bulletin)).all() == []
    engine.dispose()


def test_produce_counts_as_failed_only_when_every_bulletin_failed():
    assert failed_everywhere({"1": {"version_id": 1, "error": "no voice"}, "2": {"error": "x"}})
    assert failed_everywhere({"1": {"version_id": 1, "review": {"status": "failed", "error": "e"}}})
    assert not failed_everywhere(
        {"1": {"error": "x"}, "2": {"version_id": 2, "review": {"status": "waiting"}}}
    )
    assert not failed_everywhere({})


@pytest.fixture
def prefect_harness():  # type: ignore[no-untyped-def]
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_produce_exits_1_when_every_bulletin_failed(data_dir, tmp_path, monkeypatch, capsys, prefect_harness):
    url = f"sqlite:///{data_dir / 'bantin.db'}"
    storage.upgrade_database(url)
    engine = storage.make_engine(url)
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        commune = session.exec(
            select(storage.AdminUnit.code).where(storage.AdminUnit.level == storage.AdminLevel.commune)
        ).first()
        for title in ("Thông báo một", "Thông báo hai"):
            storage.save_draft(
                session=session,
                draft=storage.BulletinDraft(
                    title=title, body=f"{title}. Nội dung thử.", source_unit=commune, target_units=[commune]
                ),
            )
    engine.dispose()

    code, err = run_bantin(["produce", "--voice", "no-such-voice"], monkeypatch, capsys)

    assert code == 1
    # the last lines are the command's own (Prefect logs each failed task, with its traceback, before)
    assert err.splitlines()[-2:] == [
        "Lỗi: mọi bản tin đều lỗi (xem 'error' ở trên); không sản xuất được bản tin nào",
        "Error: every bulletin failed (see 'error' above); nothing was produced",
    ]
