"""`bantin people` and `bantin audit` as an officer uses them: secrets shown once, tampering reported."""

from __future__ import annotations

import re
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

import storage
from bantin.cli import app

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BANTIN_DATA_DIR", str(tmp_path))
    for name in ("BANTIN_DATABASE_URL", "BANTIN_S3_ENDPOINT", "BANTIN_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert runner.invoke(app, ["units", "import", "--province", "Quảng Trị"]).exit_code == 0
    return tmp_path


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def sql(data_dir: Path, statement: str, *params: object) -> list[tuple]:
    with sqlite3.connect(data_dir / "bantin.db") as db:
        return db.execute(statement, params).fetchall()


def secret_of(output: str) -> str:
    return re.search(r"secret=([A-Z2-7]+)", output).group(1)


def test_adding_a_reviewer_shows_the_secret_once(data_dir: Path) -> None:
    result = invoke(
        "people",
        "add",
        "  Nguyễn Văn An ",
        "--unit",
        "44",
        "--role",
        "reviewer",
        "--office",
        "Phó Chủ tịch UBND tỉnh",
    )
    assert result.exit_code == 0, result.output
    secret = secret_of(result.output)
    assert "otpauth://totp/" in result.output and "█" in result.output  # URI and QR code
    assert "MỘT lần" in result.output and "ONCE" in result.output
    assert stat.S_IMODE((data_dir / "secret.key").stat().st_mode) == 0o600
    listing = invoke("people", "list")
    assert listing.exit_code == 0 and "Nguyễn Văn An\treviewer\t44\tPhó Chủ tịch UBND tỉnh" in listing.output
    assert secret not in listing.output and "otpauth" not in listing.output
    stored = sql(data_dir, "select name, totp_secret_enc from person")
    assert stored[0][0] == "Nguyễn Văn An" and secret not in stored[0][1]


def test_an_editor_gets_no_secret(data_dir: Path) -> None:
    result = invoke("people", "add", "Lê Biên Tập", "--unit", "18904", "--role", "editor")
    assert result.exit_code == 0 and "otpauth" not in result.output


@pytest.mark.parametrize(
    ("args", "vi", "en"),
    [
        ((" ", "--unit", "44", "--role", "reviewer"), "tên trống", "name is empty"),
        (
            ("An", "--unit", "99999", "--role", "reviewer"),
            "không có đơn vị hành chính",
            "unknown administrative unit",
        ),
        (("An", "--unit", "44", "--role", "boss"), "vai trò", "unknown role"),
        (("An", "--unit", "44", "--role", "editor", "--emergency"), "khẩn cấp", "emergencies"),
    ],
)
def test_bad_people_are_refused_in_both_languages(
    data_dir: Path, args: tuple[str, ...], vi: str, en: str
) -> None:
    result = invoke("people", "add", *args)
    assert result.exit_code == 2
    assert "Lỗi: " in result.output and vi in result.output and en in result.output
    assert "Traceback" not in result.output
    assert sql(data_dir, "select count(*) from person") == [(0,)]


def test_revoke_and_reissue(data_dir: Path) -> None:
    first = secret_of(invoke("people", "add", "Nguyễn Văn An", "--unit", "44", "--role", "reviewer").output)
    reissued = invoke("people", "reissue", "#1")
    assert reissued.exit_code == 0 and "the old secret is dead" in reissued.output
    assert secret_of(reissued.output) != first
    assert invoke("people", "revoke", "Nguyễn Văn An").exit_code == 0
    assert "Nguyễn Văn An" not in invoke("people", "list").output
    assert "revoked" in invoke("people", "list", "--revoked").output
    again = invoke("people", "revoke", "1")
    assert again.exit_code == 2 and "đã bị thu hồi" in again.output
    assert invoke("people", "reissue", "1").exit_code == 2
    unknown = invoke("people", "revoke", "Không Ai")
    assert unknown.exit_code == 2 and "bantin people list" in unknown.output


def test_people_list_filters_by_unit_and_role(data_dir: Path) -> None:
    invoke("people", "add", "Tỉnh", "--unit", "44", "--role", "reviewer")
    invoke("people", "add", "Xã", "--unit", "18904", "--role", "editor")
    assert [
        line.split("\t")[1] for line in invoke("people", "list", "--unit", "18904").output.splitlines()
    ] == ["Xã"]
    assert [
        line.split("\t")[1] for line in invoke("people", "list", "--role", "reviewer").output.splitlines()
    ] == ["Tỉnh"]
    assert invoke("people", "list", "--role", "boss").exit_code == 2


def bulletin_with_history(data_dir: Path) -> int:
    engine = storage.make_engine(f"sqlite:///{data_dir / 'bantin.db'}")
    try:
        with storage.session_scope(engine) as session:
            draft = storage.BulletinDraft(
                title="Phòng chống bão",
                body="Bà con chằng chống nhà cửa.",
                source_unit="44",
                target_units=["18904"],
            )
            bulletin, version, _ = storage.save_draft(session=session, draft=draft)
            storage.record_review(
                session=session,
                version_id=version.id,
                reviewer="Nguyễn Văn An",
                decision=storage.ReviewDecision.reject,
                comment="Thiếu giờ",
            )
            return bulletin.id
    finally:
        engine.dispose()


def test_audit_log_prints_a_bulletins_history(data_dir: Path) -> None:
    bulletin_id = bulletin_with_history(data_dir)
    result = invoke("audit", "log", "--bulletin", str(bulletin_id))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Phòng chống bão" in lines[0]
    assert "\tdrafted\t" in lines[1] and "\treviewed\tNguyễn Văn An\t" in lines[2] and "Thiếu giờ" in lines[2]
    unknown = invoke("audit", "log", "--bulletin", "999")
    assert unknown.exit_code == 2 and "không có bản tin" in unknown.output


def test_audit_verify_names_the_first_tampered_row(data_dir: Path) -> None:
    invoke("people", "add", "Nguyễn Văn An", "--unit", "44", "--role", "reviewer")
    bulletin_with_history(data_dir)
    clean = invoke("audit", "verify")
    assert clean.exit_code == 0 and "3 rows" in clean.output and "nguyên vẹn" in clean.output
    sql(data_dir, "update audit_event set actor = 'Kẻ gian' where id = 2")
    edited = invoke("audit", "verify")
    assert edited.exit_code == 1
    assert "dòng hỏng đầu tiên là 2" in edited.output and "first broken row: 2" in edited.output
    sql(data_dir, "delete from audit_event where id = 2")
    deleted = invoke("audit", "verify")
    assert deleted.exit_code == 1 and "first broken row: 3" in deleted.output and "deleted" in deleted.output
