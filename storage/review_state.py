"""Reviews with authority: one review request per version, decisions checked and recorded at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.audit import append_audit
from storage.bulletins import DECISION_STATUS, latest_version, target_codes, version_digest
from storage.errors import InvalidDecision, ReviewClosed, UnknownBulletin
from storage.models import (
    Bulletin,
    BulletinStatus,
    BulletinVersion,
    Review,
    ReviewDecision,
    ReviewRequest,
    ReviewRequestStatus,
    utcnow,
)
from storage.people import check_authority, get_person, verify_code

# The Vietnamese labels reviewers pick in forms, accepted as well as the enum values.
DECISION_LABELS = {
    "duyệt": ReviewDecision.approve,
    "từ chối": ReviewDecision.reject,
    "yêu cầu sửa": ReviewDecision.request_changes,
}

DECISION_ACTION = {
    ReviewDecision.approve: "approved",
    ReviewDecision.reject: "rejected",
    ReviewDecision.request_changes: "changes_requested",
}


def _version(session: Session, version_id: int) -> BulletinVersion:
    version = session.get(BulletinVersion, version_id)
    if version is None:
        raise UnknownBulletin(f"no bulletin version {version_id}", f"không có phiên bản bản tin {version_id}")
    return version


def get_review_request(session: Session, version_id: int) -> ReviewRequest | None:
    """The review request of a version, if one was made."""
    return session.exec(select(ReviewRequest).where(ReviewRequest.version_id == version_id)).first()


def claim_review(
    session: Session, *, version_id: int, flow_run_id: str, due_at: datetime | None = None
) -> tuple[ReviewRequest, bool]:
    """Open the one review of a version (freezing it); a second caller gets the existing request and False."""
    _version(session, version_id)
    existing = get_review_request(session, version_id)
    if existing is not None:
        return existing, False
    created = _insert_request(session, version_id=version_id, flow_run_id=flow_run_id or "", due_at=due_at)
    request = get_review_request(session, version_id)
    if not created:  # another run claimed it between our read and our insert
        return request, False
    return request, True


def _insert_request(session: Session, **values: object) -> bool:
    """Insert a review request unless the version has one (ON CONFLICT DO NOTHING); True if inserted."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    row = ReviewRequest(**values)  # defaults (requested_at, status, level, details) filled by the model
    fields = row.model_dump(exclude={"id"})
    statement = (
        insert(ReviewRequest)
        .values(**fields)
        .on_conflict_do_nothing(index_elements=["version_id"])
        .returning(ReviewRequest.id)
    )
    return session.exec(statement).first() is not None  # type: ignore[call-overload]


def waiting_reviews(session: Session) -> list[ReviewRequest]:
    """Review requests still waiting for a decision, oldest first."""
    query = select(ReviewRequest).where(ReviewRequest.status == ReviewRequestStatus.waiting)
    return list(session.exec(query.order_by(col(ReviewRequest.id))).all())


def _waiting_request(session: Session, version_id: int) -> ReviewRequest:
    request = get_review_request(session, version_id)
    if request is None:
        raise ReviewClosed(
            f"version {version_id} has no review request", f"phiên bản {version_id} chưa được gửi duyệt"
        )
    if request.status != ReviewRequestStatus.waiting:
        raise _closed(request)
    return request


def _closed(request: ReviewRequest) -> ReviewClosed:
    if request.status == ReviewRequestStatus.expired:
        return ReviewClosed(
            f"version {request.version_id} expired unapproved; it can no longer be approved: submit it again",
            f"phiên bản {request.version_id} đã hết hạn mà chưa được duyệt, không thể duyệt nữa: hãy gửi lại",
        )
    return ReviewClosed(
        f"version {request.version_id} was already decided; a version is reviewed once",
        f"phiên bản {request.version_id} đã được quyết định rồi; mỗi phiên bản chỉ được duyệt một lần",
    )


def expire_review(session: Session, version_id: int, *, actor: str = "system") -> ReviewRequest:
    """Close a waiting review unapproved (its broadcast window began); the bulletin is marked expired."""
    request = _waiting_request(session, version_id)
    request.status, request.decided_at = ReviewRequestStatus.expired, utcnow()
    session.add(request)
    version = _version(session, version_id)
    _set_bulletin_status(session, version.bulletin_id, BulletinStatus.expired)
    append_audit(
        session,
        actor=actor,
        action="expired",
        bulletin_id=version.bulletin_id,
        version_id=version_id,
        content_hash=version_digest(session, version_id),
    )
    return request


def escalate_review(
    session: Session, version_id: int, *, level: int, due_at: datetime | None, actor: str = "system"
) -> ReviewRequest:
    """Hand a waiting review to reviewers ``level`` levels up, with a new deadline."""
    request = _waiting_request(session, version_id)
    request.level, request.due_at = level, due_at
    session.add(request)
    session.flush()
    version = _version(session, version_id)
    append_audit(
        session,
        actor=actor,
        action="escalated",
        bulletin_id=version.bulletin_id,
        version_id=version_id,
        details={"level": level, "due_at": due_at.isoformat() if due_at else None},
    )
    return request


