"""Villages and devices: import from CSV or JSON, issue tokens, authenticate, record heartbeats."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from storage.errors import DeviceAuthError, InvalidImport, UnknownDevice
from storage.models import AdminLevel, AdminUnit, Device, DeviceKind, Heartbeat, utcnow

_DEVICE_KINDS = {
    "speaker_cluster": DeviceKind.speaker_cluster,
    "loa": DeviceKind.speaker_cluster,
    "cum_loa": DeviceKind.speaker_cluster,
    "eboard": DeviceKind.eboard,
    "bang_tin": DeviceKind.eboard,
}


@dataclass
class DeviceImport:
    """What an import did; ``tokens`` holds the new devices' tokens, shown once."""

    villages_added: int = 0
    villages_updated: int = 0
    devices_added: int = 0
    devices_updated: int = 0
    tokens: dict[str, str] = field(default_factory=dict)


def hash_token(token: str) -> str:
    """The stored form of a device token (sha256 hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random device token."""
    return secrets.token_urlsafe(32)


def _languages(value: object) -> list[str]:
    if isinstance(value, list):
        items = [str(v) for v in value]
    else:
        items = str(value or "vie").replace(";", ",").replace(" ", ",").split(",")
    langs = [item.strip().lower() for item in items if item.strip()]
    bad = [lang for lang in langs if len(lang) != 3 or not lang.isalpha()]
    if bad:
        raise ValueError(f"languages must be ISO 639-3 codes such as vie, khm: got {bad}")
    return langs or ["vie"]


def parse_records(text: str, fmt: str) -> list[dict]:
    """Rows of a CSV (header: type,code,name,parent,kind,languages,token) or JSON file."""
    if fmt == "json":
        data = json.loads(text)
        if isinstance(data, dict):
            rows = [{"type": "village", **v} for v in data.get("villages", [])]
            rows += [{"type": "device", **d} for d in data.get("devices", [])]
            return rows
        if isinstance(data, list):
            return [dict(r) for r in data]
        raise ValueError("a JSON import is an object with 'villages' and 'devices' lists, or a list of rows")
    if fmt == "csv":
        return [dict(row) for row in csv.DictReader(io.StringIO(text))]
    raise ValueError(f"unknown import format {fmt!r}; use csv or json")


def _invalid(row_no: int, reason: str) -> InvalidImport:
    return InvalidImport(
        f"row {row_no}: {reason}. Nothing was imported; fix the file and run the import again.",
        f"dòng {row_no}: {reason}. Chưa nhập gì; hãy sửa tệp rồi nhập lại.",
    )


def import_records(*, session: Session, rows: list[dict]) -> DeviceImport:
    """Create or update villages and devices; any bad row raises InvalidImport and writes nothing."""
    result = DeviceImport()
    known_units = set(session.exec(select(AdminUnit.code)).all())
    pending: list[tuple[int, dict]] = list(enumerate(rows, start=1))
    for row_no, row in pending:
        kind = str(row.get("type", "device")).strip().lower()
        try:
            if kind == "village":
                _import_village(session, row, known_units, result)
            elif kind == "device":
                _import_device(session, row, known_units, result)
            else:
                raise ValueError(f"unknown row type {kind!r}; use 'village' or 'device'")
        except InvalidImport:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            raise _invalid(row_no, str(exc)) from None
    session.flush()
    return result


def _import_village(session: Session, row: dict, known_units: set[str], result: DeviceImport) -> None:
    code = str(row.get("code", "")).strip()
    name = str(row.get("name", "")).strip()
    parent = str(row.get("parent") or row.get("parent_code") or "").strip()
    if not code or not name:
        raise ValueError("a village needs a code and a name")
    if parent not in known_units:
        raise ValueError(f"unknown parent unit {parent!r} for village {code!r}")
    unit = session.get(AdminUnit, code)
    languages = _languages(row.get("languages"))
    if unit is None:
        session.add(
            AdminUnit(
                code=code,
                name=name,
                level=AdminLevel.village,
                division_type="thôn",
                parent_code=parent,
                languages=languages,
            )
        )
        result.villages_added += 1
    else:
        unit.name, unit.parent_code, unit.languages = name, parent, languages
        session.add(unit)
        result.villages_updated += 1
    known_units.add(code)


