"""Citizens: ratings and comments on bulletins, and the approved programs they can listen to again."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, text
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from storage.errors import StorageError, UnknownBulletin
from storage.models import Bulletin, CitizenFeedback, utcnow
from storage.units import get_unit

MAX_COMMENT_CHARS = 2000


class InvalidFeedback(StorageError):
    code = "invalid_feedback"


def clean_comment(comment: str) -> str:
    """NFC text without control characters (newlines kept); stored as typed, escaped wherever shown."""
    normal = unicodedata.normalize("NFC", comment or "")
    kept = "".join(ch for ch in normal if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return kept.strip()


def submit_feedback(
    *,
    session: Session,
    unit_code: str,
    rating: int | None,
    comment: str = "",
    bulletin_id: int | None = None,
    channel: str = "portal",
) -> CitizenFeedback:
    """Store a citizen's rating (1-5) and/or comment about a bulletin or their area."""
    unit = get_unit(session, (unit_code or "").strip())
    if rating is not None and (
        isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5
    ):
        raise InvalidFeedback(
            f"a rating is a whole number from 1 to 5, not {rating!r}",
            f"điểm đánh giá là số nguyên từ 1 đến 5, không phải {rating!r}",
        )
    message = clean_comment(comment)
    if len(message) > MAX_COMMENT_CHARS:
        raise InvalidFeedback(
            f"the comment has {len(message):,} characters; the limit is {MAX_COMMENT_CHARS:,}: shorten it",
            f"ý kiến dài {len(message):,} ký tự; tối đa {MAX_COMMENT_CHARS:,} ký tự: hãy rút gọn",
        )
    if rating is None and not message:
        raise InvalidFeedback(
            "give a rating from 1 to 5 or write a comment", "hãy chấm điểm từ 1 đến 5 hoặc viết ý kiến"
        )
    if bulletin_id is not None and session.get(Bulletin, bulletin_id) is None:
        raise UnknownBulletin(f"no bulletin {bulletin_id}", f"không có bản tin {bulletin_id}")
    feedback = CitizenFeedback(
        unit_code=unit.code, bulletin_id=bulletin_id, channel=channel[:32], rating=rating, message=message
    )
    session.add(feedback)
    session.flush()
    return feedback


@dataclass(frozen=True)
class PublicProgram:
    """An approved, broadcast bulletin a citizen can play again."""

    bulletin_id: int
    title: str
    category: str
    language: str
    audio_sha256: str
    duration_s: float | None
    first_broadcast_at: datetime
    summary: str

    @property
    def audio_key(self) -> str:
        return f"audio/{self.audio_sha256}.mp3"


def _aware(value):  # type: ignore[no-untyped-def]
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def listen_again(
    *, session: Session, unit_code: str, limit: int = 50, language: str = "vie", now: datetime | None = None
) -> list[PublicProgram]:
    """Programs already on air in the unit's area, newest first (only approved audio is ever scheduled)."""
    unit = get_unit(session, (unit_code or "").strip())
    sql = text(f"""
WITH RECURSIVE scope(code) AS (
    SELECT code FROM admin_unit WHERE code = :root
    UNION ALL
    SELECT u.code FROM admin_unit u JOIN scope ON u.parent_code = scope.code
),
aired AS (
    SELECT pi.bulletin_id, pi.version_id, pi.language, pi.audio_sha256, MIN(pi.starts_at) AS first_at
    FROM playlist_item pi JOIN device d ON d.id = pi.device_id
    WHERE pi.audio_sha256 <> '' AND pi.language = :language AND pi.starts_at <= :now
      AND COALESCE(pi.unit_code, d.unit_code) IN (SELECT code FROM scope)
    GROUP BY pi.bulletin_id, pi.version_id, pi.language, pi.audio_sha256
)
SELECT a.bulletin_id, b.title, b.category, a.language, a.audio_sha256, a.first_at,
       (SELECT MAX(r.duration_s) FROM rendition r WHERE r.version_id = a.version_id AND r.language = a.language
          AND r.kind = 'audio') AS duration_s,
       (SELECT MAX(r.text) FROM rendition r WHERE r.version_id = a.version_id AND r.kind = 'eboard') AS summary
FROM aired a JOIN bulletin b ON b.id = a.bulletin_id
ORDER BY a.first_at DESC, a.bulletin_id DESC
LIMIT {int(limit)}""").bindparams(bindparam("now", type_=UTCDateTime()))
    values = {"root": unit.code, "language": language, "now": now or utcnow()}
    rows = session.connection().execute(sql, values).mappings()
    return [
        PublicProgram(
            bulletin_id=row["bulletin_id"],
            title=row["title"],
            category=row["category"],
            language=row["language"],
            audio_sha256=row["audio_sha256"],
            duration_s=None if row["duration_s"] is None else float(row["duration_s"]),
            first_broadcast_at=_aware(row["first_at"]),
            summary=row["summary"] or "",
        )
        for row in rows
    ]


def public_audio_allowed(*, session: Session, sha256: str) -> bool:
    """True when audio with this sha256 was approved and scheduled somewhere (so anyone may hear it)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return False
    found = session.connection().execute(
        text("SELECT 1 FROM playlist_item WHERE audio_sha256 = :sha LIMIT 1"), {"sha": sha256}
    )
    return found.first() is not None
