"""The device API under /v1: manifest, audio, confirmations, heartbeats, the public key; and /healthz.

A device authenticates with ``Authorization: Bearer <token>``; the token must be the one of the
device named in the path (``/v1/devices/{device_id}/...``) or, for audio, in ``X-Device-Id``.
Failed sign-ins are throttled per client address and per device id (429 with ``Retry-After``; the
buckets live in each gateway process). Every error is ``{"error", "message_vi", "message_en", "details"}``.

- ``GET /v1/devices/{id}/manifest``: ``{"manifest": <canonical JSON text>, "signature": <base64
  Ed25519 of its UTF-8 bytes>, "key_id", "algorithm"}``; ETag / If-None-Match gives 304;
  ``?wait=N`` (0-60 s) long-polls: answered as soon as the manifest changes, 304 after N seconds.
  Polls are answered in batches per gateway process (gateway.manifest_batch: after an emergency,
  thousands poll at once), and valid polls skip FastAPI's routing (``ManifestFastPath``).
- ``GET /v1/audio/<sha256>.mp3`` (the manifest's ``audio_url``; ``audio/<sha256>.mp3`` works too):
  the MP3, ETag = the sha256, only when that audio is in the device's own current manifest (approved
  and scheduled on it); anything else is 404, whether stored or not. Any other name is 400.
- ``GET /v1/review/audio/{version_id}/{sha256}.mp3?exp=&sig=``: a reviewer's browser plays a version's
  audio through a signed, expiring link (``storage.review_audio_link``); no device token. 403 for an
  expired or altered link, 404 when the version has no review request or no such audio.
- ``POST /v1/devices/{id}/confirmations``: at most MAX_CONFIRMATIONS_PER_BATCH events and
  MAX_BODY_BYTES per request (413 beyond); a resend of a stored event comes back in ``duplicates``,
  an id stored with other content in ``conflicts``, events dated before 2020 or over a day ahead in
  ``rejected``; so are, each with its reason, an item not scheduled on the device or never sent to it,
  and a ``sha256`` that is not the item's approved audio (proof of play: sha256, slot, actual start
  and end, outcome; optional for devices that predate it, kept on the confirmation). On PostgreSQL a
  plain batch skips FastAPI's routing (gateway.ingest's ``ConfirmationFastPath``) with the same answers.
- ``GET /v1/devices/{id}/board``: the e-board page (HTML signage that polls ``.../board/data``, its JSON
  view, and keeps the last one for when the gateway cannot be reached; fonts from
  ``/v1/board/fonts/<name>``, its service worker at ``.../board/sw.js``); a kiosk
  browser that cannot send headers opens ``/v1/devices/{id}/board/login#token=<token>`` once, whose
  script posts the token to ``POST /v1/devices/{id}/board/session`` for an HttpOnly cookie.
- ``GET /v1/keys/manifest``: the active key and the key set (active and retired keys until they
  expire), signed by each of its keys, so a device can follow ``bantin keys rotate``.
- ``POST /v1/devices/{id}/heartbeats`` (numbers and flags typed strictly); ``GET /healthz``.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Cookie, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session
from starlette.types import ASGIApp, Receive, Scope, Send

import storage
from gateway.admission import busy_response
from gateway.board import (
    BOARD_PAGE_HEADERS,
    BOARD_SERVICE_WORKER,
    board_path,
    board_view,
    font_file,
    render_board,
    render_board_login,
)
from gateway.deps import (
    BOARD_COOKIE,
    MAX_TOKEN_CHARS,
    BoardDeviceDep,
    DeviceDep,
    DeviceIdPath,
    HeaderDeviceDep,
    Resources,
    ResourcesDep,
    SessionDep,
    authenticate,
    bearer_token,
    board_device,
)
from gateway.errors import GatewayError
from gateway.longpoll import MAX_WAIT_S, watcher_for
from gateway.manifest import AUDIO_NAME, etag_matches
from gateway.manifest_batch import ManifestBusy, batcher_for, sign_playlist
from gateway.ranges import RangeNotSatisfiable, byte_range
from gateway.schemas import (
    MAX_CONFIRMATIONS_PER_BATCH,
    MAX_DEVICE_ID,
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
from storage.emergency import manifest_generation
from storage.manifest_state import KeptManifest, forget_manifest, keep_manifest, kept_manifest
from storage.playback import ConfirmationRace

ERRORS = {
    400: {"model": ErrorBody},
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
    405: {
        "model": ErrorBody,
        "description": "Method not allowed; the `Allow` header lists the allowed ones.",
    },
    413: {"model": ErrorBody},
    416: {"model": ErrorBody},
    422: {"model": ErrorBody},
    429: {
        "model": ErrorBody,
        "description": "Too many failed authentications from this address or for this device id: "
        "wait `Retry-After` seconds (counted per gateway process).",
    },
}

# Device clocks outside this window are wrong: events dated before it or beyond it are refused.
EARLIEST_EVENT = datetime(2020, 1, 1, tzinfo=UTC)
MAX_EVENT_AHEAD = timedelta(days=1)

router = APIRouter(prefix="/v1", responses=ERRORS)
health_router = APIRouter()


@health_router.get("/healthz", response_model=HealthOut)
def healthz(session: SessionDep) -> HealthOut:
    """Liveness and database reachability."""
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    return HealthOut()


@router.get("/keys/manifest", response_model=PublicKeyOut)
def manifest_public_key(resources: ResourcesDep) -> PublicKeyOut:
    """The active Ed25519 public key and the signed key set (active and unexpired retired keys)."""
    published = resources.signer.key_set()
    active = published["keys"][0]
    return PublicKeyOut(key_id=active["key_id"], public_key_pem=active["public_key_pem"], **published)


@dataclass
class ManifestAnswer:
    """A computed manifest answer: 304 or the signed manifest, and where a long-poll waits for its change."""

    unit_code: str
    generation: int
    headers: dict[str, str]
    signed: SignedManifestOut | None  # None: unchanged (304)


def manifest_answer(
    request: Request,
    resources: Resources,
    device_id: str,
    authorization: str | None,
    if_none_match: str | None,
) -> ManifestAnswer:
    """Authenticate, then the device's manifest or 304, in one short session (run in a worker thread).

    An unchanged manifest is answered from the one kept for the device (storage.manifest_state): no
    playlist rebuilt, no signature computed. Otherwise the playlist is read, signed once and kept."""
    token = bearer_token(authorization)
    key_id = resources.signer.key_id
    with storage.session_scope(resources.engine) as session:
        device = authenticate(request, session, device_id, token)
        generation = manifest_generation(session)  # read first: a change after it wakes the long-poll
        now = storage.utcnow()
        kept = kept_manifest(session, device, key_id=key_id, now=now)
        if kept is None:
            entries = storage.device_playlist(session=session, device=device, now=now)
            # Reused until an item in it ends, a change is recorded for its unit, or half its lifetime.
            kept, valid_until = sign_playlist(resources, device.id, entries, now)
            keep_manifest(
                session, device, generation=generation, key_id=kept.key_id, etag=kept.etag,
                has_items=kept.has_items, manifest=kept.manifest, signature=kept.signature,
                valid_until=valid_until, now=now,
            )  # fmt: skip
    return kept_answer(device.unit_code or "", generation, kept, if_none_match)


def kept_answer(
    unit_code: str, generation: int, kept: KeptManifest, if_none_match: str | None
) -> ManifestAnswer:
    """304 when the device holds ``kept`` already, else ``kept`` with the current server time."""
    headers = {"ETag": kept.etag, "Cache-Control": "no-cache"}
    # "*" means "any manifest you have": it matches only when the device has something scheduled.
    if etag_matches(if_none_match, kept.etag) and (kept.has_items or etag_named(if_none_match, kept.etag)):
        return ManifestAnswer(unit_code, generation, headers, None)
    out = SignedManifestOut(
        manifest=kept.manifest, signature=kept.signature, key_id=kept.key_id, server_time=storage.utcnow()
    )
    return ManifestAnswer(unit_code, generation, headers, out)


async def poll_manifest(
    request: Request,
    resources: Resources,
    device_id: str,
    authorization: str | None,
    if_none_match: str | None,
    *,
    one_request: bool = True,
    bounded: bool = True,
) -> ManifestAnswer:
    """A manifest poll, answered with the other polls waiting in this process (gateway.manifest_batch).

    A poll the batch cannot answer (a token that fails, an address or device id being throttled, an
    unkeyed stored hash) takes the one-request path, which answers it with its error (NotBatched
    without ``one_request``). A long-poll (not ``bounded``) is never refused as busy: like the admission
    middleware, which does not count long-polls, the batcher does not count it against its limit."""
    token = bearer_token(authorization)
    client = f"client:{request.client.host if request.client else '-'}"
    throttled = resources.client_failures.retry_after(client) or resources.device_failures.retry_after(
        f"device:{device_id}"
    )
    if len(token) <= MAX_TOKEN_CHARS and not throttled:
        found = await batcher_for(request.app, resources).answer(device_id, token, bounded=bounded)
        if found is not None:
            return kept_answer(found.unit_code, found.generation, found.kept, if_none_match)
    if not one_request:
        raise NotBatched
    answer = partial(manifest_answer, request, resources, device_id, authorization, if_none_match)
    if not bounded:
        return await run_in_threadpool(answer)
    gate = request.app.state.admission  # manifest polls skip the admission middleware: take a turn here
    if not await gate.acquire():
        raise ManifestBusy
    try:
        return await run_in_threadpool(answer)
    finally:
        gate.release()


@router.get("/devices/{device_id}/manifest", response_model=SignedManifestOut)
async def device_manifest(
    request: Request,
    device_id: DeviceIdPath,
    resources: ResourcesDep,
    wait: Annotated[
        int | None,
        Query(
            description=f"Long-poll: with If-None-Match, wait up to this many seconds (0 to {MAX_WAIT_S}) for "
            "the manifest to change; 304 when it did not."
        ),
    ] = None,
    if_none_match: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> SignedManifestOut | Response:
    """The device's signed manifest; 304 when it is unchanged since the ETag the device holds.

    With ``?wait=N`` and If-None-Match, an unchanged manifest is answered as soon as it changes (a
    distribution or the end of an emergency, made by any process), or 304 after N seconds. The
    waiting request holds no database connection and no thread.
    """
    if wait is not None and not 0 <= wait <= MAX_WAIT_S:
        raise GatewayError(
            422,
            "invalid_wait",
            f"wait={wait} is out of range: give 0 to {MAX_WAIT_S} seconds (ask again after a 304)",
            f"wait={wait} nằm ngoài giới hạn: hãy chờ từ 0 đến {MAX_WAIT_S} giây (hỏi lại sau khi nhận 304)",
        )
    return await manifest_response(request, resources, device_id, wait, authorization, if_none_match)


async def manifest_response(
    request: Request,
    resources: Resources,
    device_id: str,
    wait: int | None,
    authorization: str | None,
    if_none_match: str | None,
    *,
    one_request: bool = True,
) -> Response:
    """The answer to a manifest poll whose input is valid: the signed manifest, 304, or 503 when busy."""
    answer = partial(
        poll_manifest, request, resources, device_id, authorization, if_none_match,
        one_request=one_request, bounded=not wait,
    )  # fmt: skip
    try:
        found = await answer()
        if found.signed is None and wait:
            watcher = watcher_for(request.app, lambda: resources.engine)
            deadline = time.monotonic() + wait
            while found.signed is None and (left := deadline - time.monotonic()) > 0:
                if await watcher.wait(found.unit_code, found.generation, left):
                    found = await answer()
    except ManifestBusy:
        return busy_response(request)
    if found.signed is None:
        return Response(status_code=304, headers=found.headers)
    # Serialized here, not validated again against response_model: the model was just made.
    return Response(found.signed.model_dump_json(), media_type="application/json", headers=found.headers)


class NotBatched(Exception):
    """A manifest poll the batch did not answer: the route answers it (its errors, its throttling)."""


# What the fast path answers itself: a device id FastAPI would accept, no query or a valid ?wait=N.
_POLL_PATH = re.compile(rf"^/v1/devices/(?P<device_id>[^/\x00-\x1f\x7f]{{1,{MAX_DEVICE_ID}}})/manifest$")
_WAIT_QUERY = re.compile(rb"^wait=(?P<wait>\d{1,2})$")


class ManifestFastPath:
    """ASGI: valid manifest polls of devices whose token matches, answered without FastAPI's routing,
    parameter and dependency machinery (most of a poll's cost once its manifest is kept or batched).

    The answers are the route's (``manifest_response``); anything else (another path or method, a
    query other than ``wait=0..60``, a missing or failing token, a throttled address or device, an
    error such as an unreachable database) goes to the app untouched, whose route answers it with
    its exception handlers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not (path := _POLL_PATH.match(scope["path"]))
        ):
            await self.app(scope, receive, send)
            return
        query, wait = scope.get("query_string", b""), None
        if query:
            waits = _WAIT_QUERY.match(query)
            if waits is None or int(waits["wait"]) > MAX_WAIT_S:
                await self.app(scope, receive, send)
                return
            wait = int(waits["wait"])
        authorization = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        request = Request(scope, receive)
        try:
            resources = request.app.state.resources
            response = await manifest_response(
                request, resources, path["device_id"], wait, authorization, if_none_match, one_request=False
            )
        except Exception:  # NotBatched, or an error: the route answers it, with the app's handlers
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