def _import_device(session: Session, row: dict, known_units: set[str], result: DeviceImport) -> None:
    device_id = str(row.get("id") or row.get("code") or "").strip()
    unit_code = str(row.get("unit") or row.get("unit_code") or row.get("parent") or "").strip()
    kind_name = str(row.get("kind") or "speaker_cluster").strip().lower()
    if not device_id:
        raise ValueError("a device needs an id")
    if kind_name not in _DEVICE_KINDS:
        raise ValueError(f"unknown device kind {kind_name!r}; use speaker_cluster or eboard")
    if unit_code not in known_units:
        raise ValueError(f"unknown unit {unit_code!r} for device {device_id!r}")
    simulated = str(row.get("simulated", "")).strip().lower() in {"1", "true", "yes"}
    device = session.get(Device, device_id)
    fields = {
        "kind": _DEVICE_KINDS[kind_name],
        "unit_code": unit_code,
        "name": str(row.get("name") or device_id),
        "languages": _languages(row.get("languages")),
        "simulated": simulated,
    }
    token = str(row.get("token") or "").strip()
    if device is None:
        token = token or new_token()
        session.add(Device(id=device_id, token_hash=hash_token(token), **fields))
        result.devices_added += 1
        result.tokens[device_id] = token
        return
    for name, value in fields.items():
        setattr(device, name, value)
    if token:
        device.token_hash = hash_token(token)
    session.add(device)
    result.devices_updated += 1


def get_device(session: Session, device_id: str) -> Device:
    """The device with ``device_id`` or UnknownDevice."""
    device = session.get(Device, device_id)
    if device is None:
        raise UnknownDevice(
            f"no device with id {device_id!r}; register it with bantin devices import FILE",
            f"không có thiết bị mã {device_id!r}; hãy đăng ký bằng bantin devices import TỆP",
        )
    return device


def issue_token(*, session: Session, device_id: str) -> str:
    """Replace a device's token with a new one and return it (shown once)."""
    device = get_device(session, device_id)
    token = new_token()
    device.token_hash = hash_token(token)
    session.add(device)
    session.flush()
    return token


def authenticate_device(*, session: Session, device_id: str, token: str) -> Device:
    """The device if ``token`` is its token; a device cannot speak for another id."""
    device = session.get(Device, device_id)
    if device is None or not token or not hmac.compare_digest(device.token_hash, hash_token(token)):
        raise DeviceAuthError(
            f"device {device_id!r} is unknown or its token does not match",
            f"thiết bị {device_id!r} không tồn tại hoặc mã xác thực không khớp",
        )
    return device


def record_heartbeat(
    *,
    session: Session,
    device: Device,
    status: str = "ok",
    signal_dbm: int | None = None,
    battery_pct: int | None = None,
    fm_fallback: bool = False,
    firmware: str = "",
    at: datetime | None = None,
) -> Heartbeat:
    """Store a device's status report and mark it seen."""
    beat = Heartbeat(
        device_id=device.id,
        status=status[:32],
        signal_dbm=signal_dbm,
        battery_pct=battery_pct,
        fm_fallback=fm_fallback,
        firmware=firmware[:64],
        received_at=at or utcnow(),
    )
    device.last_seen_at = beat.received_at
    session.add(beat)
    session.add(device)
    session.flush()
    return beat


def list_devices(session: Session, *, simulated: bool | None = None) -> list[Device]:
    """Devices ordered by id, optionally only simulated or only real ones."""
    query = select(Device).order_by(Device.id)
    if simulated is not None:
        query = query.where(Device.simulated == simulated)
    return list(session.exec(query).all())
