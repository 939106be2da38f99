"""Villages and devices: import from CSV or JSON, issue tokens, authenticate, record heartbeats."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import math
import secrets
import string
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


# Stored token hashes: "h1$" + base64url(HMAC-SHA256(token key, sha256 hex of the token)).
# Hashes from before migration 0006 are the bare sha256 hex; they are keyed on first use or by the migration.
KEYED_PREFIX = "h1$"
# An imported token must carry at least this much randomness (server-made tokens carry 256 bits).
MIN_TOKEN_BITS = 128
MAX_TOKEN_CHARS = 256


def token_key(secret_key: bytes) -> bytes:
    """The key device tokens are hashed with, derived from the server's secret key."""
    if not secret_key:
        raise ValueError("an empty secret key cannot key device token hashes")
    return hmac.new(secret_key, b"bantin device token v1", hashlib.sha256).digest()


def key_legacy_hash(legacy: str, secret_key: bytes) -> str:
    """The keyed form of an unkeyed stored hash (sha256 hex of the token)."""
    digest = hmac.new(token_key(secret_key), legacy.encode("ascii"), hashlib.sha256).digest()
    return KEYED_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def hash_token(token: str, secret_key: bytes | None = None) -> str:
    """The stored form of a device token: keyed with the server secret (HMAC-SHA256) when one is given.

    Without a key (tests, tools that do not hold it) the unkeyed sha256 hex is stored; the gateway
    keys it the first time the device signs in.
    """
    legacy = hashlib.sha256(token.encode()).hexdigest()
    return key_legacy_hash(legacy, secret_key) if secret_key else legacy


