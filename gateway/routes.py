"""The device API under /v1: manifest, audio, confirmations, heartbeats, the public key; and /healthz.

A device authenticates with ``Authorization: Bearer <token>``; the token must be the one of the
device named in the path (``/v1/devices/{device_id}/...``) or, for audio, in ``X-Device-Id``.
Every error is ``{"error", "message_vi", "message_en", "details"}``.

- ``GET /v1/devices/{id}/manifest``: ``{"manifest": <canonical JSON text>, "signature": <base64
  Ed25519 of its UTF-8 bytes>, "key_id", "algorithm"}``; ETag / If-None-Match gives 304.
- ``GET /v1/audio/<sha256>.mp3`` (the manifest's ``audio_url``; ``audio/<sha256>.mp3`` works too):
  the MP3, ETag = the sha256, only when that audio is in the device's own current manifest (approved
  and scheduled on it); anything else is 404, whether stored or not. Any other name is 400.
- ``GET /v1/review/audio/{version_id}/{sha256}.mp3?exp=&sig=``: a reviewer's browser plays a version's
  audio through a signed, expiring link (``storage.review_audio_link``); no device token. 403 for an
  expired or altered link, 404 when the version has no review request or no such audio.
- ``POST /v1/devices/{id}/confirmations``: at most MAX_CONFIRMATIONS_PER_BATCH events and
  MAX_BODY_BYTES per request (413 beyond); known event ids come back in ``duplicates``.
- ``GET /v1/devices/{id}/board``: the e-board page (HTML, refreshes itself every minute); a kiosk
  browser that cannot send headers opens ``/v1/devices/{id}/board/login#token=<token>`` once, whose
  script posts the token to ``POST /v1/devices/{id}/board/session`` for an HttpOnly cookie.
- ``POST /v1/devices/{id}/heartbeats``; ``GET /v1/keys/manifest``; ``GET /healthz``.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

import storage
from gateway.board import board_path, render_board, render_board_login
from gateway.deps import (
    BOARD_COOKIE,
    BoardDeviceDep,
    DeviceDep,
    HeaderDeviceDep,
    ResourcesDep,
    SessionDep,
    bearer_token,
)
from gateway.errors import GatewayError
from gateway.manifest import AUDIO_NAME, build_manifest, etag_matches, manifest_etag, manifest_item
from gateway.ranges import RangeNotSatisfiable, byte_range
from gateway.schemas import (
    MAX_CONFIRMATIONS_PER_BATCH,
    MAX_ID,
    ConfirmationBatch,
    ConfirmationOut,
    ErrorBody,
    HealthOut,
    HeartbeatIn,
    HeartbeatOut,
    PublicKeyOut,
    SignedManifestOut,
)

ERRORS = {
    400: {"model": ErrorBody},
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
    413: {"model": ErrorBody},
    416: {"model": ErrorBody},
    422: {"model": ErrorBody},
}

# How often a confirmation batch is redone after losing a race with an identical concurrent batch.
CONCURRENT_RETRIES = 3

router = APIRouter(prefix="/v1", responses=ERRORS)
health_router = APIRouter()


@health_router.get("/healthz", response_model=HealthOut)
def healthz(session: SessionDep) -> HealthOut:
    """Liveness and database reachability."""
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    return HealthOut()


@router.get("/keys/manifest", response_model=PublicKeyOut)
def manifest_public_key(resources: ResourcesDep) -> PublicKeyOut:
    """The Ed25519 public key that verifies manifests."""
    signer = resources.signer
    return PublicKeyOut(key_id=signer.key_id, public_key_pem=signer.public_key_pem.decode("ascii"))


@router.get("/devices/{device_id}/manifest", response_model=SignedManifestOut)
def device_manifest(
    device: DeviceDep,
    session: SessionDep,
    resources: ResourcesDep,
    response: Response,
    if_none_match: Annotated[str | None, Header()] = None,
) -> SignedManifestOut | Response:
    """The device's signed manifest; 304 when it is unchanged since the ETag the device holds."""
    now = storage.utcnow()
    items = [manifest_item(e) for e in storage.device_playlist(session=session, device=device, now=now)]
    etag = manifest_etag(device.id, items, resources.signer.key_id)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    manifest = build_manifest(device.id, items, now=now, ttl=resources.manifest_ttl)
    signed = resources.signer.sign(manifest.model_dump(mode="json"))
    return SignedManifestOut(manifest=signed.manifest, signature=signed.signature, key_id=signed.key_id)


