"""Review audio links: signed, expiring URLs that let a reviewer's browser play a version's audio.

A link names one version and one audio sha256 and carries its expiry (unix seconds) and an
HMAC-SHA256 of the three, keyed by a key derived from the settings' secret key (HKDF-SHA256,
info ``bantin-review-link``), so a link cannot be widened to another version, another audio or a
later expiry. The gateway serves it only while the version has a review request and the audio is
one of its renditions (``review_audio``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime

from sqlmodel import Session, select

from storage.bulletins import audio_sha256
from storage.errors import LinkRejected, StorageError
from storage.models import Rendition, RenditionKind, ReviewRequestStatus
from storage.review_state import get_review_request

LINK_INFO = b"bantin-review-link"
_SHA256 = re.compile(r"^[0-9a-f]{64}\Z")
_UNIX_TIME = re.compile(r"^[0-9]{1,12}\Z")


class UnknownReviewAudio(StorageError):
    """The version has no review request, or no audio rendition with that sha256."""

    code = "unknown_review_audio"


def link_key(secret_key: bytes) -> bytes:
    """The HMAC key of review links, derived from the secret key so it serves no other purpose."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if not secret_key:
        raise ValueError("the secret key is empty")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=LINK_INFO).derive(secret_key)


def _signature(version_id: int, sha256: str, exp: int, secret_key: bytes) -> str:
    message = f"review-audio\x1f{version_id}\x1f{sha256}\x1f{exp}".encode()
    return hmac.new(link_key(secret_key), message, hashlib.sha256).hexdigest()


def review_audio_link(
    base_url: str, *, version_id: int, sha256: str, secret_key: bytes, expires_at: datetime
) -> str:
    """``{base_url}/v1/review/audio/{version_id}/{sha256}.mp3?exp=<unix>&sig=<hex>``, valid until ``expires_at``."""
    if not _SHA256.match(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    exp = int(expires_at.timestamp())
    sig = _signature(version_id, sha256, exp, secret_key)
    return f"{base_url.rstrip('/')}/v1/review/audio/{version_id}/{sha256}.mp3?exp={exp}&sig={sig}"


def check_review_audio_link(
    *,
    version_id: int,
    sha256: str,
    exp: int | str | None,
    sig: str | None,
    secret_key: bytes,
    now: datetime | None = None,
) -> None:
    """Raise LinkRejected unless ``sig`` signs (version, sha256, exp) and ``exp`` has not passed."""
    if not _UNIX_TIME.match(str(exp)) or not _SHA256.match((sig or "").lower()) or not _SHA256.match(sha256):
        raise LinkRejected(
            "this review audio link is incomplete or altered: open the link from the review sheet again",
            "liên kết nghe duyệt không đầy đủ hoặc đã bị sửa: hãy mở lại liên kết trong phiếu duyệt",
        )
    exp = int(str(exp))
    if not hmac.compare_digest(_signature(version_id, sha256, exp, secret_key), sig.lower()):
        raise LinkRejected(
            "this review audio link is not valid (wrong signature): open the link from the review sheet again",
            "liên kết nghe duyệt không hợp lệ (sai chữ ký): hãy mở lại liên kết trong phiếu duyệt",
        )
    now = now or datetime.now(UTC)
    if now.timestamp() >= exp:
        expired = datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%d %H:%M UTC")
        raise LinkRejected(
            f"this review audio link expired at {expired}: open the current review sheet for a new link",
            f"liên kết nghe duyệt đã hết hạn lúc {expired}: hãy mở phiếu duyệt hiện tại để lấy liên kết mới",
        )


def rendition_sha256(rendition: Rendition) -> str | None:
    """The sha256 of an audio rendition's bytes (as version_digest sees it), or None when it names none."""
    digest = audio_sha256(rendition)
    return digest if _SHA256.match(digest) else None


def review_audio(session: Session, *, version_id: int, sha256: str) -> Rendition:
    """The audio rendition with ``sha256`` of a version waiting for or given a decision, or UnknownReviewAudio.

    A version that was never sent for review, or whose review expired, plays no audio to anyone.
    """
    audio = session.exec(
        select(Rendition).where(Rendition.version_id == version_id, Rendition.kind == RenditionKind.audio)
    ).all()
    found = next((r for r in audio if r.audio_key and rendition_sha256(r) == sha256), None)
    request = get_review_request(session, version_id)
    if found is None or request is None or request.status == ReviewRequestStatus.expired:
        raise UnknownReviewAudio(
            f"version {version_id} has no audio {sha256[:12]}… under review: the bulletin may have been "
            "edited since the sheet was made; open its current review sheet",
            f"phiên bản {version_id} không có tệp âm thanh {sha256[:12]}… đang chờ duyệt: bản tin có thể "
            "đã được sửa sau khi lập phiếu; hãy mở phiếu duyệt hiện tại",
        )
    return found
