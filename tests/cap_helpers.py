"""Shared by the CAP tests: the alert fixtures, dates moved to now, the OASIS schema check."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

import storage
from bantin.cap import SCHEMA_FILE

ALERTS = Path(__file__).parent / "data" / "cap"
VN_ALERT = ALERTS / "vn-lu-quet-quang-tri.xml"
PROVINCES = ("Quảng Trị", "Hà Nội")
DAN_HOA, KIM_DIEN = "18904", "18922"
INSTRUCTION = "Người dân ở ven suối và sườn đồi phải di chuyển ngay đến nơi tránh trú an toàn"


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def fresh(xml: str, *, now: datetime | None = None, hours: int = 30) -> str:
    """The alert with sent/effective a few minutes ago and expires ``hours`` from now."""
    now = now or datetime.now(UTC)
    xml = re.sub(r"<sent>[^<]+</sent>", f"<sent>{stamp(now - timedelta(minutes=5))}</sent>", xml)
    xml = re.sub(
        r"<effective>[^<]+</effective>", f"<effective>{stamp(now - timedelta(minutes=5))}</effective>", xml
    )
    return re.sub(
        r"<expires>[^<]+</expires>", f"<expires>{stamp(now + timedelta(hours=hours))}</expires>", xml
    )


def vn_alert(*replace: tuple[str, str]) -> str:
    """The Vietnamese fixture, fresh, with each (old, new) text replaced."""
    xml = fresh(VN_ALERT.read_text(encoding="utf-8"))
    for old, new in replace:
        assert old in xml, old
        xml = xml.replace(old, new)
    return xml


def oasis_errors(xml: bytes) -> list[str]:
    """Errors of the OASIS CAP 1.2 schema for this document (empty when valid)."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))
    doc = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    return [] if schema.validate(doc) else [f"{e.line}: {e.message}" for e in schema.error_log]


def make_template(path: Path) -> Path:
    """A migrated SQLite database with Quảng Trị and Hà Nội (namesakes across provinces)."""
    url = f"sqlite:///{path}"
    storage.upgrade_database(url)
    engine = storage.make_engine(url)
    with storage.session_scope(engine) as session:
        for province in PROVINCES:
            storage.import_province(session=session, province=province)
    engine.dispose()
    return path


def copy_db(template: Path, target: Path) -> str:
    shutil.copy(template, target)
    return f"sqlite:///{target}"
