"""CAP 1.2 public-warning alerts in: parse safely, check against the OASIS schema, map to a draft, import.

Priority from an alert's severity and urgency (certainty "Unlikely" makes any alert normal):

=================  =========  =========  ========  ======  =======
severity \\ urgency  Immediate  Expected   Future    Past    Unknown
=================  =========  =========  ========  ======  =======
Extreme, Severe    emergency  emergency  priority  normal  priority
Moderate           priority   priority   normal    normal  normal
Minor, Unknown     normal     normal     normal    normal  normal
=================  =========  =========  ========  ======  =======

Areas become target units by geocode (valueName ``VN-GSO``, ``GSO``, ``MaDVHC`` or ``bantin:unit``
with a unit code as value) or, when an area has none of those, by the names in its ``areaDesc``
(accents, case and prefixes such as "xã", "phường", "tỉnh" do not matter; a province named beside
a commune picks the commune among namesakes).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlmodel import Session

    from storage.models import AdminUnit

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
_OLDER_CAP = {
    "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
    "urn:oasis:names:tc:emergency:cap:1.0": "1.0",
    "http://www.incident.com/cap/1.0": "1.0",
}
SCHEMA_FILE = Path(__file__).parent / "data" / "cap" / "CAP-v1.2.xsd"
MAX_ALERT_BYTES = 1_000_000
INSTRUCTION_LABELS = ("Hướng dẫn:", "Instruction:")
_NS = {"cap": CAP12}


class CapError(ValueError):
    """An alert that cannot become a draft; nothing was stored."""

    def __init__(self, message_en: str, message_vi: str) -> None:
        super().__init__(message_en)
        self.message_en, self.message_vi = message_en, message_vi


@dataclass(frozen=True)
class CapArea:
    desc: str
    geocodes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CapInfo:
    language: str
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    effective: datetime | None
    expires: datetime | None
    sender_name: str
    headline: str
    description: str
    instruction: str
    areas: tuple[CapArea, ...]


@dataclass(frozen=True)
class CapReference:
    sender: str
    identifier: str
    sent: str


@dataclass(frozen=True)
class CapAlert:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    references: tuple[CapReference, ...]
    infos: tuple[CapInfo, ...]


# --- reading and checking -------------------------------------------------------------------------


def read_alert(path: Path) -> bytes:
    """The file's bytes, refusing a missing or oversized file before reading it."""
    if not path.is_file():
        raise CapError(f"no such file: {path}", f"không có tệp: {path}")
    size = path.stat().st_size
    if size > MAX_ALERT_BYTES:
        raise CapError(
            f"{path.name} has {size:,} bytes; a CAP alert is at most {MAX_ALERT_BYTES:,}: nothing stored",
            f"tệp {path.name} dài {size:,} byte, vượt giới hạn {MAX_ALERT_BYTES:,} của một cảnh báo CAP: chưa lưu gì",
        )
    return path.read_bytes()


