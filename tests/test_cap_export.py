"""The gateway publishes approved emergency bulletins as CAP 1.2 alerts, valid against the OASIS schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlmodel import select

import storage
from bantin.cap import import_alert, parse_alert
from gateway.app import create_app
from tests.cap_helpers import (
    DAN_HOA,
    INSTRUCTION,
    KIM_DIEN,
    PROVINCES,
    copy_db,
    make_template,
    oasis_errors,
    vn_alert,
)

CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
ATOM = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("cap-export") / "template.db")


class Site:
    """A database with the provinces, the gateway on it, and helpers to import and approve alerts."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url = url
        self.engine = storage.make_engine(url)
        self.client = TestClient(create_app(storage.StorageSettings(data_dir=data_dir, database_url=url)))

    def import_xml(self, xml: str) -> tuple[int, int]:
        with storage.session_scope(self.engine) as session:
            outcome = import_alert(session, parse_alert(xml.encode()), now=datetime.now(UTC))
        return outcome.bulletin_id, outcome.version

    def approve(self, bulletin_id: int) -> None:
        with storage.session_scope(self.engine) as session:
            version = storage.latest_version(session, bulletin_id)
            storage.record_review(
                session=session,
                version_id=version.id,
                reviewer="Nguyễn Văn An",
                decision=storage.ReviewDecision.approve,
            )

    def draft(self, title: str, priority: str) -> int:
        with storage.session_scope(self.engine) as session:
            bulletin, _, _ = storage.save_draft(
                session=session,
                draft=storage.BulletinDraft(
                    title=title,
                    body=f"{title}. Nội dung.",
                    priority=storage.Priority(priority),
                    source_unit="44",
                    target_units=[DAN_HOA],
                ),
            )
            return bulletin.id

    def alert(self, bulletin_id: int) -> etree._Element:
        response = self.client.get(f"/v1/cap/{bulletin_id}.xml")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/cap+xml")
        assert oasis_errors(response.content) == []  # the OASIS CAP 1.2 schema, with lxml's validator
        return etree.fromstring(response.content)


@pytest.fixture
def site(template: Path, tmp_path: Path) -> Iterator[Site]:
    made = Site(copy_db(template, tmp_path / "bantin.db"), tmp_path)
    yield made
    made.client.close()
    made.engine.dispose()


@pytest.fixture
def pg_site(postgres_url: str, tmp_path: Path) -> Iterator[Site]:
    engine = storage.make_engine(postgres_url)
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province=PROVINCES[0])
    engine.dispose()
    made = Site(postgres_url, tmp_path)
    yield made
    made.client.close()
    made.engine.dispose()


def text(element: etree._Element, path: str) -> str:
    return element.findtext(path, namespaces=CAP) or ""


def check_approved_emergency_export(site: Site) -> None:
    bulletin_id, _ = site.import_xml(vn_alert())
    assert site.client.get(f"/v1/cap/{bulletin_id}.xml").status_code == 404  # a draft is not published
    site.approve(bulletin_id)
    alert = site.alert(bulletin_id)
    assert text(alert, "cap:identifier") == f"bantin-{bulletin_id}-v1"
    assert text(alert, "cap:msgType") == "Alert" and text(alert, "cap:status") == "Actual"
    assert text(alert, "cap:info/cap:language") == "vi-VN"
    assert (
        text(alert, "cap:info/cap:urgency") == "Immediate"
        and text(alert, "cap:info/cap:severity") == "Severe"
    )
    assert text(alert, "cap:info/cap:headline").startswith("Cảnh báo lũ quét")
    assert INSTRUCTION in text(alert, "cap:info/cap:instruction")
    assert INSTRUCTION not in text(alert, "cap:info/cap:description")
    assert "Mực nước các suối đang lên nhanh." in text(alert, "cap:info/cap:description")
    assert text(alert, "cap:info/cap:expires").endswith("+07:00")
    codes = alert.xpath("//cap:geocode[cap:valueName='VN-GSO']/cap:value/text()", namespaces=CAP)
    assert sorted(codes) == [DAN_HOA, KIM_DIEN]


def test_an_approved_emergency_is_a_valid_cap_alert_with_its_instruction(site: Site) -> None:
    check_approved_emergency_export(site)


@pytest.mark.postgres
def test_an_approved_emergency_is_a_valid_cap_alert_on_postgresql(pg_site: Site) -> None:
    check_approved_emergency_export(pg_site)