@router.get("/devices/{device_id}/board", response_class=HTMLResponse)
def eboard_page(device: BoardDeviceDep, session: SessionDep, resources: ResourcesDep) -> HTMLResponse:
    """The e-board's signage page: unit, clock, emergency banner, open items in turn; it polls ``board/data``.

    Authenticated by the bearer token or by the cookie of the board's login link.
    """
    now = storage.utcnow()
    view = board_view(session=session, device=device, now=now, timezone=resources.timezone)
    page = render_board(view, now=now, device_id=device.id)
    return HTMLResponse(page, headers=BOARD_PAGE_HEADERS)


@dataclass
class BoardAnswer:
    """A board's JSON view and where a long-poll waits for it to change."""

    unit_code: str
    generation: int
    view: dict


def board_answer(
    request: Request, resources: Resources, device_id: str, authorization: str | None, cookie: str | None
) -> BoardAnswer:
    """Authenticate the board (token or cookie), then its view, in one short session (in a worker thread)."""
    with storage.session_scope(resources.engine) as session:
        device = board_device(request, session, device_id, authorization, cookie)
        generation = manifest_generation(session)  # read first: a change after it wakes the long-poll
        view = board_view(session=session, device=device, now=storage.utcnow(), timezone=resources.timezone)
    return BoardAnswer(device.unit_code or "", generation, view)


