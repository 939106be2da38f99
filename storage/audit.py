"""The audit trail: every state change appended with actor, time and content hash, chained by hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from storage.models import AuditEvent, utcnow

GENESIS_HASH = "0" * 64
# Any constant shared by every appender; pg_advisory_xact_lock serialises appends on PostgreSQL.
_APPEND_LOCK = 0x62616E74  # "bant"

ACTIONS = frozenset(
    {
        "drafted",
        "produced",
        "review_requested",
        "reviewed",
        "approved",
        "rejected",
        "changes_requested",
        "expired",
        "escalated",
        "distributed",
        "recording_imported",
        "version_derived",
        "person_added",
        "person_revoked",
        "secret_reissued",
        "emergency_ended",
        "emergency_repeat_set",
    }
)


@dataclass(frozen=True)
class AuditReport:
    """The result of checking the chain: the first row that does not hold, if any."""

    ok: bool
    rows: int
    first_broken_id: int | None = None
    reason: str = ""
    reason_vi: str = ""
    last_id: int | None = None  # the chain's head when intact: note it elsewhere to detect a cut tail later
    last_hash: str = ""


def _timestamp(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive UTC when read outside the model
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def row_digest(event: AuditEvent) -> str:
    """sha256 of the previous hash and the canonical JSON of the row's fields."""
    fields = {
        "id": event.id,
        "at": _timestamp(event.at),
        "actor": event.actor,
        "action": event.action,
        "bulletin_id": event.bulletin_id,
        "version_id": event.version_id,
        "content_hash": event.content_hash,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    return hashlib.sha256((event.prev_hash + canonical_json(fields)).encode()).hexdigest()


def append_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    bulletin_id: int | None = None,
    version_id: int | None = None,
    content_hash: str = "",
    details: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain (serialised: one appender at a time)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; known: {', '.join(sorted(ACTIONS))}")
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(:key)"), params={"key": _APPEND_LOCK})  # type: ignore[call-overload]
    event = AuditEvent(
        at=utcnow(),
        actor=actor or "system",
        action=action,
        bulletin_id=bulletin_id,
        version_id=version_id,
        content_hash=content_hash or "",
        details=json.loads(canonical_json(details or {})),
    )
    # Insert first: on SQLite the write takes the database lock, so the previous row cannot change.
    session.add(event)
    session.flush()
    previous = session.exec(
        select(AuditEvent.row_hash).where(col(AuditEvent.id) < event.id).order_by(col(AuditEvent.id).desc())
    ).first()
    event.prev_hash = previous or GENESIS_HASH
    event.row_hash = row_digest(event)
    session.add(event)
    session.flush()
    return event


def verify_audit(session: Session) -> AuditReport:
    """Walk the chain in id order; name the first row whose hash or link does not hold."""
    expected_prev = GENESIS_HASH
    rows = 0
    last_id: int | None = None
    query = select(AuditEvent).order_by(col(AuditEvent.id)).execution_options(yield_per=1000)
    for event in session.exec(query):
        rows += 1
        if event.prev_hash != expected_prev:
            after = f"row {last_id}" if last_id is not None else "the start of the chain"
            after_vi = f"dòng {last_id}" if last_id is not None else "đầu chuỗi"
            return AuditReport(
                False,
                rows,
                event.id,
                f"its prev_hash does not match {after}: a row before it was deleted, inserted or reordered",
                f"prev_hash không khớp với {after_vi}: một dòng phía trước đã bị xóa, chèn thêm hoặc đổi thứ tự",
            )
        if row_digest(event) != event.row_hash:
            return AuditReport(
                False,
                rows,
                event.id,
                "its content does not match its hash: the row was edited",
                "nội dung không khớp với mã băm: dòng này đã bị sửa",
            )
        expected_prev, last_id = event.row_hash, event.id
    return AuditReport(True, rows, last_id=last_id, last_hash=expected_prev if last_id is not None else "")


def bulletin_history(session: Session, bulletin_id: int) -> list[AuditEvent]:
    """A bulletin's events, oldest first."""
    query = select(AuditEvent).where(AuditEvent.bulletin_id == bulletin_id).order_by(col(AuditEvent.id))
    return list(session.exec(query).all())