def test_the_export_imports_back_to_the_same_units_and_instruction(
    site: Site, template: Path, tmp_path: Path
) -> None:
    bulletin_id, _ = site.import_xml(vn_alert())
    site.approve(bulletin_id)
    exported = site.client.get(f"/v1/cap/{bulletin_id}.xml").content
    other = Site(copy_db(template, tmp_path / "other.db"), tmp_path)
    try:
        with storage.session_scope(other.engine) as session:
            outcome = import_alert(session, parse_alert(exported), now=datetime.now(UTC))
            body = storage.latest_version(session, outcome.bulletin_id).body
        assert outcome.priority == "emergency"
        assert sorted(code for code, _ in outcome.targets) == [DAN_HOA, KIM_DIEN]
        assert f"Hướng dẫn: {INSTRUCTION}" in body
    finally:
        other.engine.dispose()


def test_an_approved_update_refers_to_the_version_it_replaces(site: Site) -> None:
    bulletin_id, _ = site.import_xml(vn_alert())
    site.approve(bulletin_id)
    first_sent = text(site.alert(bulletin_id), "cap:sent")
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
    same_id, version = site.import_xml(update)
    assert (same_id, version) == (bulletin_id, 2)
    assert site.client.get(f"/v1/cap/{bulletin_id}.xml").status_code == 404  # v2 waits for its review
    site.approve(bulletin_id)
    alert = site.alert(bulletin_id)
    assert text(alert, "cap:identifier") == f"bantin-{bulletin_id}-v2"
    assert text(alert, "cap:msgType") == "Update"
    assert text(alert, "cap:references") == f"bantin@testserver,bantin-{bulletin_id}-v1,{first_sent}"
    assert "báo động 3" in text(alert, "cap:info/cap:description")


def test_only_approved_emergencies_are_published(site: Site) -> None:
    normal = site.draft("Lịch tiêm chủng tháng 12", "normal")
    site.approve(normal)
    priority = site.draft("Thông báo cắt điện", "priority")
    site.approve(priority)
    draft = site.draft("Cảnh báo chưa duyệt", "emergency")
    for bulletin_id in (normal, priority, draft, 9999):
        response = site.client.get(f"/v1/cap/{bulletin_id}.xml")
        assert response.status_code == 404, bulletin_id
        assert "khẩn cấp đã duyệt" in response.json()["message_vi"]
        assert "approved emergency" in response.json()["message_en"]
    assert site.client.get("/v1/cap/abc.xml").status_code == 404
    assert site.client.get("/v1/cap/alerts.atom").text.count("<entry>") == 0


def test_the_feed_lists_current_approved_emergencies_each_a_valid_alert(site: Site) -> None:
    current, _ = site.import_xml(vn_alert())
    site.approve(current)
    ended, _ = site.import_xml(vn_alert(("VN-QTR-PCTT-2026-0917-001", "VN-QTR-PCTT-2026-0917-099")))
    site.approve(ended)
    with storage.session_scope(site.engine) as session:
        bulletin = session.exec(select(storage.Bulletin).where(storage.Bulletin.id == ended)).one()
        bulletin.valid_until = datetime.now(UTC) - timedelta(minutes=1)
        session.add(bulletin)
    response = site.client.get("/v1/cap/alerts.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = etree.fromstring(response.content)
    links = feed.xpath("//a:entry/a:link[@type='application/cap+xml']/@href", namespaces=ATOM)
    assert links == [f"http://testserver/v1/cap/{current}.xml"]
    assert feed.xpath("//a:entry/a:title/text()", namespaces=ATOM)[0].startswith("Cảnh báo lũ quét")
    alert = site.client.get(links[0].removeprefix("http://testserver"))
    assert oasis_errors(alert.content) == []
    assert site.client.get(f"/v1/cap/{ended}.xml").status_code == 200  # still published, just not current


def test_an_editor_written_emergency_has_no_instruction_element(site: Site) -> None:
    bulletin_id = site.draft("Sơ tán khẩn cấp bản Ra Mai", "emergency")
    site.approve(bulletin_id)
    alert = site.alert(bulletin_id)
    assert alert.find("cap:info/cap:instruction", CAP) is None
    assert text(alert, "cap:info/cap:description") == "Sơ tán khẩn cấp bản Ra Mai. Nội dung."
    assert alert.find("cap:info/cap:expires", CAP) is None