@router.get("/devices/{device_id}/board/data")
async def eboard_data(
    request: Request,
    device_id: DeviceIdPath,
    resources: ResourcesDep,
    wait: Annotated[
        int | None,
        Query(
            description=f"Long-poll: with since, wait up to this many seconds (0 to {MAX_WAIT_S}) for a change."
        ),
    ] = None,
    since: Annotated[
        str | None, Query(max_length=64, description="The tag of the view the board shows.")
    ] = None,
    authorization: Annotated[str | None, Header()] = None,
    cookie: Annotated[str | None, Cookie(alias=BOARD_COOKIE, max_length=256)] = None,
) -> JSONResponse:
    """The board as JSON (unit, e-board items from now on with their windows, server time, tag), for its page.

    With ``?wait=N&since=<tag>``, a view still tagged ``since`` is answered as soon as the board's unit
    changes (a distribution, the end of an emergency), or after N seconds; the wait holds no database
    connection and no thread.
    """
    if wait is not None and not 0 <= wait <= MAX_WAIT_S:
        raise GatewayError(
            422,
            "invalid_wait",
            f"wait={wait} is out of range: give 0 to {MAX_WAIT_S} seconds",
            f"wait={wait} nằm ngoài giới hạn: hãy chờ từ 0 đến {MAX_WAIT_S} giây",
        )
    answer = partial(board_answer, request, resources, device_id, authorization, cookie)
    found = await run_in_threadpool(answer)
    if wait and since == found.view["tag"]:
        watcher = watcher_for(request.app, lambda: resources.engine)
        deadline = time.monotonic() + wait
        while found.view["tag"] == since and (left := deadline - time.monotonic()) > 0:
            if await watcher.wait(found.unit_code, found.generation, left):
                found = await run_in_threadpool(answer)
    # The server's time when answering: the board sets its clock by it.
    found.view["server_time"] = storage.utcnow().astimezone(UTC).isoformat()
    return JSONResponse(found.view, headers={"Cache-Control": "no-store"})