@router.get("/devices/{device_id}/board", response_class=HTMLResponse)
def eboard_page(device: BoardDeviceDep, session: SessionDep, resources: ResourcesDep) -> HTMLResponse:
    """The e-board's page: e-board items whose window is open now, emergencies first; refreshes each minute.

    Authenticated by the bearer token or by the cookie of the board's login link.
    """
    now = storage.utcnow()
    items = [manifest_item(e) for e in storage.device_playlist(session=session, device=device, now=now)]
    page = render_board(device.name or device.id, items, now=now, timezone=resources.timezone)
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


# How long a board stays signed in without opening its login link again (Chromium caps cookies at 400 days).
BOARD_COOKIE_SECONDS = 400 * 24 * 3600


@router.get("/devices/{device_id}/board/login", response_class=HTMLResponse)
def eboard_login_page(device_id: Annotated[str, PathParam(max_length=64)]) -> HTMLResponse:
    """The page a kiosk opens once, as ``.../board/login#token=<token>``: it signs the board in and opens it.

    The page itself holds no secret: its script reads the token from the fragment, which browsers
    never send, and posts it in the Authorization header to ``.../board/session``.
    """
    return HTMLResponse(
        render_board_login(device_id),
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@router.post("/devices/{device_id}/board/session", status_code=204)
def eboard_session(
    device: DeviceDep, request: Request, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """Set the board's cookie (HttpOnly, only sent to this device's board pages) for a valid bearer token."""
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        BOARD_COOKIE,
        bearer_token(authorization),
        max_age=BOARD_COOKIE_SECONDS,
        path=board_path(device.id),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get(
    "/audio/{name:path}",
    response_class=Response,
    responses={200: {"content": {"audio/mpeg": {}}, "description": "The MP3 bytes."}},
)
def audio(
    name: str,
    device: HeaderDeviceDep,
    session: SessionDep,
    resources: ResourcesDep,
    if_none_match: Annotated[str | None, Header()] = None,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> Response:
    """The MP3 named ``<sha256>.mp3`` if it is in this device's current manifest; ETag = sha256; Range resumes."""
    match = AUDIO_NAME.match(name)
    if match is None:
        raise GatewayError(
            400,
            "invalid_audio_key",
            f"invalid audio key {name[:120]!r}: use '<sha256>.mp3' as given in the manifest's audio_url",
            f"mã âm thanh không hợp lệ {name[:120]!r}: dùng '<sha256>.mp3' như audio_url trong danh mục phát",
        )
    sha = match["sha"]
    # Audio outside the device's own manifest (under review, another device's, replaced) is answered
    # exactly like audio that does not exist, so a token cannot probe what is stored.
    if not storage.device_audio_allowed(session=session, device=device, sha256=sha):
        raise unknown_audio(sha)
    headers = {
        "ETag": f'"{sha}"',
        "Cache-Control": "private, max-age=31536000, immutable",
        "Accept-Ranges": "bytes",
    }
    if etag_matches(if_none_match, f'"{sha}"'):
        return Response(status_code=304, headers=headers)
    return audio_response(stored_audio(resources.store, sha), headers, range_header)


def unknown_audio(sha: str) -> GatewayError:
    """404 for audio a device may not have: not stored, or not in its current manifest."""
    return GatewayError(
        404,
        "unknown_audio",
        f"no audio {sha}.mp3 is in this device's manifest: fetch a fresh manifest, the bulletin may have "
        "been replaced, already played or not yet approved",
        f"không có tệp âm thanh {sha}.mp3 trong danh mục phát của thiết bị: hãy tải lại danh mục phát, "
        "bản tin có thể đã được thay, đã phát xong hoặc chưa được duyệt",
    )


def stored_audio(store: storage.ObjectStore, sha: str) -> bytes:
    """The stored bytes of ``audio/<sha>.mp3``, checked against the sha256 (404 if absent, 500 if altered)."""
    try:
        data = store.get(f"audio/{sha}.mp3")
    except storage.ObjectNotFound:
        raise unknown_audio(sha) from None
    if hashlib.sha256(data).hexdigest() != sha:
        raise GatewayError(
            500,
            "audio_corrupt",
            f"the stored audio {sha[:12]}… does not match its sha256 and is not served: tell the operator "
            "to restore it from a backup or produce the bulletin again",
            f"tệp âm thanh {sha[:12]}… đã lưu không khớp mã sha256 nên không được phát: báo người quản trị "
            "khôi phục từ bản sao lưu hoặc sản xuất lại bản tin",
        )
    return data


@router.get(
    "/review/audio/{version_id}/{name}",
    response_class=Response,
    responses={200: {"content": {"audio/mpeg": {}}, "description": "The MP3 bytes, to play in a browser."}},
)
def review_audio(
    version_id: Annotated[int, PathParam(ge=1, le=MAX_ID)],
    name: Annotated[str, PathParam(max_length=80)],
    session: SessionDep,
    resources: ResourcesDep,
    exp: Annotated[str | None, Query(max_length=20)] = None,
    sig: Annotated[str | None, Query(max_length=128)] = None,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> Response:
    """A version's audio for its reviewer, through a signed link valid until ``exp`` (inline, Range)."""
    sha = name.removesuffix(".mp3")
    if not name.endswith(".mp3") or AUDIO_NAME.match(name) is None:
        raise GatewayError(
            404,
            "unknown_review_audio",
            f"no review audio {name[:80]!r}: open the link from the review sheet as it is",
            f"không có tệp nghe duyệt {name[:80]!r}: hãy mở đúng liên kết trong phiếu duyệt",
        )
    storage.check_review_audio_link(
        version_id=version_id, sha256=sha, exp=exp, sig=sig, secret_key=resources.secret_key
    )
    rendition = storage.review_audio(session, version_id=version_id, sha256=sha)
    headers = {
        "ETag": f'"{sha}"',
        "Cache-Control": "private, no-store",
        "Accept-Ranges": "bytes",
        "Content-Disposition": f'inline; filename="bantin-v{version_id}-{rendition.language}.mp3"',
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    return audio_response(stored_audio(resources.store, sha), headers, range_header)


def audio_response(data: bytes, headers: dict[str, str], range_header: str | None) -> Response:
    """The whole MP3, or the one byte range asked for (206), or 416 when it starts past the end."""
    try:
        wanted = byte_range(range_header, len(data))
    except RangeNotSatisfiable:
        raise GatewayError(
            416,
            "range_not_satisfiable",
            f"the range {range_header!r} starts past the end of the audio ({len(data)} bytes)",
            f"đoạn {range_header!r} vượt quá độ dài tệp âm thanh ({len(data)} byte)",
            headers={"Content-Range": f"bytes */{len(data)}"},
        ) from None
    if wanted is None:
        return Response(content=data, media_type="audio/mpeg", headers=headers)
    first, last = wanted
    headers = {**headers, "Content-Range": f"bytes {first}-{last}/{len(data)}"}
    return Response(content=data[first : last + 1], status_code=206, media_type="audio/mpeg", headers=headers)


def too_large(what: str) -> GatewayError:
    """413 with advice on the batch size."""
    return GatewayError(
        413,
        "batch_too_large",
        f"the batch is too large ({what}): send at most {MAX_CONFIRMATIONS_PER_BATCH} events per request",
        f"lô xác nhận quá lớn ({what}): gửi tối đa {MAX_CONFIRMATIONS_PER_BATCH} sự kiện mỗi lần",
    )


@router.post("/devices/{device_id}/confirmations", response_model=ConfirmationOut)
def post_confirmations(device: DeviceDep, session: SessionDep, batch: ConfirmationBatch) -> ConfirmationOut:
    """Store a batch of playback confirmations; a retried event is reported as a duplicate."""
    if len(batch.events) > MAX_CONFIRMATIONS_PER_BATCH:
        raise too_large(f"{len(batch.events)} events")
    events = [
        storage.ConfirmationEvent(
            event_id=e.event_id,
            item_id=e.item_id,
            status=storage.PlaybackStatus(e.status),
            occurred_at=e.occurred_at,
            duration_s=e.duration_s,
        )
        for e in batch.events
    ]
    result = record_confirmations_once(session, device, events)
    return ConfirmationOut(accepted=result.accepted, duplicates=result.duplicates, rejected=result.rejected)


def record_confirmations_once(
    session: Session, device: storage.Device, events: list[storage.ConfirmationEvent]
) -> storage.ConfirmationResult:
    """Record a batch; when a concurrent request with the same events wins the race, redo it as duplicates."""
    for attempt in range(CONCURRENT_RETRIES + 1):
        try:
            return storage.record_confirmations(session=session, device=device, events=events)
        except (IntegrityError, OperationalError):
            # Unique event ids (PostgreSQL) or a stale SQLite snapshot: the other request committed first.
            session.rollback()
            if attempt == CONCURRENT_RETRIES:
                raise
    raise AssertionError("unreachable")


@router.post("/devices/{device_id}/heartbeats", response_model=HeartbeatOut, status_code=201)
def post_heartbeat(device: DeviceDep, session: SessionDep, beat: HeartbeatIn) -> HeartbeatOut:
    """Store a device's status report."""
    stored = storage.record_heartbeat(session=session, device=device, **beat.model_dump())
    return HeartbeatOut(device_id=device.id, received_at=stored.received_at)
