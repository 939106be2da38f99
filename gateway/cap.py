"""Approved emergency bulletins as CAP 1.2 public warnings: one alert per bulletin and an Atom feed of them.

No login: a public warning is public. Only an emergency bulletin whose version a reviewer approved
(and that is approved or on air) is published; anything else is a 404. bantin keeps Thông tư 39's
priority, not the CAP severity an alert came with, so every export says urgency Immediate, severity
Severe, certainty Likely. The text is the approved version's: its "Hướng dẫn:" / "Instruction:"
paragraphs become ``<instruction>``, the rest ``<description>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from gateway.deps import ResourcesDep, SessionDep
from gateway.errors import GatewayError
from storage.alerts import ApprovedEmergency, approved_emergency, current_emergencies
from storage.models import utcnow

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"
INSTRUCTION_LABELS = ("Hướng dẫn:", "Instruction:")
# bantin category -> (CAP category, event named in Vietnamese)
CATEGORIES = {
    "thoi_tiet_thien_tai": ("Met", "Thời tiết, thiên tai"),
    "dich_benh_y_te": ("Health", "Dịch bệnh, y tế"),
    "an_ninh_trat_tu": ("Security", "An ninh, trật tự"),
    "nong_nghiep": ("Env", "Nông nghiệp"),
    "chinh_sach_phap_luat": ("Other", "Chính sách, pháp luật"),
    "van_hoa_xa_hoi": ("Other", "Văn hóa, xã hội"),
    "khan_cap": ("Safety", "Khẩn cấp"),
}
GSO_LEVELS = {"province", "commune"}  # units whose code is the statistics office's

cap_router = APIRouter(prefix="/v1/cap", tags=["public warnings (CAP 1.2)"])


def _stamp(at: datetime, timezone: str) -> str:
    """CAP's date-time: seconds and a numeric offset, never "Z"."""
    return at.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def alert_identifier(bulletin_id: int, version: int) -> str:
    return f"bantin-{bulletin_id}-v{version}"


def split_instruction(body: str) -> tuple[str, str]:
    """(description, instruction) of a bulletin text: labelled paragraphs are the instruction."""
    description, instruction = [], []
    for paragraph in (p.strip() for p in body.split("\n\n")):
        label = next((lab for lab in INSTRUCTION_LABELS if paragraph.startswith(lab)), None)
        if label:
            instruction.append(paragraph[len(label) :].strip())
        elif paragraph:
            description.append(paragraph)
    return "\n\n".join(description), "\n\n".join(instruction)


def cap_alert(emergency: ApprovedEmergency, *, sender: str, timezone: str) -> bytes:
    """The CAP 1.2 XML of an approved emergency, in Vietnamese, one area per target unit."""
    alert = ET.Element("alert", xmlns=CAP12)  # children inherit the default namespace
    _sub(alert, "identifier", alert_identifier(emergency.bulletin_id, emergency.version_number))
    _sub(alert, "sender", sender)
    _sub(alert, "sent", _stamp(emergency.approved_at, timezone))
    _sub(alert, "status", "Actual")
    _sub(alert, "msgType", "Update" if emergency.earlier else "Alert")
    _sub(alert, "source", f"bantin, {emergency.source_unit_name}")
    _sub(alert, "scope", "Public")
    if emergency.earlier:
        _sub(
            alert,
            "references",
            " ".join(
                f"{sender},{alert_identifier(emergency.bulletin_id, n)},{_stamp(at, timezone)}"
                for n, at in emergency.earlier
            ),
        )
    info = ET.SubElement(alert, "info")
    category, event = CATEGORIES.get(emergency.category, ("Other", emergency.category))
    _sub(info, "language", "vi-VN")
    _sub(info, "category", category)
    _sub(info, "event", event)
    _sub(info, "urgency", "Immediate")
    _sub(info, "severity", "Severe")
    _sub(info, "certainty", "Likely")
    _sub(info, "effective", _stamp(emergency.valid_from or emergency.approved_at, timezone))
    if emergency.valid_until:
        _sub(info, "expires", _stamp(emergency.valid_until, timezone))
    _sub(info, "senderName", emergency.source_unit_name)
    _sub(info, "headline", emergency.title)
    description, instruction = split_instruction(emergency.body)
    _sub(info, "description", description or emergency.script or emergency.title)
    if instruction:
        _sub(info, "instruction", instruction)
    for unit in emergency.areas:
        area = ET.SubElement(info, "area")
        _sub(area, "areaDesc", f"{unit.name}, {unit.parent_name}" if unit.parent_name else unit.name)
        codes = [("bantin:unit", unit.code)]
        if unit.level.value in GSO_LEVELS:
            codes.append(("VN-GSO", unit.code))
        for name, value in codes:
            geocode = ET.SubElement(area, "geocode")
            _sub(geocode, "valueName", name)
            _sub(geocode, "value", value)
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True)


def _sender(request: Request) -> str:
    return f"bantin@{request.url.hostname or 'localhost'}"


def _alert_url(request: Request, bulletin_id: int) -> str:
    return str(request.url_for("cap_alert_xml", bulletin_id=bulletin_id))


@cap_router.get(
    "/alerts.atom",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def cap_feed(request: Request, session: SessionDep, resources: ResourcesDep) -> Response:
    """Current approved emergencies (not past their validity) as an Atom feed of CAP 1.2 alerts."""
    now = utcnow()
    emergencies = current_emergencies(session, now=now)
    feed = ET.Element("feed", xmlns=ATOM)
    _sub(feed, "id", f"urn:bantin:cap:{request.url.hostname or 'localhost'}")
    _sub(feed, "title", "Cảnh báo khẩn cấp / Emergency alerts (CAP 1.2)")
    _sub(feed, "updated", _stamp(emergencies[0].approved_at if emergencies else now, resources.timezone))
    ET.SubElement(feed, "link", rel="self", href=str(request.url))
    _sub(ET.SubElement(feed, "author"), "name", "bantin")
    for emergency in emergencies:
        url = _alert_url(request, emergency.bulletin_id)
        entry = ET.SubElement(feed, "entry")
        _sub(entry, "id", f"{url}#v{emergency.version_number}")
        _sub(entry, "title", emergency.title)
        _sub(entry, "updated", _stamp(emergency.approved_at, resources.timezone))
        ET.SubElement(entry, "link", rel="alternate", type=CAP_MEDIA_TYPE, href=url)
        _sub(entry, "summary", ", ".join(a.name for a in emergency.areas))
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@cap_router.get(
    "/{bulletin_id:int}.xml",
    name="cap_alert_xml",
    response_class=Response,
    responses={200: {"content": {CAP_MEDIA_TYPE: {}}}, 404: {"description": "Not an approved emergency"}},
)
def cap_alert_xml(
    bulletin_id: int, request: Request, session: SessionDep, resources: ResourcesDep
) -> Response:
    """One approved emergency bulletin as a CAP 1.2 alert; 404 for anything else."""
    emergency = approved_emergency(session, bulletin_id)
    if emergency is None:
        raise GatewayError(
            404,
            "not_found",
            f"no approved emergency bulletin {bulletin_id}: only approved emergency bulletins are published "
            "as CAP alerts",
            f"không có bản tin khẩn cấp đã duyệt mã {bulletin_id}: chỉ bản tin khẩn cấp đã duyệt mới được "
            "công bố dạng cảnh báo CAP",
        )
    body = cap_alert(emergency, sender=_sender(request), timezone=resources.timezone)
    return Response(body, media_type=f"{CAP_MEDIA_TYPE}; charset=utf-8")
