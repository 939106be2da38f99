"""Bulletins: drafts and their versions, renditions per language and kind, reviews."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from storage.audit import append_audit, canonical_json
from storage.errors import InvalidDraft, UnknownBulletin, VersionFrozen
from storage.models import (
    Bulletin,
    BulletinStatus,
    BulletinTarget,
    BulletinVersion,
    Priority,
    Rendition,
    RenditionKind,
    Review,
    ReviewDecision,
    ReviewRequest,
    ReviewRequestStatus,
    utcnow,
)
from storage.units import get_unit

MAX_BODY_CHARS = 20_000


class BulletinDraft(BaseModel):
    """What an editor submits; ``external_id`` makes resubmission idempotent."""

    title: str = Field(min_length=1, max_length=500, description="Headline of the bulletin.")
    body: str = Field(description="The written draft; paragraphs separated by a blank line.")
    category: str = Field("van_hoa_xa_hoi", description="Topic, e.g. thoi_tiet_thien_tai, dich_benh_y_te.")
    priority: Priority = Field(Priority.normal, description="normal, priority or emergency.")
    source_unit: str = Field(description="Code of the unit that issues the bulletin.")
    target_units: list[str] = Field(default_factory=list, description="Codes of the units it is for.")
    target_seconds: int = Field(60, ge=10, le=1800, description="Spoken length to aim for, in seconds.")
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    external_id: str | None = Field(None, max_length=100, description="The editor system's id, if any.")
    created_by: str = Field("", max_length=200)


def content_hash(draft: BulletinDraft) -> str:
    """Hash of what a listener would hear or read; unchanged text makes no new version."""
    text = "\x1f".join([draft.title.strip(), draft.body.strip(), draft.priority.value])
    return hashlib.sha256(text.encode()).hexdigest()


def _check_draft(session: Session, draft: BulletinDraft) -> None:
    if not draft.body.strip():
        raise InvalidDraft(
            "the draft is empty: write the bulletin text before submitting",
            "bản tin trống: hãy nhập nội dung trước khi gửi",
        )
    if len(draft.body) > MAX_BODY_CHARS:
        raise InvalidDraft(
            f"the draft has {len(draft.body):,} characters; the limit is {MAX_BODY_CHARS:,}: split it",
            f"bản tin dài {len(draft.body):,} ký tự, vượt giới hạn {MAX_BODY_CHARS:,}: hãy tách thành nhiều bản tin",
        )
    if not draft.target_units:
        raise InvalidDraft(
            "the draft has no target unit: choose where it is broadcast",
            "bản tin chưa có địa bàn nhận: hãy chọn nơi phát",
        )
    for code in [draft.source_unit, *draft.target_units]:
        get_unit(session, code)


def save_draft(*, session: Session, draft: BulletinDraft) -> tuple[Bulletin, BulletinVersion, bool]:
    """Store a draft as a bulletin version; returns (bulletin, version, created a new version)."""
    _check_draft(session, draft)
    bulletin = None
    if draft.external_id:
        bulletin = session.exec(select(Bulletin).where(Bulletin.external_id == draft.external_id)).first()
    digest = content_hash(draft)
    if bulletin is not None:
        latest = latest_version(session, bulletin.id)
        if latest is not None and latest.content_hash == digest:
            return bulletin, latest, False
    else:
        bulletin = Bulletin(
            title=draft.title, source_unit_code=draft.source_unit, external_id=draft.external_id
        )
    for name in (
        "title",
        "category",
        "priority",
        "target_seconds",
        "valid_from",
        "valid_until",
        "created_by",
    ):
        setattr(bulletin, name, getattr(draft, name))
    bulletin.source_unit_code = draft.source_unit
    bulletin.status = BulletinStatus.draft
    bulletin.updated_at = utcnow()
    session.add(bulletin)
    session.flush()
    current = set(
        session.exec(select(BulletinTarget.unit_code).where(BulletinTarget.bulletin_id == bulletin.id))
    )
    for code in dict.fromkeys(draft.target_units):
        if code not in current:
            session.add(BulletinTarget(bulletin_id=bulletin.id, unit_code=code))
    latest = latest_version(session, bulletin.id)
    version = BulletinVersion(
        bulletin_id=bulletin.id,
        number=(latest.number + 1) if latest else 1,
        body=draft.body,
        content_hash=digest,
        created_by=draft.created_by,
    )
    session.add(version)
    session.flush()
    append_audit(
        session,
        actor=draft.created_by or "editor",
        action="drafted",
        bulletin_id=bulletin.id,
        version_id=version.id,
        content_hash=digest,
        details={
            "number": version.number,
            "title": bulletin.title,
            "targets": list(dict.fromkeys(draft.target_units)),
        },
    )
    return bulletin, version, True


def get_bulletin(session: Session, bulletin_id: int | str) -> Bulletin:
    """A bulletin by numeric id or external id, or UnknownBulletin."""
    bulletin = None
    if isinstance(bulletin_id, int) or str(bulletin_id).isdigit():
        bulletin = session.get(Bulletin, int(bulletin_id))
    if bulletin is None:
        bulletin = session.exec(select(Bulletin).where(Bulletin.external_id == str(bulletin_id))).first()
    if bulletin is None:
        raise UnknownBulletin(f"no bulletin with id {bulletin_id!r}", f"không có bản tin mã {bulletin_id!r}")
    return bulletin


def latest_version(session: Session, bulletin_id: int) -> BulletinVersion | None:
    """The newest version of a bulletin."""
    query = (
        select(BulletinVersion)
        .where(BulletinVersion.bulletin_id == bulletin_id)
        .order_by(col(BulletinVersion.number).desc())
    )
    return session.exec(query).first()


def target_codes(session: Session, bulletin_id: int) -> list[str]:
    """The unit codes a bulletin is addressed to."""
    query = select(BulletinTarget.unit_code).where(BulletinTarget.bulletin_id == bulletin_id)
    return sorted(session.exec(query).all())


def save_rendition(
    *, session: Session, version_id: int, language: str, kind: RenditionKind, **fields: object
) -> Rendition:
    """Create or replace the rendition of a version in one language and kind (before its review only).

    Once the version is frozen, saving the same text and audio again (a rerun) returns the stored
    rendition untouched; anything else raises VersionFrozen.
    """
    query = select(Rendition).where(
        Rendition.version_id == version_id, Rendition.language == language, Rendition.kind == kind
    )
    existing = session.exec(query).first()
    if version_frozen(session, version_id):
        if existing is not None and _same_content(existing, fields):
            return existing
        version = session.get(BulletinVersion, version_id)
        raise VersionFrozen(
            f"bulletin {version.bulletin_id} version {version.number} is under review or reviewed and cannot "
            f"change ({language} {kind.value}): make a new version (its own review follows)",
            f"bản tin {version.bulletin_id} phiên bản {version.number} đang chờ duyệt hoặc đã duyệt nên không "
            f"thể sửa ({language} {kind.value}): hãy tạo phiên bản mới (phiên bản mới sẽ được duyệt lại)",
        )
    rendition = existing or Rendition(version_id=version_id, language=language, kind=kind)
    for name, value in fields.items():
        setattr(rendition, name, value)
    session.add(rendition)
    session.flush()
    return rendition


def _same_content(rendition: Rendition, fields: dict[str, object]) -> bool:
    """True when ``fields`` would leave what a listener hears or reads unchanged."""
    if fields.get("text", rendition.text) != rendition.text:
        return False
    if fields.get("audio_key", rendition.audio_key) != rendition.audio_key:
        return False
    new_sha = (fields.get("details") or {}).get("sha256") if isinstance(fields.get("details"), dict) else None
    return new_sha is None or new_sha == (rendition.details or {}).get("sha256")


def renditions(session: Session, version_id: int) -> list[Rendition]:
    """All renditions of a version."""
    return list(session.exec(select(Rendition).where(Rendition.version_id == version_id)).all())


def set_status(*, session: Session, bulletin_id: int, status: BulletinStatus) -> Bulletin:
    """Move a bulletin to ``status``."""
    bulletin = get_bulletin(session, bulletin_id)
    bulletin.status = status
    bulletin.updated_at = utcnow()
    session.add(bulletin)
    session.flush()
    return bulletin


def audio_sha256(rendition: Rendition) -> str:
    """The sha256 of a rendition's audio bytes (stored in details, else its content-addressed key)."""
    digest = (rendition.details or {}).get("sha256")
    if digest:
        return str(digest)
    key = rendition.audio_key or ""
    return key.rsplit("/", 1)[-1].split(".", 1)[0] if key else ""


