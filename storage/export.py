"""Upward export to the central information system: API keys scoped to a unit's subtree, exported rows."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlmodel import Field, Session, SQLModel, select
from sqlmodel.sql.sqltypes import UTCDateTime

from storage.audit import append_audit
from storage.errors import DeviceAuthError, NotAuthorised, StorageError
from storage.metrics import ReportPeriod
from storage.models import utcnow
from storage.reports import _aware
from storage.units import descendant_codes, get_unit

KEY_PREFIX = "bte_"


class ExportKey(SQLModel, table=True):
    """An upper-level system's key: it reads exports for one unit and everything below it."""

    __tablename__ = "export_api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    unit_code: str = Field(foreign_key="admin_unit.code", index=True, max_length=32)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class ExportKeyRejected(DeviceAuthError):
    code = "export_key_rejected"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_export_key(
    session: Session, *, unit_code: str, name: str, actor: str = "cli"
) -> tuple[ExportKey, str]:
    """A new key for ``unit_code``'s subtree; the token is returned once and stored only as a hash."""
    unit = get_unit(session, (unit_code or "").strip())
    clean = " ".join((name or "").split())
    if not clean or len(clean) > 200:
        raise StorageError(
            "give the key a name of 1-200 characters (the system that uses it)",
            "hãy đặt tên cho khóa (1-200 ký tự, tên hệ thống sử dụng)",
        )
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ExportKey(name=clean, unit_code=unit.code, key_hash=_hash(token))
    session.add(key)
    session.flush()
    append_audit(
        session, actor=actor, action="secret_reissued", details={"export_key": key.id, "unit": unit.code}
    )
    return key, token


def revoke_export_key(session: Session, key_id: int) -> ExportKey:
    key = session.get(ExportKey, key_id)
    if key is None:
        raise StorageError(f"no export key {key_id}", f"không có khóa xuất dữ liệu {key_id}")
    key.revoked_at = key.revoked_at or utcnow()
    session.add(key)
    session.flush()
    return key


def authenticate_export_key(session: Session, token: str | None) -> ExportKey:
    """The active key with this token; ExportKeyRejected otherwise."""
    if token and token.startswith(KEY_PREFIX) and token.isascii():
        key = session.exec(select(ExportKey).where(ExportKey.key_hash == _hash(token))).first()
        if key is not None and key.revoked_at is None and hmac.compare_digest(key.key_hash, _hash(token)):
            key.last_used_at = utcnow()
            session.add(key)
            return key
    raise ExportKeyRejected(
        "the API key is missing, wrong or revoked: send it in the X-API-Key header",
        "khóa API thiếu, sai hoặc đã bị thu hồi: hãy gửi trong tiêu đề X-API-Key",
    )


def check_export_scope(session: Session, key: ExportKey, unit_code: str) -> str:
    """The unit's code when it is the key's unit or below it; NotAuthorised elsewhere."""
    unit = get_unit(session, unit_code)
    if unit.code not in descendant_codes(session, [key.unit_code]):
        raise NotAuthorised(
            f"this key reads {key.unit_code} and the units below it, not {unit.code}",
            f"khóa này chỉ đọc được đơn vị {key.unit_code} và các đơn vị trực thuộc, không phải {unit.code}",
        )
    return unit.code


def export_bulletins(session: Session, *, unit_code: str, period: ReportPeriod) -> list[dict]:
    """Bulletins addressed to the unit, its subtree or its ancestors and approved in the period."""
    window = "AND r.created_at >= :since AND r.created_at < :until" if period.since is not None else ""
    sql = text(f"""
WITH RECURSIVE scope(code) AS (
    SELECT code FROM admin_unit WHERE code = :root
    UNION ALL
    SELECT u.code FROM admin_unit u JOIN scope ON u.parent_code = scope.code
),
above(code, parent) AS (
    SELECT code, parent_code FROM admin_unit WHERE code = :root
    UNION ALL
    SELECT u.code, u.parent_code FROM admin_unit u JOIN above ON u.code = above.parent
),
approved AS (
    SELECT v.bulletin_id, MIN(r.created_at) AS approved_at, MAX(v.number) AS version
    FROM review r JOIN bulletin_version v ON v.id = r.version_id
    WHERE r.decision = 'approve' {window}
    GROUP BY v.bulletin_id
)
SELECT b.id AS bulletin_id, b.external_id, b.title, b.category, b.priority, b.status,
       b.source_unit_code, a.version, a.approved_at
FROM bulletin b JOIN approved a ON a.bulletin_id = b.id
WHERE EXISTS (
    SELECT 1 FROM bulletin_target t WHERE t.bulletin_id = b.id
      AND (t.unit_code IN (SELECT code FROM scope) OR t.unit_code IN (SELECT code FROM above))
)
ORDER BY a.approved_at, b.id""")
    params: dict = {"root": unit_code}
    if period.since is not None:
        sql = sql.bindparams(bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()))
        params |= {"since": period.since, "until": period.until}
    rows = []
    for row in session.connection().execute(sql, params).mappings():
        item = dict(row)
        for name in ("priority", "status"):
            item[name] = str(getattr(item[name], "value", item[name]))
        item["approved_at"] = _aware(item["approved_at"]).isoformat()
        rows.append(item)
    return rows
