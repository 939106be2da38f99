"""Public-warning data: the unit directory an alert's areas are matched against, approved emergencies to export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from storage.models import (
    AdminLevel,
    AdminUnit,
    Bulletin,
    BulletinStatus,
    BulletinTarget,
    BulletinVersion,
    Priority,
    Rendition,
    RenditionKind,
    Review,
    ReviewDecision,
)

# A bulletin in these states has an approved version that devices play or will play.
_LIVE = (BulletinStatus.approved, BulletinStatus.distributed)


@dataclass(frozen=True)
class AlertArea:
    """A target unit as an alert names it."""

    code: str
    name: str
    level: AdminLevel
    parent_name: str


@dataclass(frozen=True)
class ApprovedEmergency:
    """What a reviewer approved for an emergency bulletin, as a public warning carries it."""

    bulletin_id: int
    external_id: str | None
    title: str
    category: str
    source_unit_code: str
    source_unit_name: str
    version_number: int
    approved_at: datetime
    valid_from: datetime | None
    valid_until: datetime | None
    body: str
    script: str
    areas: tuple[AlertArea, ...]
    earlier: tuple[tuple[int, datetime], ...]  # earlier approved versions: (number, approved at)


def unit_directory(session: Session) -> list[AdminUnit]:
    """Every administrative unit, for matching the names and codes an alert gives."""
    return list(session.exec(select(AdminUnit).order_by(AdminUnit.code)).all())


def bulletin_by_external_id(session: Session, external_ids: list[str]) -> Bulletin | None:
    """The first stored bulletin whose external id is one of ``external_ids``."""
    for external_id in external_ids:
        found = session.exec(select(Bulletin).where(Bulletin.external_id == external_id)).first()
        if found is not None:
            return found
    return None


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _approvals(session: Session, bulletin_id: int) -> list[tuple[BulletinVersion, datetime]]:
    """Approved versions of a bulletin, oldest first, each with its first approval time."""
    query = (
        select(BulletinVersion, Review.created_at)
        .join(Review, col(Review.version_id) == col(BulletinVersion.id))
        .where(BulletinVersion.bulletin_id == bulletin_id, Review.decision == ReviewDecision.approve)
        .order_by(col(BulletinVersion.number), col(Review.created_at))
    )
    seen: dict[int, tuple[BulletinVersion, datetime]] = {}
    for version, at in session.exec(query).all():
        seen.setdefault(version.number, (version, _aware(at)))
    return list(seen.values())


def _areas(session: Session, bulletin_id: int) -> tuple[AlertArea, ...]:
    codes = session.exec(select(BulletinTarget.unit_code).where(BulletinTarget.bulletin_id == bulletin_id))
    areas = []
    for code in sorted(codes.all()):
        unit = session.get(AdminUnit, code)
        parent = session.get(AdminUnit, unit.parent_code) if unit and unit.parent_code else None
        if unit is not None:
            areas.append(AlertArea(unit.code, unit.name, unit.level, parent.name if parent else ""))
    return tuple(areas)


def approved_emergency(session: Session, bulletin_id: int) -> ApprovedEmergency | None:
    """The newest approved version of an emergency bulletin that is approved or on air; None otherwise."""
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None or bulletin.priority != Priority.emergency or bulletin.status not in _LIVE:
        return None
    approvals = _approvals(session, bulletin_id)
    if not approvals:
        return None
    version, approved_at = approvals[-1]
    script = session.exec(
        select(Rendition.text).where(
            Rendition.version_id == version.id,
            Rendition.language == "vie",
            Rendition.kind == RenditionKind.script,
        )
    ).first()
    source = session.get(AdminUnit, bulletin.source_unit_code)
    return ApprovedEmergency(
        bulletin_id=bulletin.id,
        external_id=bulletin.external_id,
        title=bulletin.title,
        category=bulletin.category,
        source_unit_code=bulletin.source_unit_code,
        source_unit_name=source.name if source else bulletin.source_unit_code,
        version_number=version.number,
        approved_at=approved_at,
        valid_from=_aware(bulletin.valid_from),
        valid_until=_aware(bulletin.valid_until),
        body=version.body,
        script=script or "",
        areas=_areas(session, bulletin_id),
        earlier=tuple((v.number, at) for v, at in approvals[:-1]),
    )


def current_emergencies(session: Session, *, now: datetime) -> list[ApprovedEmergency]:
    """Approved emergencies not yet past their validity, newest approval first."""
    query = select(Bulletin.id).where(
        Bulletin.priority == Priority.emergency, col(Bulletin.status).in_(list(_LIVE))
    )
    found = [approved_emergency(session, bulletin_id) for bulletin_id in session.exec(query).all()]
    current = [e for e in found if e is not None and (e.valid_until is None or e.valid_until > now)]
    return sorted(current, key=lambda e: (e.approved_at, e.bulletin_id), reverse=True)