def new_token() -> str:
    """A fresh random device token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_bits(token: str) -> float:
    """A conservative estimate of a token's randomness: length times the bits of its character classes.

    A token with few distinct characters (``aaaa…``) counts the bits of those few, and a repeating
    one (``abcdabcd…``) only its distinct three-character pieces.
    """
    if not token:
        return 0.0
    chars = set(token)
    if chars <= set(string.digits):
        alphabet = 10
    elif chars <= set(string.hexdigits.lower()) or chars <= set(string.hexdigits.upper()):
        alphabet = 16
    elif chars <= set(string.ascii_letters + string.digits + "-_"):
        alphabet = 64  # base64url, as secrets.token_urlsafe makes
    else:
        alphabet = 94  # printable ASCII
    if len(chars) < 8:
        alphabet = min(alphabet, 2 * len(chars))
    pieces = len({token[i : i + 3] for i in range(max(1, len(token) - 2))})
    length = len(token) if pieces >= 0.8 * (len(token) - 2) else pieces + 2
    return length * math.log2(max(2, alphabet))


def check_imported_token(token: str) -> None:
    """Refuse an imported token that could be guessed: under 128 bits of randomness, or not printable ASCII."""
    if len(token) > MAX_TOKEN_CHARS or not all(33 <= ord(c) < 127 for c in token):
        raise ValueError(
            f"a device token is printable ASCII without spaces, at most {MAX_TOKEN_CHARS} characters; "
            "leave the token column empty and the server makes one"
        )
    if token_bits(token) < MIN_TOKEN_BITS:
        raise ValueError(
            f"the token {token[:4]}… is too weak (about {token_bits(token):.0f} bits; at least "
            f"{MIN_TOKEN_BITS} bits of randomness are needed, e.g. 32 random hex digits): leave the token "
            "column empty and the server makes one"
        )


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
        try:
            data = json.loads(text)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply to read") from None
        shape = (
            "a JSON import is an object with 'villages' and 'devices' lists of objects, or a list of objects"
        )
        if isinstance(data, dict):
            villages, devices = data.get("villages", []), data.get("devices", [])
            if not isinstance(villages, list) or not isinstance(devices, list):
                raise ValueError(shape)
            rows = [{"type": "village", **_row(v, shape)} for v in villages]
            rows += [{"type": "device", **_row(d, shape)} for d in devices]
            return rows
        if isinstance(data, list):
            return [_row(r, shape) for r in data]
        raise ValueError(shape)
    if fmt == "csv":
        return [dict(row) for row in csv.DictReader(io.StringIO(text))]
    raise ValueError(f"unknown import format {fmt!r}; use csv or json")


def _row(value: object, shape: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{shape}; found {json.dumps(value)[:40]}")
    return value


def _invalid(row_no: int, reason: str) -> InvalidImport:
    return InvalidImport(
        f"row {row_no}: {reason}. Nothing was imported; fix the file and run the import again.",
        f"dòng {row_no}: {reason}. Chưa nhập gì; hãy sửa tệp rồi nhập lại.",
    )


def import_records(*, session: Session, rows: list[dict], secret_key: bytes | None = None) -> DeviceImport:
    """Create or update villages and devices; any bad row raises InvalidImport and writes nothing.

    A device without a token gets a new server-made one; an imported token must carry 128 bits of
    randomness. Tokens are hashed with ``secret_key`` (see ``hash_token``).
    """
    result = DeviceImport()
    known_units = set(session.exec(select(AdminUnit.code)).all())
    pending: list[tuple[int, dict]] = list(enumerate(rows, start=1))
    for row_no, row in pending:
        if not isinstance(row, dict):
            raise _invalid(row_no, f"a row is an object with type, code, name..., not {type(row).__name__}")
        kind = str(row.get("type", "device")).strip().lower()
        try:
            if kind == "village":
                _import_village(session, row, known_units, result)
            elif kind == "device":
                _import_device(session, row, known_units, result, secret_key)
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


def _import_device(
    session: Session, row: dict, known_units: set[str], result: DeviceImport, secret_key: bytes | None
) -> None:
    device_id = str(row.get("id") or row.get("code") or "").strip()
    unit_code = str(row.get("unit") or row.get("unit_code") or row.get("parent") or "").strip()
    kind_name = str(row.get("kind") or "speaker_cluster").strip().lower()
    if not device_id:
        raise ValueError("a device needs an id")
    if len(device_id) > 64 or any(ord(c) < 32 or ord(c) == 127 for c in device_id):
        raise ValueError(f"device id {device_id[:70]!r} must be at most 64 printable characters")
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
    if token:
        check_imported_token(token)
    if device is None:
        token = token or new_token()
        session.add(Device(id=device_id, token_hash=hash_token(token, secret_key), **fields))
        result.devices_added += 1
        result.tokens[device_id] = token
        return
    for name, value in fields.items():
        setattr(device, name, value)
    if token:
        device.token_hash = hash_token(token, secret_key)
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


def issue_token(*, session: Session, device_id: str, secret_key: bytes | None = None) -> str:
    """Replace a device's token with a new server-made one and return it (shown once)."""
    device = get_device(session, device_id)
    token = new_token()
    device.token_hash = hash_token(token, secret_key)
    session.add(device)
    session.flush()
    return token


def token_matches(stored: str, token: str, secret_key: bytes) -> bool:
    """Whether ``token`` is the one whose keyed hash is ``stored`` (constant-time compare).

    False for an unkeyed stored hash too: ``authenticate_device`` checks and re-keys those.
    """
    if not (token and stored.startswith(KEYED_PREFIX)):
        return False
    return hmac.compare_digest(stored.encode(), hash_token(token, secret_key).encode())


def authenticate_device(
    *, session: Session, device_id: str, token: str, secret_key: bytes | None = None
) -> Device:
    """The device if ``token`` is its token (constant-time compare); a device cannot speak for another id.

    With ``secret_key``, a hash stored before keying is checked and replaced by its keyed form.
    """
    device = session.get(Device, device_id)
    stored = device.token_hash if device is not None else ""
    legacy = not stored.startswith(KEYED_PREFIX)
    expected = hash_token(token, None if legacy else secret_key) if token and stored else ""
    if device is None or not expected or not hmac.compare_digest(stored.encode(), expected.encode()):
        raise DeviceAuthError(
            f"device {device_id!r} is unknown or its token does not match",
            f"thiết bị {device_id!r} không tồn tại hoặc mã xác thực không khớp",
        )
    if legacy and secret_key:
        device.token_hash = key_legacy_hash(stored, secret_key)
        session.add(device)
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
    free_storage_bytes: int | None = None,
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
        free_storage_bytes=free_storage_bytes,
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