def _xml_root(data: bytes):  # type: ignore[no-untyped-def]
    """Parse untrusted XML: no DTD, no entity expansion, no network; a DOCTYPE is refused outright."""
    from lxml import etree

    if len(data) > MAX_ALERT_BYTES:
        raise CapError(
            f"the alert has {len(data):,} bytes; the limit is {MAX_ALERT_BYTES:,}: nothing stored",
            f"cảnh báo dài {len(data):,} byte, vượt giới hạn {MAX_ALERT_BYTES:,}: chưa lưu gì",
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        if b"<!DOCTYPE" in data:  # e.g. an entity bomb that libxml2 stopped
            raise _doctype_refused() from None
        raise CapError(
            f"the file is not well-formed XML ({exc.msg}, line {exc.lineno}); a CAP 1.2 alert is expected",
            f"tệp không phải XML hợp lệ ({exc.msg}, dòng {exc.lineno}); cần một cảnh báo CAP 1.2",
        ) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _doctype_refused()
    return root


def _doctype_refused() -> CapError:
    return CapError(
        "the alert declares a DOCTYPE (entities); CAP 1.2 has none and it is refused for safety",
        "cảnh báo có khai báo DOCTYPE (thực thể); CAP 1.2 không dùng DOCTYPE nên bị từ chối để an toàn",
    )


@lru_cache(maxsize=1)
def cap_schema():  # type: ignore[no-untyped-def]
    """The OASIS CAP 1.2 XML schema shipped with bantin."""
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


def check_cap12(root) -> None:  # type: ignore[no-untyped-def]
    """Refuse anything but a CAP 1.2 alert valid against the OASIS schema, naming the first problem."""
    from lxml import etree

    namespace = etree.QName(root).namespace or ""
    if namespace in _OLDER_CAP:
        version = _OLDER_CAP[namespace]
        raise CapError(
            f"this is a CAP {version} alert; bantin reads CAP 1.2 only: ask the sender for CAP 1.2",
            f"đây là cảnh báo CAP {version}; bantin chỉ đọc CAP 1.2: hãy đề nghị nơi gửi cung cấp bản CAP 1.2",
        )
    if root.tag != f"{{{CAP12}}}alert":
        raise CapError(
            f"the XML root is {etree.QName(root).localname!r} in namespace {namespace!r}, not a CAP 1.2 "
            f"alert ({CAP12})",
            f"phần tử gốc là {etree.QName(root).localname!r} (không gian tên {namespace!r}), không phải "
            f"cảnh báo CAP 1.2 ({CAP12})",
        )
    schema = cap_schema()
    if not schema.validate(root):
        error = schema.error_log.filter_from_errors()[0]
        message = error.message.replace(f"{{{CAP12}}}", "cap:")
        raise CapError(
            f"the alert does not follow the CAP 1.2 schema: line {error.line}: {message}",
            f"cảnh báo không đúng lược đồ CAP 1.2: dòng {error.line}: {message}",
        )


def _text(element, name: str) -> str:  # type: ignore[no-untyped-def]
    found = element.find(f"cap:{name}", _NS)
    return (found.text or "").strip() if found is not None else ""


def _time(element, name: str) -> datetime | None:  # type: ignore[no-untyped-def]
    value = _text(element, name)
    return datetime.fromisoformat(value) if value else None


def _pairs(element, name: str) -> tuple[tuple[str, str], ...]:  # type: ignore[no-untyped-def]
    return tuple((_text(p, "valueName"), _text(p, "value")) for p in element.findall(f"cap:{name}", _NS))


def _info(element) -> CapInfo:  # type: ignore[no-untyped-def]
    return CapInfo(
        language=_text(element, "language") or "en-US",
        categories=tuple((c.text or "").strip() for c in element.findall("cap:category", _NS)),
        event=_text(element, "event"),
        urgency=_text(element, "urgency"),
        severity=_text(element, "severity"),
        certainty=_text(element, "certainty"),
        effective=_time(element, "effective"),
        expires=_time(element, "expires"),
        sender_name=_text(element, "senderName"),
        headline=_text(element, "headline"),
        description=_text(element, "description"),
        instruction=_text(element, "instruction"),
        areas=tuple(
            CapArea(_text(a, "areaDesc"), _pairs(a, "geocode")) for a in element.findall("cap:area", _NS)
        ),
    )


def _references(value: str) -> tuple[CapReference, ...]:
    refs = []
    for item in value.split():
        parts = item.split(",")
        if len(parts) == 3:
            refs.append(CapReference(*parts))
    return tuple(refs)


def parse_alert(data: bytes) -> CapAlert:
    """A CAP 1.2 alert from untrusted bytes, or CapError saying what is wrong with them."""
    root = _xml_root(data)
    check_cap12(root)
    return CapAlert(
        identifier=_text(root, "identifier"),
        sender=_text(root, "sender"),
        sent=_time(root, "sent"),
        status=_text(root, "status"),
        msg_type=_text(root, "msgType"),
        scope=_text(root, "scope"),
        references=_references(_text(root, "references")),
        infos=tuple(_info(i) for i in root.findall("cap:info", _NS)),
    )


# --- meaning ----------------------------------------------------------------------------------------


def priority_for(severity: str, urgency: str, certainty: str = "Unknown") -> str:
    """bantin's priority (normal, priority, emergency) for a CAP severity, urgency and certainty."""
    if certainty == "Unlikely" or urgency == "Past":
        return "normal"
    if severity in ("Extreme", "Severe"):
        return "emergency" if urgency in ("Immediate", "Expected") else "priority"
    if severity == "Moderate" and urgency in ("Immediate", "Expected"):
        return "priority"
    return "normal"


_RANK = {"normal": 0, "priority": 1, "emergency": 2}
_CATEGORIES = {
    "Met": "thoi_tiet_thien_tai",
    "Geo": "thoi_tiet_thien_tai",
    "Env": "thoi_tiet_thien_tai",
    "Fire": "thoi_tiet_thien_tai",
    "Health": "dich_benh_y_te",
    "Security": "an_ninh_trat_tu",
}


def category_for(categories: tuple[str, ...]) -> str:
    """bantin's topic for the alert's CAP categories (natural hazards, health, security; else emergency)."""
    for name in categories:
        if name in _CATEGORIES:
            return _CATEGORIES[name]
    return "khan_cap"


def chosen_infos(alert: CapAlert) -> tuple[list[CapInfo], bool]:
    """The info blocks in Vietnamese if any (True), else those in the first block's language (False)."""
    vietnamese = [i for i in alert.infos if i.language.lower().startswith("vi")]
    if vietnamese:
        return vietnamese, True
    first = alert.infos[0].language.lower() if alert.infos else ""
    return [i for i in alert.infos if i.language.lower() == first], False


# --- areas -----------------------------------------------------------------------------------------

_KINDS = {
    "thanh pho": "thanh pho",
    "tp": "thanh pho",
    "thi tran": "thi tran",
    "tt": "thi tran",
    "thi xa": "thi xa",
    "tx": "thi xa",
    "to dan pho": "to dan pho",
    "khu pho": "khu pho",
    "dac khu": "dac khu",
    "phuong": "phuong",
    "tinh": "tinh",
    "huyen": "huyen",
    "quan": "quan",
    "xa": "xa",
    "thon": "thon",
    "ban": "ban",
    "buon": "buon",
    "ap": "ap",
    "lang": "lang",
    "xom": "xom",
    "khom": "khom",
    "plei": "plei",
    "soc": "soc",
}
_PREFIXES = sorted(_KINDS, key=len, reverse=True)
_ENGLISH = {
    "commune": "xa",
    "ward": "phuong",
    "province": "tinh",
    "city": "thanh pho",
    "district": "huyen",
    "village": "thon",
}
_FILLERS = ("cac ", "toan ", "khu vuc ", "dia ban ", "tai ")
_GEOCODE_NAMES = {"vngso", "gso", "madvhc", "bantinunit", "unit", "unitcode"}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d").replace("\u0111", "d")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.split())


def _accented(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", unicodedata.normalize("NFC", text.lower())).split())


def place_key(name: str, division_type: str = "") -> tuple[str, str, str]:
    """(kind, base, base with accents) of a place name: "Xã Dân Hóa" gives ("xa", "dan hoa", "dân hóa")."""
    text, accented = _fold(name), _accented(name)
    if len(accented) != len(text):  # letters outside precomposed Vietnamese: compare without accents
        accented = text
    while any(text.startswith(f) for f in _FILLERS):
        cut = next(len(f) for f in _FILLERS if text.startswith(f))
        text, accented = text[cut:], accented[cut:]
    kind = ""
    for prefix in _PREFIXES:
        if text.startswith(prefix + " "):
            cut = len(prefix) + 1
            kind, text, accented = _KINDS[prefix], text[cut:], accented[cut:]
            break
    last = text.rsplit(" ", 1)
    if not kind and len(last) == 2 and last[1] in _ENGLISH:
        kind, text, accented = _ENGLISH[last[1]], last[0], accented[: len(last[0])]
    if not kind and division_type:
        folded = _fold(division_type)
        kind = next((_KINDS[p] for p in _PREFIXES if folded.startswith(p)), "")
    return kind, text.strip(), accented.strip()


def split_area_desc(desc: str) -> list[str]:
    """The place names of an areaDesc: split at commas, semicolons, brackets, "và"/"and", new lines."""
    parts = re.split(r"[,;()\[\]\n/]|\s+-\s+|\s+(?:và|and|va)\s+", desc, flags=re.IGNORECASE)
    return [p.strip(" .:") for p in parts if p.strip(" .:")]


@dataclass
class AreaMatch:
    """Target unit codes found for an alert's areas, and what matched nothing."""

    codes: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


class _Directory:
    def __init__(self, units: list[AdminUnit]) -> None:
        self.units = {u.code: u for u in units}
        self.by_base: dict[str, list[tuple[str, str, AdminUnit]]] = {}
        for unit in units:
            kind, base, accented = place_key(unit.name, unit.division_type)
            self.by_base.setdefault(base, []).append((kind, accented, unit))

    def ancestors(self, code: str) -> list[str]:
        chain, unit = [], self.units.get(code)
        while unit is not None and unit.parent_code and unit.parent_code not in chain:
            chain.append(unit.parent_code)
            unit = self.units.get(unit.parent_code)
        return chain

    def candidates(self, part: str) -> list[AdminUnit]:
        kind, base, accented = place_key(part)
        found = self.by_base.get(base, [])
        found = [f for f in found if kind and f[0] == kind] or found
        if len(found) > 1:  # "Tân Thanh" and "Tân Thành" differ only by accents: the written ones decide
            found = [f for f in found if f[1] == accented] or found
        return [unit for _, _, unit in found]

    def geocode(self, value_name: str, value: str) -> str | None:
        if re.sub(r"[^a-z]", "", value_name.lower()) not in _GEOCODE_NAMES:
            return None
        value = value.strip()
        tries = [value] + ([value.zfill(5), value.zfill(2)] if value.isdigit() else [])
        return next((v for v in tries if v in self.units), "")


def _ambiguous(part: str, units: list[AdminUnit], directory: _Directory) -> CapError:
    def where(u: AdminUnit) -> str:
        parent = directory.units.get(u.parent_code or "")
        return f"{u.name} ({u.code}{', ' + parent.name if parent else ''})"

    listed = "; ".join(where(u) for u in units[:8])
    return CapError(
        f"the area {part!r} matches several units: {listed}; name the province beside it or give a "
        "geocode VN-GSO with the unit code",
        f"khu vực {part!r} trùng tên nhiều đơn vị: {listed}; hãy ghi kèm tên tỉnh hoặc thêm geocode VN-GSO "
        "với mã đơn vị",
    )


def match_areas(areas: list[CapArea], units: list[AdminUnit]) -> AreaMatch:
    """Target units for the areas: geocodes first, else the names in each areaDesc."""
    directory, result = _Directory(units), AreaMatch()
    named = [(area, [(p, directory.candidates(p)) for p in split_area_desc(area.desc)]) for area in areas]
    provinces = {
        c[0].code for _, parts in named for _, c in parts if len(c) == 1 and c[0].level.value == "province"
    }
    for area, parts in named:
        coded = [directory.geocode(n, v) for n, v in area.geocodes]
        result.unmatched += [f"{n}={v}" for (n, v), c in zip(area.geocodes, coded, strict=True) if c == ""]
        if any(coded):
            result.codes += [c for c in coded if c]
            continue
        chosen: list[str] = []
        for part, found in parts:
            if len(found) > 1:
                found = [u for u in found if provinces & {u.code, *directory.ancestors(u.code)}] or found
            if len(found) > 1:
                raise _ambiguous(part, found, directory)
            if found:
                chosen.append(found[0].code)
            else:
                result.unmatched.append(part)
        # A unit named only as the context of another one in the same area is not itself a target.
        above = {a for code in chosen for a in directory.ancestors(code)}
        result.codes += [c for c in chosen if c not in above]
    result.codes = list(dict.fromkeys(result.codes))
    return result


# --- the draft -------------------------------------------------------------------------------------


def external_id_for(sender: str, identifier: str) -> str:
    """The bulletin's external id for a CAP alert: readable when short, a hash of sender and id when not."""
    readable = f"cap:{identifier}"
    if len(readable) <= 100:
        return readable
    import hashlib

    return "cap:sha256:" + hashlib.sha256(f"{sender}\x1f{identifier}".encode()).hexdigest()[:48]


def _clean(text: str) -> str:
    """Alert text as paragraphs: HTML breaks become line ends, hard-wrapped lines are joined."""
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"<[^>]+>", " ", text)
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def _local(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%H:%M ngày %d/%m/%Y")


def alert_body(infos: list[CapInfo], *, vietnamese: bool, area_names: list[str], timezone: str) -> str:
    """The draft text: description, the instruction (labelled), where, until when and from whom."""
    paragraphs: list[str] = []
    for info in infos:
        description = _clean(info.description)
        if description and description not in paragraphs:
            paragraphs.append(description)
    label, area_label, source_label = (
        ("Hướng dẫn:", "Khu vực:", "Nguồn:") if vietnamese else ("Instruction:", "Area:", "Source:")
    )
    for instruction in dict.fromkeys(_clean(i.instruction) for i in infos if i.instruction.strip()):
        paragraphs.append(f"{label} {instruction}")
    if not paragraphs:
        paragraphs.append(infos[0].headline or infos[0].event)
    if area_names:
        paragraphs.append(f"{area_label} {'; '.join(area_names)}.")
    expires = [i.expires for i in infos if i.expires]
    if expires:
        until = _local(max(expires), timezone)
        paragraphs.append(f"Có hiệu lực đến {until}." if vietnamese else f"Valid until {until}.")
    sender = next((i.sender_name for i in infos if i.sender_name), "")
    if sender:
        paragraphs.append(f"{source_label} {sender}.")
    return "\n\n".join(paragraphs)


def spoken_target_seconds(body: str) -> int:
    """A spoken length that keeps the whole alert text (instructions included), 60 s to 30 min."""
    import nlp
    from nlp.duration import estimate_seconds, speaking_rate

    seconds = estimate_seconds(nlp.split_sentences(body), speaking_rate())
    return int(min(1800, max(60, math.ceil(seconds * 1.15) + 5)))


# --- import ----------------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    """What importing one alert did (``kind``: stored, new_version, duplicate, cancel)."""

    kind: str
    bulletin_id: int
    version: int = 0
    title: str = ""
    status: str = ""
    priority: str = ""
    levels: str = ""  # the alert's severity, urgency and certainty
    targets: list[tuple[str, str]] = field(default_factory=list)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)  # (English, Vietnamese)


def _check_kind(alert: CapAlert) -> None:
    if alert.status != "Actual":
        raise CapError(
            f"the alert's status is {alert.status}, not Actual: exercises, tests and drafts are not broadcast",
            f"cảnh báo có trạng thái {alert.status}, không phải Actual (thật): diễn tập, thử nghiệm và bản "
            "nháp không được phát",
        )
    if alert.scope != "Public":
        raise CapError(
            f"the alert's scope is {alert.scope}, not Public: it is not for broadcast to the public",
            f"cảnh báo có phạm vi {alert.scope}, không phải Public (công khai): không phát ra loa công cộng",
        )
    if alert.msg_type not in ("Alert", "Update", "Cancel"):
        raise CapError(
            f"the message is a CAP {alert.msg_type}, not a warning (Alert, Update or Cancel)",
            f"thông điệp là CAP {alert.msg_type}, không phải cảnh báo (Alert, Update hoặc Cancel)",
        )
    if alert.msg_type != "Cancel" and not alert.infos:
        raise CapError(
            "the alert has no <info> block: there is no warning text to broadcast",
            "cảnh báo không có khối <info>: không có nội dung để phát",
        )


def _cancel(bulletin, alert: CapAlert) -> ImportOutcome:  # type: ignore[no-untyped-def]
    on_air = bulletin.status.value in ("approved", "distributed")
    if on_air:
        todo = (
            "it is approved or on air: end the emergency on every device now and do not repeat it",
            "bản tin đã duyệt hoặc đang phát: hãy kết thúc tình huống khẩn cấp trên mọi thiết bị ngay và "
            "không phát lại",
        )
    else:
        todo = (
            "it is not on air: reject it in its review (or leave it unapproved) so that it is never broadcast",
            "bản tin chưa phát: hãy từ chối khi duyệt (hoặc không duyệt) để bản tin không bao giờ được phát",
        )
    return ImportOutcome(
        kind="cancel",
        bulletin_id=bulletin.id,
        title=bulletin.title,
        status=bulletin.status.value,
        priority=bulletin.priority.value,
        notes=[todo],
    )


def import_alert(
    session: Session,
    alert: CapAlert,
    *,
    now: datetime,
    source_unit: str | None = None,
    created_by: str = "CAP",
    timezone: str = "Asia/Ho_Chi_Minh",
) -> ImportOutcome:
    """Store a CAP alert as a draft bulletin (Update: a new version of the one it updates)."""
    import storage
    from storage.alerts import bulletin_by_external_id, unit_directory

    _check_kind(alert)
    own_id = external_id_for(alert.sender, alert.identifier)
    referenced = [external_id_for(r.sender, r.identifier) for r in alert.references]
    if alert.msg_type == "Cancel":
        known = bulletin_by_external_id(session, [*referenced, own_id])
        if known is None:
            raise CapError(
                f"the alert cancels {', '.join(r.identifier for r in alert.references) or 'nothing named'}, "
                "which was never imported: nothing to withdraw, nothing stored",
                f"cảnh báo hủy {', '.join(r.identifier for r in alert.references) or '(không nêu)'}, vốn chưa "
                "từng được nhập: không có gì để thu hồi, chưa lưu gì",
            )
        return _cancel(known, alert)
    notes: list[tuple[str, str]] = []
    existing = bulletin_by_external_id(session, [own_id])
    if existing is not None:
        return ImportOutcome(
            kind="duplicate",
            bulletin_id=existing.id,
            title=existing.title,
            status=existing.status.value,
            priority=existing.priority.value,
        )
    target_id, updated = own_id, None
    if alert.msg_type == "Update":
        updated = bulletin_by_external_id(session, referenced)
        if updated is not None:
            target_id = updated.external_id
        else:
            notes.append(
                (
                    "the alerts it updates were never imported: stored as a new bulletin",
                    "các cảnh báo mà bản cập nhật này thay thế chưa từng được nhập: lưu thành bản tin mới",
                )
            )
    infos, vietnamese = chosen_infos(alert)
    if not vietnamese:
        notes.append(
            (
                f"the alert has no Vietnamese text; the draft is in {infos[0].language}: translate it before review",
                f"cảnh báo không có phần tiếng Việt; bản nháp bằng {infos[0].language}: hãy dịch trước khi duyệt",
            )
        )
    expires = max((i.expires for i in infos if i.expires), default=None)
    if expires is not None and expires <= now:
        raise CapError(
            f"the alert expired at {expires.isoformat()}: nothing stored",
            f"cảnh báo đã hết hiệu lực lúc {_local(expires, timezone)}: chưa lưu gì",
        )
    if expires is None:
        notes.append(
            (
                "the alert gives no expiry: end the emergency yourself once it is over",
                "cảnh báo không nêu thời hạn: hãy tự kết thúc tình huống khẩn cấp khi hết nguy hiểm",
            )
        )
    areas = [a for i in infos for a in i.areas]
    units = unit_directory(session)
    match = match_areas(areas, units)
    if not match.codes:
        described = "; ".join(a.desc for a in areas) or "(no <area>)"
        raise CapError(
            f"the alert names no known area ({described}): import the province first "
            "(bantin units import --province NAME) or check the area names and geocodes; nothing stored",
            f"cảnh báo không nêu địa bàn nào đã biết ({described}): hãy nhập tỉnh trước "
            "(bantin units import --province TÊN) hoặc kiểm tra tên và mã địa bàn; chưa lưu gì",
        )
    if match.unmatched:
        listed = "; ".join(match.unmatched)
        notes.append(
            (
                f"not matched to any unit, check the targets: {listed}",
                f"không khớp đơn vị nào, hãy kiểm tra địa bàn nhận: {listed}",
            )
        )
    names = {u.code: u.name for u in units}
    kept = [c for c in storage.target_codes(session, updated.id) if c not in match.codes] if updated else []
    if kept:
        listed = ", ".join(f"{c} {names.get(c, '')}".strip() for c in kept)
        notes.append(
            (
                f"the update no longer names {listed}; they stay targets of the bulletin: check them before review",
                f"bản cập nhật không còn nêu {listed}; các đơn vị này vẫn là địa bàn nhận: hãy kiểm tra trước khi duyệt",
            )
        )
    source = source_unit or _common_province(match.codes, units)
    first = infos[0]
    priority = max((priority_for(i.severity, i.urgency, i.certainty) for i in infos), key=_RANK.__getitem__)
    body = alert_body(
        infos,
        vietnamese=vietnamese,
        area_names=[names[c] for c in match.codes],
        timezone=timezone,
    )
    effective = min((i.effective for i in infos if i.effective), default=alert.sent)
    draft = storage.BulletinDraft(
        title=(first.headline or first.event)[:500],
        body=body,
        category=category_for(first.categories),
        priority=storage.Priority(priority),
        source_unit=source,
        target_units=match.codes,
        target_seconds=spoken_target_seconds(body),
        valid_from=effective,
        valid_until=expires,
        external_id=target_id,
        created_by=created_by,
    )
    bulletin, version, created = storage.save_draft(session=session, draft=draft)
    kind = "duplicate" if not created else ("new_version" if version.number > 1 else "stored")
    return ImportOutcome(
        kind=kind,
        bulletin_id=bulletin.id,
        version=version.number,
        title=bulletin.title,
        status=bulletin.status.value,
        priority=priority,
        levels=", ".join(dict.fromkeys(f"{i.severity} {i.urgency} {i.certainty}" for i in infos)),
        targets=[(c, names[c]) for c in match.codes],
        valid_from=effective,
        valid_until=expires,
        notes=notes,
    )


def _common_province(codes: list[str], units: list[AdminUnit]) -> str:
    """The top unit above every target (their province), or CapError asking for --source-unit."""
    directory = _Directory(units)
    tops = {([c, *directory.ancestors(c)])[-1] for c in codes}
    if len(tops) == 1:
        return tops.pop()
    raise CapError(
        f"the targets lie in several provinces ({', '.join(sorted(tops))}): give --source-unit CODE, "
        "the unit that issues the bulletin",
        f"địa bàn nhận thuộc nhiều tỉnh ({', '.join(sorted(tops))}): hãy chọn --source-unit MÃ, đơn vị "
        "ban hành bản tin",
    )