def _set_bulletin_status(session: Session, bulletin_id: int, status: BulletinStatus) -> None:
    bulletin = session.get(Bulletin, bulletin_id)
    bulletin.status, bulletin.updated_at = status, utcnow()
    session.add(bulletin)
    session.flush()


def _close_request(session: Session, version_id: int, flow_run_id: str | None, at: datetime) -> ReviewRequest:
    """Mark the version's request decided with one conditional write, so only one decision wins."""
    inserted = _insert_request(
        session,
        version_id=version_id,
        flow_run_id=flow_run_id or "",
        status=ReviewRequestStatus.decided,
        decided_at=at,
        details={"requested_by": "decision"},
    )
    request = get_review_request(session, version_id)
    if inserted:
        return request
    if request.status != ReviewRequestStatus.waiting:
        raise _closed(request)
    result = session.exec(  # type: ignore[call-overload]
        update(ReviewRequest)
        .where(col(ReviewRequest.id) == request.id, ReviewRequest.status == ReviewRequestStatus.waiting)
        .values(status=ReviewRequestStatus.decided, decided_at=at)
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    if result.rowcount != 1:
        raise _closed(request)
    return request


def decide_review(
    session: Session,
    *,
    version_id: int,
    person_ref: int | str,
    code: str,
    decision: ReviewDecision | str,
    comment: str = "",
    secret_key: bytes,
    flow_run_id: str | None = None,
    expected_digest: str | None = None,
    emergency: bool = False,
    levels_up: int = 0,
    at: datetime | None = None,
) -> Review:
    """Check everything (person, authority, one-time code, state, content) and record the decision.

    ``decision`` is a ReviewDecision or its Vietnamese label (duyệt / từ chối / yêu cầu sửa).
    ``levels_up`` is passed as the caller routes it (the review flow widens on escalation).
    """
    at = at or utcnow()
    try:
        decision = ReviewDecision(DECISION_LABELS.get(str(decision).strip().lower(), decision))
    except ValueError:
        raise InvalidDecision(
            f"unknown decision {decision!r}; choose approve, reject or request_changes",
            f"quyết định {decision!r} không hợp lệ; hãy chọn duyệt, từ chối hoặc yêu cầu sửa",
        ) from None
    comment = (comment or "").strip()
    if decision != ReviewDecision.approve and not comment:
        raise InvalidDecision(
            "a comment is required to reject or request changes: say what must change",
            "cần ghi nhận xét khi từ chối hoặc yêu cầu sửa: hãy nói rõ cần sửa gì",
        )
    version = _version(session, version_id)
    request = get_review_request(session, version_id)
    if request is not None and request.status != ReviewRequestStatus.waiting:
        raise _closed(request)
    if session.exec(select(Review.id).where(Review.version_id == version_id)).first() is not None:
        raise ReviewClosed(
            f"version {version_id} was already decided; a version is reviewed once",
            f"phiên bản {version_id} đã được quyết định rồi; mỗi phiên bản chỉ được duyệt một lần",
        )
    newest = latest_version(session, version.bulletin_id)
    if newest is not None and newest.id != version.id:
        raise ReviewClosed(
            f"version {version.number} was replaced by version {newest.number}: review the newest one",
            f"phiên bản {version.number} đã được thay bằng phiên bản {newest.number}: hãy duyệt phiên bản mới nhất",
        )
    person = get_person(session, person_ref)
    targets = target_codes(session, version.bulletin_id)
    check_authority(session, person, targets, emergency=emergency, levels_up=levels_up)
    digest = version_digest(session, version_id)
    if expected_digest is not None and expected_digest != digest:
        raise ReviewClosed(
            "the bulletin changed after it was shown to you: reopen the review sheet and decide again",
            "bản tin đã thay đổi sau khi hiển thị cho bạn: hãy mở lại phiếu duyệt và quyết định lại",
        )
    verify_code(session, person, code, secret_key=secret_key, at=at)
    request = _close_request(session, version_id, flow_run_id, at)
    review = Review(
        version_id=version_id,
        reviewer=person.name,
        person_id=person.id,
        decision=decision,
        comment=comment,
        flow_run_id=flow_run_id,
        content_digest=digest,
        created_at=at,
    )
    session.add(review)
    _set_bulletin_status(session, version.bulletin_id, DECISION_STATUS[decision])
    append_audit(
        session,
        actor=person.name,
        action=DECISION_ACTION[decision],
        bulletin_id=version.bulletin_id,
        version_id=version_id,
        content_hash=digest,
        details={
            "person_id": person.id,
            "office": person.office,
            "unit": person.unit_code,
            "comment": comment,
            "flow_run_id": flow_run_id,
            "level": request.level,
            "levels_up": levels_up,
            "emergency": emergency,
        },
    )
    return review