def version_digest(session: Session, version_id: int) -> str:
    """sha256 over the version's renditions (language, kind, text, audio sha256): what a reviewer saw."""
    if session.get(BulletinVersion, version_id) is None:
        raise UnknownBulletin(f"no bulletin version {version_id}", f"không có phiên bản bản tin {version_id}")
    rows = session.exec(select(Rendition).where(Rendition.version_id == version_id)).all()
    parts = sorted(
        [r.language, r.kind.value, r.text, audio_sha256(r) if r.kind == RenditionKind.audio else ""]
        for r in rows
    )
    return hashlib.sha256(canonical_json(parts).encode()).hexdigest()


def version_frozen(session: Session, version_id: int) -> bool:
    """True once a version was sent for review or reviewed: its content never changes after that."""
    if (
        session.exec(select(ReviewRequest.id).where(ReviewRequest.version_id == version_id)).first()
        is not None
    ):
        return True
    return session.exec(select(Review.id).where(Review.version_id == version_id)).first() is not None


_TEXT_KINDS = (RenditionKind.script, RenditionKind.spoken, RenditionKind.eboard, RenditionKind.audio)


def derive_version(
    session: Session,
    version_id: int,
    *,
    actor: str,
    reason: str,
    script: str | None = None,
    drop_audio_language: str | None = None,
) -> BulletinVersion:
    """A new version from a frozen one, copying the renditions that stay valid; the bulletin is a draft again.

    With ``script`` the new version holds that script (vie) and no other script, spoken, e-board or
    audio rendition: they are recomputed from it. With ``drop_audio_language`` only that language's
    audio is left behind.
    """
    source = session.get(BulletinVersion, version_id)
    if source is None:
        raise UnknownBulletin(f"no bulletin version {version_id}", f"không có phiên bản bản tin {version_id}")
    if script is not None and not script.strip():
        raise InvalidDraft(
            "the edited script is empty: write the text to broadcast or leave it out",
            "kịch bản đã sửa bị trống: hãy nhập nội dung cần phát hoặc bỏ trống ô sửa",
        )
    newest = latest_version(session, source.bulletin_id)
    version = BulletinVersion(
        bulletin_id=source.bulletin_id,
        number=newest.number + 1,
        body=source.body,
        content_hash=source.content_hash,
        created_by=actor,
    )
    session.add(version)
    session.flush()
    copied = []
    for old in renditions(session, version_id):
        if script is not None and old.kind in _TEXT_KINDS:
            continue
        if old.kind == RenditionKind.audio and old.language == drop_audio_language:
            continue
        fields = old.model_dump(exclude={"id", "version_id", "created_at"})
        session.add(Rendition(version_id=version.id, **fields))
        copied.append(f"{old.language}/{old.kind.value}")
    if script is not None:
        session.add(
            Rendition(
                version_id=version.id,
                language="vie",
                kind=RenditionKind.script,
                text=script.strip(),
                details={"edited_by": actor, "from_version": source.number},
            )
        )
    set_status(session=session, bulletin_id=source.bulletin_id, status=BulletinStatus.draft)
    append_audit(
        session,
        actor=actor,
        action="version_derived",
        bulletin_id=source.bulletin_id,
        version_id=version.id,
        content_hash=hashlib.sha256(script.strip().encode()).hexdigest() if script is not None else "",
        details={
            "from_version_id": source.id,
            "from_number": source.number,
            "number": version.number,
            "reason": reason,
            "script_edited": script is not None,
            "dropped_audio": drop_audio_language,
            "copied": copied,
        },
    )
    return version


