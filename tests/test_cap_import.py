"""`bantin cap import`: CAP 1.2 alerts become draft bulletins; anything else is refused with nothing stored."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bantin.cap import CapError, parse_alert, priority_for
from bantin.cli import app
from tests.cap_helpers import (
    ALERTS,
    DAN_HOA,
    INSTRUCTION,
    KIM_DIEN,
    VN_ALERT,
    copy_db,
    fresh,
    make_template,
    oasis_errors,
    vn_alert,
)

runner = CliRunner()
REAL_CAP12 = ["oasis-spec-homeland-security.xml", "oasis-spec-thunderstorm.xml", "nsw-rfs-structure-fire.xml"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("cap") / "template.db")


@pytest.fixture
def data_dir(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    copy_db(template, data / "bantin.db")
    monkeypatch.setenv("BANTIN_DATA_DIR", str(data))
    monkeypatch.delenv("BANTIN_DATABASE_URL", raising=False)
    monkeypatch.delenv("BANTIN_S3_ENDPOINT", raising=False)
    return data


def write(tmp_path: Path, text: str | bytes, name: str = "alert.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def cap_import(path: Path, *extra: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["cap", "import", str(path), *extra])


def query(data_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data_dir / "bantin.db") as db:
        return db.execute(sql).fetchall()


def assert_refused(result, data_dir: Path, *needles: str) -> None:  # type: ignore[no-untyped-def]
    """Exit non-zero, one Vietnamese and one English line naming the problem, and nothing stored."""
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert [line.split(":", 1)[0] for line in lines] == ["Lỗi", "Error"], result.output
    for needle in needles:
        assert needle in result.output, result.output
    assert "Traceback" not in result.output
    assert query(data_dir, "select count(*) from bulletin") == [(0,)]


# --- the schema and the sample alerts -----------------------------------------------------------------


def test_the_shipped_schema_is_oasis_cap_12_and_accepts_the_sample_alerts() -> None:
    for name in [*REAL_CAP12, VN_ALERT.name]:
        assert oasis_errors((ALERTS / name).read_bytes()) == [], name
    assert oasis_errors((ALERTS / "nws-flash-flood-watch-cap11.xml").read_bytes()) != []


@pytest.mark.parametrize(
    ("name", "priority", "headline"),
    [
        ("oasis-spec-thunderstorm.xml", "emergency", "SEVERE THUNDERSTORM WARNING"),
        ("oasis-spec-homeland-security.xml", "emergency", "Homeland Security Sets Code ORANGE"),
        ("nsw-rfs-structure-fire.xml", "normal", "Yerong Creek Structure Fire"),
    ],
)
def test_real_alerts_are_read_with_their_priority(name: str, priority: str, headline: str) -> None:
    alert = parse_alert((ALERTS / name).read_bytes())
    info = alert.infos[0]
    assert info.headline == headline
    assert priority_for(info.severity, info.urgency, info.certainty) == priority


@pytest.mark.parametrize(
    ("severity", "urgency", "certainty", "expected"),
    [
        ("Extreme", "Immediate", "Observed", "emergency"),
        ("Severe", "Expected", "Likely", "emergency"),
        ("Severe", "Future", "Likely", "priority"),
        ("Extreme", "Unknown", "Possible", "priority"),
        ("Moderate", "Immediate", "Likely", "priority"),
        ("Moderate", "Future", "Likely", "normal"),
        ("Minor", "Immediate", "Observed", "normal"),
        ("Extreme", "Past", "Observed", "normal"),
        ("Extreme", "Immediate", "Unlikely", "normal"),
    ],
)
def test_priority_table(severity: str, urgency: str, certainty: str, expected: str) -> None:
    assert priority_for(severity, urgency, certainty) == expected


# --- importing ----------------------------------------------------------------------------------------


def test_vietnamese_alert_becomes_an_emergency_draft_with_its_instruction(
    data_dir: Path, tmp_path: Path
) -> None:
    result = cap_import(write(tmp_path, vn_alert()))
    assert result.exit_code == 0, result.output
    assert "priority: emergency (CAP: Extreme Immediate Likely)" in result.output
    assert f"{DAN_HOA} Xã Dân Hóa" in result.output and f"{KIM_DIEN} Xã Kim Điền" in result.output
    assert "bantin produce 1" in result.output
    [(external_id, priority, status, source, category, until)] = query(
        data_dir,
        "select external_id, priority, status, source_unit_code, category, valid_until from bulletin",
    )
    assert (external_id, priority, status, source) == (
        "cap:VN-QTR-PCTT-2026-0917-001",
        "emergency",
        "draft",
        "44",
    )
    assert category == "thoi_tiet_thien_tai" and until is not None
    assert sorted(query(data_dir, "select unit_code from bulletin_target")) == [(DAN_HOA,), (KIM_DIEN,)]
    [(body,)] = query(data_dir, "select body from bulletin_version")
    assert f"Hướng dẫn: {INSTRUCTION}" in body  # the instruction survives into the draft text
    assert "Mực nước các suối đang lên nhanh." in body and "Flash flood" not in body  # the Vietnamese block
    assert "Khu vực: Xã Dân Hóa; Xã Kim Điền." in body


def test_reimporting_the_same_alert_is_reported_as_a_duplicate(data_dir: Path, tmp_path: Path) -> None:
    path = write(tmp_path, vn_alert())
    assert cap_import(path).exit_code == 0
    again = cap_import(path)
    assert again.exit_code == 0, again.output
    assert "Trùng" in again.output and "duplicate" in again.output and "#1" in again.output
    assert query(data_dir, "select count(*) from bulletin_version") == [(1,)]


def test_an_update_makes_a_new_version_and_a_cancel_says_what_to_do(data_dir: Path, tmp_path: Path) -> None:
    original = vn_alert()
    assert cap_import(write(tmp_path, original, "a.xml")).exit_code == 0
    update = vn_alert(
        ("<identifier>VN-QTR-PCTT-2026-0917-001", "<identifier>VN-QTR-PCTT-2026-0917-002"),
        ("<msgType>Alert</msgType>", "<msgType>Update</msgType>"),
        (
            "<scope>Public</scope>",
            "<scope>Public</scope><references>bch-pctt.quangtri@example.vn,VN-QTR-PCTT-2026-0917-001,"
            "2026-09-17T05:30:00+07:00</references>",
        ),
        ("Mực nước các suối đang lên nhanh.", "Mực nước các suối đã vượt báo động 3."),
    )
    assert oasis_errors(update.encode()) == []
    result = cap_import(write(tmp_path, update, "b.xml"))
    assert result.exit_code == 0, result.output
    assert "v2" in result.output
    assert query(data_dir, "select count(*), max(number) from bulletin_version") == [(2, 2)]
    assert query(data_dir, "select count(*) from bulletin") == [(1,)]
    assert "duplicate" in cap_import(write(tmp_path, update, "b.xml")).output

    cancel = vn_alert(
        ("<identifier>VN-QTR-PCTT-2026-0917-001", "<identifier>VN-QTR-PCTT-2026-0917-003"),
        ("<msgType>Alert</msgType>", "<msgType>Cancel</msgType>"),
        (
            "<scope>Public</scope>",
            "<scope>Public</scope><references>bch-pctt.quangtri@example.vn,VN-QTR-PCTT-2026-0917-001,"
            "2026-09-17T05:30:00+07:00</references>",
        ),
    )
    result = cap_import(write(tmp_path, cancel, "c.xml"))
    assert result.exit_code == 0, result.output
    assert "HỦY" in result.output and "CANCELS bulletin #1" in result.output
    assert "To do:" in result.output and "reject it in its review" in result.output
    assert query(data_dir, "select count(*) from bulletin_version") == [(2,)]
    assert query(data_dir, "select status from bulletin") == [("draft",)]


def test_areas_by_geocode_and_by_names_without_accents_prefixes_or_case(
    data_dir: Path, tmp_path: Path
) -> None:
    xml = vn_alert(
        (
            "<areaDesc>Xã Dân Hóa, xã Kim Điền (tỉnh Quảng Trị)</areaDesc>",
            "<areaDesc>vùng núi phía tây</areaDesc><geocode><valueName>VN-GSO</valueName>"
            f"<value>{KIM_DIEN}</value></geocode></area><area><areaDesc>XA DAN HOA, TINH QUANG TRI</areaDesc>",
        )
    )
    result = cap_import(write(tmp_path, xml))
    assert result.exit_code == 0, result.output
    assert sorted(query(data_dir, "select unit_code from bulletin_target")) == [(DAN_HOA,), (KIM_DIEN,)]


def test_a_name_shared_by_units_of_two_provinces_needs_its_province(data_dir: Path, tmp_path: Path) -> None:
    # Xã Dân Hóa (Quảng Trị) and Xã Dân Hòa (Hà Nội) differ only by accents.
    xml = vn_alert(("Xã Dân Hóa, xã Kim Điền (tỉnh Quảng Trị)", "xa Dan Hoa"))
    result = cap_import(write(tmp_path, xml))
    assert_refused(result, data_dir, "10180", DAN_HOA, "tên tỉnh", "province")
    accented = vn_alert(("Xã Dân Hóa, xã Kim Điền (tỉnh Quảng Trị)", "Xã Dân Hòa"))
    assert cap_import(write(tmp_path, accented)).exit_code == 0
    assert query(data_dir, "select unit_code from bulletin_target") == [("10180",)]


def test_some_names_unmatched_are_reported_with_the_draft(data_dir: Path, tmp_path: Path) -> None:
    xml = vn_alert(("xã Kim Điền (tỉnh Quảng Trị)", "xã Kim Điền, thôn Không Có (tỉnh Quảng Trị)"))
    result = cap_import(write(tmp_path, xml))
    assert result.exit_code == 0, result.output
    assert "thôn Không Có" in result.output and "Note: not matched" in result.output


# --- bad input: one bilingual message, non-zero exit, nothing stored -----------------------------------


def test_a_file_that_is_not_xml(data_dir: Path, tmp_path: Path) -> None:
    result = cap_import(write(tmp_path, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "alert.pdf"))
    assert_refused(result, data_dir, "không phải XML", "not well-formed XML")


def test_xml_that_is_not_cap(data_dir: Path, tmp_path: Path) -> None:
    atom = '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>'
    assert_refused(cap_import(write(tmp_path, atom)), data_dir, "feed", "not a CAP 1.2 alert")


def test_a_real_cap_11_alert(data_dir: Path, tmp_path: Path) -> None:
    result = cap_import(ALERTS / "nws-flash-flood-watch-cap11.xml")
    assert_refused(result, data_dir, "CAP 1.1", "CAP 1.2")


def test_cap_12_that_breaks_the_schema_names_the_line(data_dir: Path, tmp_path: Path) -> None:
    xml = vn_alert(("<severity>Extreme</severity>", "<severity>Catastrophic</severity>"))
    assert_refused(
        cap_import(write(tmp_path, xml)),
        data_dir,
        "lược đồ CAP 1.2",
        "line 17",
        "cap:severity",
        "Catastrophic",
    )


def test_a_real_alert_naming_no_known_area(data_dir: Path, tmp_path: Path) -> None:
    result = cap_import(ALERTS / "oasis-spec-homeland-security.xml")  # no expiry: read up to its areas
    assert_refused(result, data_dir, "U.S. nationwide", "names no known area", "bantin units import")


def test_a_vietnamese_alert_naming_no_known_area(data_dir: Path, tmp_path: Path) -> None:
    xml = vn_alert(("Xã Dân Hóa, xã Kim Điền (tỉnh Quảng Trị)", "xã Không Tồn Tại"))
    assert_refused(cap_import(write(tmp_path, xml)), data_dir, "xã Không Tồn Tại", "không nêu địa bàn")


def test_an_expired_real_alert(data_dir: Path, tmp_path: Path) -> None:
    result = cap_import(ALERTS / "oasis-spec-thunderstorm.xml")
    assert_refused(result, data_dir, "expired", "hết hiệu lực")


@pytest.mark.parametrize(
    ("status", "scope"), [("Exercise", "Public"), ("Test", "Public"), ("Actual", "Private")]
)
def test_exercises_tests_and_private_alerts_are_not_broadcast(
    data_dir: Path, tmp_path: Path, status: str, scope: str
) -> None:
    xml = vn_alert(
        ("<status>Actual</status>", f"<status>{status}</status>"),
        ("<scope>Public</scope>", f"<scope>{scope}</scope>"),
    )
    assert_refused(cap_import(write(tmp_path, xml)), data_dir, status if status != "Actual" else scope)


def test_an_oversized_file(data_dir: Path, tmp_path: Path) -> None:
    padding = "<!-- " + "x" * 1_100_000 + " -->"
    result = cap_import(write(tmp_path, vn_alert().replace("<alert ", padding + "<alert ", 1)))
    assert_refused(result, data_dir, "1,000,000", "vượt giới hạn")


def test_a_cancel_for_an_unknown_alert(data_dir: Path, tmp_path: Path) -> None:
    cancel = vn_alert(
        ("<msgType>Alert</msgType>", "<msgType>Cancel</msgType>"),
        (
            "<scope>Public</scope>",
            "<scope>Public</scope><references>x@example.vn,NEVER-SEEN,2026-09-17T05:30:00+07:00</references>",
        ),
    )
    assert_refused(
        cap_import(write(tmp_path, cancel)), data_dir, "NEVER-SEEN", "never imported", "chưa lưu gì"
    )


def test_an_xxe_attempt_reads_no_file(data_dir: Path, tmp_path: Path) -> None:
    secret = write(tmp_path, "TOP-SECRET-TOKEN-42", "secret.txt")
    xml = vn_alert(("<headline>", "<headline>&xxe;")).replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file://{secret}">]>',
    )
    result = cap_import(write(tmp_path, xml))
    assert_refused(result, data_dir, "DOCTYPE")
    assert "TOP-SECRET" not in result.output


def test_entities_are_not_expanded_by_the_parser_itself() -> None:
    """Even before the DOCTYPE check, lxml is told not to resolve entities or touch the network."""
    xml = b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/hostname">]><a>&e;</a>'
    with pytest.raises(CapError) as caught:
        parse_alert(xml)
    assert "DOCTYPE" in caught.value.message_en


def test_an_alert_without_the_vietnamese_block_is_imported_with_a_translation_note(
    data_dir: Path, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    xml = fresh(VN_ALERT.read_text(encoding="utf-8"), now=now)
    start, end = xml.index("<info>"), xml.index("</info>") + len("</info>")
    english_only = xml[:start] + xml[end:]
    english_only = english_only.replace(
        "Dan Hoa commune, Kim Dien commune", "Dan Hoa commune, Quang Tri province"
    )
    result = cap_import(write(tmp_path, english_only))
    assert result.exit_code == 0, result.output
    assert "no Vietnamese text" in result.output and "en-US" in result.output
    assert query(data_dir, "select unit_code from bulletin_target") == [(DAN_HOA,)]
    [(body,)] = query(data_dir, "select body from bulletin_version")
    assert "Instruction: People living along streams" in body


def test_an_update_naming_fewer_areas_says_which_targets_stay(data_dir: Path, tmp_path: Path) -> None:
    assert cap_import(write(tmp_path, vn_alert(), "a.xml")).exit_code == 0
    narrower = vn_alert(
        ("<identifier>VN-QTR-PCTT-2026-0917-001", "<identifier>VN-QTR-PCTT-2026-0917-002"),
        ("<msgType>Alert</msgType>", "<msgType>Update</msgType>"),
        (
            "<scope>Public</scope>",
            "<scope>Public</scope><references>bch-pctt.quangtri@example.vn,VN-QTR-PCTT-2026-0917-001,"
            "2026-09-17T05:30:00+07:00</references>",
        ),
        ("Xã Dân Hóa, xã Kim Điền (tỉnh Quảng Trị)", "Xã Dân Hóa (tỉnh Quảng Trị)"),
    )
    result = cap_import(write(tmp_path, narrower, "b.xml"))
    assert result.exit_code == 0, result.output
    assert f"no longer names {KIM_DIEN} Xã Kim Điền" in result.output


def test_an_entity_bomb_is_refused(data_dir: Path, tmp_path: Path) -> None:
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = vn_alert(("<headline>", "<headline>&l9;")).replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE alert [<!ENTITY l0 "lol">{levels}]>',
    )
    assert_refused(cap_import(write(tmp_path, xml)), data_dir, "DOCTYPE")


def test_the_spoken_script_keeps_the_instruction() -> None:
    """The spoken length chosen on import makes the summarizer keep the whole alert, instruction included."""
    import nlp
    from bantin.cap import alert_body, chosen_infos, spoken_target_seconds

    alert = parse_alert(vn_alert().encode())
    infos, vietnamese = chosen_infos(alert)
    body = alert_body(infos, vietnamese=vietnamese, area_names=["Xã Dân Hóa"], timezone="Asia/Ho_Chi_Minh")
    summary = nlp.summarize(nlp.validate_draft(body), target_seconds=spoken_target_seconds(body), title="x")
    assert INSTRUCTION in summary.script


def test_a_cancel_of_an_approved_alert_asks_to_end_the_emergency(data_dir: Path, tmp_path: Path) -> None:
    import storage

    assert cap_import(write(tmp_path, vn_alert(), "a.xml")).exit_code == 0
    engine = storage.make_engine(f"sqlite:///{data_dir / 'bantin.db'}")
    with storage.session_scope(engine) as session:
        version = storage.latest_version(session, 1)
        storage.record_review(
            session=session,
            version_id=version.id,
            reviewer="Nguyễn Văn An",
            decision=storage.ReviewDecision.approve,
        )
    engine.dispose()
    cancel = vn_alert(
        ("<identifier>VN-QTR-PCTT-2026-0917-001", "<identifier>VN-QTR-PCTT-2026-0917-003"),
        ("<msgType>Alert</msgType>", "<msgType>Cancel</msgType>"),
        (
            "<scope>Public</scope>",
            "<scope>Public</scope><references>bch-pctt.quangtri@example.vn,VN-QTR-PCTT-2026-0917-001,"
            "2026-09-17T05:30:00+07:00</references>",
        ),
    )
    result = cap_import(write(tmp_path, cancel, "c.xml"))
    assert result.exit_code == 0, result.output
    assert "(approved)" in result.output and "end the emergency on every device" in result.output
    assert "kết thúc tình huống khẩn cấp" in result.output
    assert query(data_dir, "select status from bulletin") == [("approved",)]


def test_targets_in_two_provinces_need_the_issuing_unit(data_dir: Path, tmp_path: Path) -> None:
    xml = vn_alert(("Xã Dân Hóa, xã Kim Điền (tỉnh Quảng Trị)", "Xã Dân Hóa (tỉnh Quảng Trị); Xã Dân Hòa"))
    path = write(tmp_path, xml)
    assert_refused(cap_import(path), data_dir, "--source-unit", "01, 44")
    result = cap_import(path, "--source-unit", "44")
    assert result.exit_code == 0, result.output
    assert sorted(query(data_dir, "select unit_code from bulletin_target")) == [("10180",), (DAN_HOA,)]