@router.get("/devices/{device_id}/board/sw.js", include_in_schema=False)
def eboard_service_worker(device_id: DeviceIdPath) -> Response:
    """The service worker that keeps the board's page and fonts for when the gateway cannot be reached."""
    headers = {"Cache-Control": "no-cache", "Service-Worker-Allowed": board_path(device_id)}
    return Response(BOARD_SERVICE_WORKER, media_type="text/javascript", headers=headers)


@router.get("/board/fonts/{name}", include_in_schema=False)
def eboard_font(name: Annotated[str, PathParam(max_length=80)]) -> Response:
    """The board's packaged font (Be Vietnam Pro, SIL OFL 1.1) and its licence."""
    found = font_file(name)
    if found is None:
        raise GatewayError(
            404,
            "unknown_font",
            f"no board font {name[:80]!r}: the board's page names the files it needs",
            f"không có phông chữ bảng tin {name[:80]!r}: trang bảng tin ghi đúng tên tệp cần dùng",
        )
    data, media_type = found
    return Response(data, media_type=media_type, headers={"Cache-Control": "public, max-age=604800"})


# How long a board stays signed in without opening its login link again (Chromium caps cookies at 400 days).
BOARD_COOKIE_SECONDS = 400 * 24 * 3600


@router.get("/devices/{device_id}/board/login", response_class=HTMLResponse)
def eboard_login_page(device_id: DeviceIdPath) -> HTMLResponse:
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