DECISION_STATUS = {
    ReviewDecision.approve: BulletinStatus.approved,
    ReviewDecision.reject: BulletinStatus.rejected,
    ReviewDecision.request_changes: BulletinStatus.changes_requested,
}


def record_review(
    *,
    session: Session,
    version_id: int,
    reviewer: str,
    decision: ReviewDecision,
    comment: str = "",
    flow_run_id: str | None = None,
) -> Review:
    """Store a reviewer's decision and move the bulletin accordingly."""
    version = session.get(BulletinVersion, version_id)
    if version is None:
        raise UnknownBulletin(f"no bulletin version {version_id}", f"không có phiên bản bản tin {version_id}")
    digest = version_digest(session, version_id)
    review = Review(
        version_id=version_id,
        reviewer=reviewer,
        decision=decision,
        comment=comment,
        flow_run_id=flow_run_id,
        content_digest=digest,
    )
    session.add(review)
    request = session.exec(select(ReviewRequest).where(ReviewRequest.version_id == version_id)).first()
    if request is not None and request.status == ReviewRequestStatus.waiting:
        request.status, request.decided_at = ReviewRequestStatus.decided, utcnow()
        session.add(request)
    set_status(session=session, bulletin_id=version.bulletin_id, status=DECISION_STATUS[decision])
    session.flush()
    append_audit(
        session,
        actor=reviewer or "reviewer",
        action="reviewed",
        bulletin_id=version.bulletin_id,
        version_id=version_id,
        content_hash=digest,
        details={
            "decision": decision.value,
            "comment": comment,
            "flow_run_id": flow_run_id,
            "checked": False,
        },
    )
    return review


def latest_review(session: Session, version_id: int) -> Review | None:
    """The most recent decision on a version, if any."""
    query = select(Review).where(Review.version_id == version_id).order_by(col(Review.id).desc())
    return session.exec(query).first()


def approved_review(session: Session, version_id: int) -> Review | None:
    """The approval of a version, if a reviewer gave one."""
    query = select(Review).where(Review.version_id == version_id, Review.decision == ReviewDecision.approve)
    return session.exec(query).first()
