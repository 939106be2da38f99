"""What the production and review flows read: versions to produce, their inputs, review sheets, deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage.bulletins import get_bulletin, latest_version, renditions, target_codes
from storage.errors import UnknownBulletin
from storage.models import (
    AdminLevel,
    AdminUnit,
    Bulletin,
    BulletinStatus,
    BulletinVersion,
    Priority,
    Rendition,
    RenditionKind,
    ReviewRequest,
    ReviewRequestStatus,
    utcnow,
)
from storage.playback import ensure_default_windows, windows_for_unit
from storage.units import descendant_codes, get_unit

READY = (BulletinStatus.draft, BulletinStatus.produced, BulletinStatus.pending_review)
_PRIORITY_ORDER = {Priority.emergency: 0, Priority.priority: 1, Priority.normal: 2}


@dataclass(frozen=True)
class ProductionJob:
    """One version to produce: its text and what the summarizer needs to know about it."""

    bulletin_id: int
    version_id: int
    version_number: int
    title: str
    body: str
    category: str
    priority: Priority
    target_seconds: int
    targets: tuple[str, ...]


@dataclass(frozen=True)
class RenditionView:
    """A stored rendition as the review sheet shows it."""

    language: str
    kind: RenditionKind
    text: str
    duration_s: float | None
    loudness_lufs: float | None
    true_peak_dbtp: float | None
    engine: str
    voice: str
    sha256: str
    details: dict


@dataclass(frozen=True)
class ReviewMaterial:
    """Everything a reviewer reads about one version."""

    job: ProductionJob
    target_names: tuple[str, ...]
    valid_from: datetime | None
    renditions: tuple[RenditionView, ...]


def get_version(session: Session, version_id: int) -> BulletinVersion:
    """A bulletin version by id, or UnknownBulletin."""
    version = session.get(BulletinVersion, version_id)
    if version is None:
        raise UnknownBulletin(f"no bulletin version {version_id}", f"không có phiên bản bản tin {version_id}")
    return version


def versions_to_produce(session: Session, refs: list[str]) -> list[tuple[int, int, Priority]]:
    """(bulletin id, newest version id, priority) of the named bulletins, or of every draft waiting; emergencies first."""
    if refs:
        bulletins = [get_bulletin(session, ref) for ref in refs]
    else:
        bulletins = list(session.exec(select(Bulletin).where(col(Bulletin.status).in_(READY))).all())
    found = []
    for bulletin in bulletins:
        version = latest_version(session, bulletin.id)
        if version is not None:
            found.append((bulletin.id, version.id, bulletin.priority))
    return sorted(dict.fromkeys(found), key=lambda row: (_PRIORITY_ORDER[row[2]], row[0]))


def production_job(session: Session, version_id: int) -> ProductionJob:
    """The text and settings of one version to produce."""
    version = get_version(session, version_id)
    bulletin = get_bulletin(session, version.bulletin_id)
    return ProductionJob(
        bulletin_id=bulletin.id,
        version_id=version.id,
        version_number=version.number,
        title=bulletin.title,
        body=version.body,
        category=bulletin.category,
        priority=bulletin.priority,
        target_seconds=bulletin.target_seconds,
        targets=tuple(target_codes(session, bulletin.id)),
    )


def village_names(session: Session, unit_codes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Names of the villages under the target units, for the summarizer's place names."""
    codes = descendant_codes(session, list(unit_codes))
    query = select(AdminUnit.name).where(
        AdminUnit.level == AdminLevel.village, col(AdminUnit.code).in_(codes)
    )
    return tuple(sorted(set(session.exec(query).all())))


def note_production_failure(session: Session, bulletin_id: int, message: str) -> None:
    """Keep the reason a bulletin was not produced where the editor sees it."""
    bulletin = get_bulletin(session, bulletin_id)
    bulletin.production_note = message[:2000]
    bulletin.updated_at = utcnow()
    session.add(bulletin)
    session.flush()


def review_material(session: Session, version_id: int) -> ReviewMaterial:
    """The version's bulletin, targets and renditions, as plain data for the review sheet."""
    job = production_job(session, version_id)
    bulletin = get_bulletin(session, job.bulletin_id)
    views = tuple(
        RenditionView(
            language=r.language,
            kind=r.kind,
            text=r.text,
            duration_s=r.duration_s,
            loudness_lufs=r.loudness_lufs,
            true_peak_dbtp=r.true_peak_dbtp,
            engine=r.engine,
            voice=r.voice,
            sha256=str((r.details or {}).get("sha256") or ""),
            details=dict(r.details or {}),
        )
        for r in sorted(
            renditions(session, version_id), key=lambda r: (r.language != "vie", r.language, r.kind)
        )
    )
    names = tuple(get_unit(session, code).name for code in job.targets)
    return ReviewMaterial(
        job=job, target_names=names, valid_from=as_utc(bulletin.valid_from), renditions=views
    )


def review_deadline(
    session: Session, version_id: int, *, timezone: str = "Asia/Ho_Chi_Minh", now: datetime | None = None
) -> datetime | None:
    """Start of the first broadcast window, in any target unit, after now (or after the bulletin's valid_from)."""
    job = production_job(session, version_id)
    bulletin = get_bulletin(session, job.bulletin_id)
    start = max(now or utcnow(), as_utc(bulletin.valid_from) or datetime.min.replace(tzinfo=UTC))
    ensure_default_windows(session)
    tz = ZoneInfo(timezone)
    local = start.astimezone(tz)
    found = []
    for code in job.targets:
        for offset in (0, 1):
            day = local.date() + timedelta(days=offset)
            starts = [datetime.combine(day, w.starts, tzinfo=tz) for w in windows_for_unit(session, code)]
            later = [s for s in starts if s > local]
            if later:
                found.append(min(later))
                break
    return min(found).astimezone(UTC) if found else None


def as_utc(moment: datetime | None) -> datetime | None:
    """An aware UTC datetime; SQLite hands back naive ones that were stored as UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def edited_from(session: Session, version_id: int) -> int | None:
    """The version a reviewer's edited script made from ``version_id`` (derive_version with script=), if any."""
    version = get_version(session, version_id)
    query = (
        select(BulletinVersion.id, Rendition.details)
        .join(Rendition, col(Rendition.version_id) == col(BulletinVersion.id))
        .where(
            BulletinVersion.bulletin_id == version.bulletin_id,
            col(BulletinVersion.number) > version.number,
            Rendition.kind == RenditionKind.script,
            Rendition.language == "vie",
        )
        .order_by(col(BulletinVersion.number))
    )
    for found_id, details in session.exec(query).all():
        if (details or {}).get("from_version") == version.number and (details or {}).get("edited_by"):
            return found_id
    return None


def reclaim_review(session: Session, version_id: int, *, stale_run_id: str, flow_run_id: str) -> bool:
    """Hand a waiting review whose run has ended (crashed, cancelled) to a new run; True if this call did."""
    from sqlalchemy import update

    result = session.exec(  # type: ignore[call-overload]
        update(ReviewRequest)
        .where(
            col(ReviewRequest.version_id) == version_id,
            col(ReviewRequest.flow_run_id) == stale_run_id,
            col(ReviewRequest.status) == ReviewRequestStatus.waiting,
        )
        .values(flow_run_id=flow_run_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