def etag_named(if_none_match: str | None, etag: str) -> bool:
    """True when If-None-Match names ``etag`` itself (not only ``*``)."""
    return etag in {t.strip().removeprefix("W/") for t in (if_none_match or "").split(",")}


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
            f"the range {(range_header or '')[:40]!r} starts past the end of the audio ({len(data)} bytes)",
            f"đoạn {(range_header or '')[:40]!r} vượt quá độ dài tệp âm thanh ({len(data)} byte)",
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
    """Store a batch of playback confirmations.

    A resend of a stored event (same id, same content) is reported in ``duplicates``; an id already
    stored with different content in ``conflicts`` (the stored event is kept); events dated before
    2020-01-01 or more than a day ahead of the server clock in ``rejected``.
    """
    if len(batch.events) > MAX_CONFIRMATIONS_PER_BATCH:
        raise too_large(f"{len(batch.events)} events")
    now = storage.utcnow()
    latest = now + MAX_EVENT_AHEAD
    statuses = {s.value: s for s in storage.PlaybackStatus}
    rejected: dict[str, str] = {}
    events = []
    for e in batch.events:
        times = (e.occurred_at, e.started_at, e.ended_at, e.slot_starts_at, e.slot_ends_at)
        # Most events are plausible: aware times inside the window need no closer look.
        if not all(at is None or (at.tzinfo is not None and EARLIEST_EVENT <= at <= latest) for at in times):
            problem = implausible_time(e.occurred_at, now)
            for name in ("started_at", "ended_at", "slot_starts_at", "slot_ends_at"):
                if problem:
                    break
                at = getattr(e, name)
                problem = implausible_time(at, now, name) if at is not None else None
            if problem:
                rejected[str(e.event_id)] = problem
                continue
        events.append(
            storage.ConfirmationEvent(
                event_id=e.event_id,
                item_id=e.item_id,
                status=statuses[e.status],
                occurred_at=e.occurred_at,
                duration_s=e.duration_s,
                sha256=e.sha256,
                slot_starts_at=e.slot_starts_at,
                slot_ends_at=e.slot_ends_at,
                started_at=e.started_at,
                ended_at=e.ended_at,
                outcome=e.outcome,
            )
        )
    result = record_confirmations_once(session, device, events) if events else storage.ConfirmationResult()
    if result.accepted and any(e.status == storage.PlaybackStatus.played for e in events):
        forget_manifest(session, device.id)  # a played item leaves the manifest: rebuild it on the next poll
    return ConfirmationOut(
        accepted=result.accepted,
        duplicates=result.duplicates,
        conflicts=result.conflicts,
        rejected={**rejected, **result.rejected},
    )


def implausible_time(at: datetime, now: datetime, name: str = "occurred_at") -> str | None:
    """Why a device's timestamp cannot be true (before 2020, over a day ahead, out of range), or None."""
    try:
        at_utc = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    except OverflowError:  # e.g. year 1 with a positive UTC offset is before year 1 in UTC
        at_utc = None
    if at_utc is None or at_utc < EARLIEST_EVENT:
        return (
            f"{name} {at.isoformat()} is before {EARLIEST_EVENT.date()}: the device clock is not set; "
            "set it (NTP) and send the event again with the real time"
        )
    if at_utc > now + MAX_EVENT_AHEAD:
        return (
            f"{name} {at.isoformat()} is more than a day ahead of the server clock ({now.isoformat()}): "
            "check the device clock"
        )
    return None


def record_confirmations_once(
    session: Session, device: storage.Device, events: list[storage.ConfirmationEvent]
) -> storage.ConfirmationResult:
    """Record a batch; when a concurrent request with the same events wins the race, redo it as duplicates.

    Stored ids are skipped by the insert itself (it waits for a concurrent transaction holding one);
    what is left to redo: a stale SQLite snapshot, or an id whose concurrent holder rolled back.
    """
    for attempt in range(storage.CONFIRMATION_RETRIES + 1):
        try:
            return storage.record_confirmations(session=session, device=device, events=events)
        except (IntegrityError, OperationalError, ConfirmationRace):
            # The other request committed (or gave up) first: what it stored is a duplicate now.
            session.rollback()
            if attempt == storage.CONFIRMATION_RETRIES:
                raise
    raise AssertionError("unreachable")


@router.post("/devices/{device_id}/heartbeats", response_model=HeartbeatOut, status_code=201)
def post_heartbeat(device: DeviceDep, session: SessionDep, beat: HeartbeatIn) -> HeartbeatOut:
    """Store a device's status report."""
    stored = storage.record_heartbeat(session=session, device=device, **beat.model_dump())
    return HeartbeatOut(device_id=device.id, received_at=stored.received_at)
