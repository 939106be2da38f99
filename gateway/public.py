"""Citizens' side, no login: rate a bulletin, listen again to a unit's programs, subscribe to its podcast."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from email.utils import format_datetime
from typing import Annotated
from urllib.parse import parse_qs, quote
from xml.sax.saxutils import escape as xml_escape

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

import storage
from gateway.deps import ResourcesDep, SessionDep
from gateway.pages import error_page, esc, local_time, page

FEEDBACK_PER_WINDOW = 5
FEEDBACK_WINDOW_SECONDS = 600
PROGRAMS_SHOWN = 50
public_router = APIRouter(prefix="/public", tags=["citizens"])


class FeedbackIn(BaseModel):
    """A citizen's rating (1-5) and/or comment; comments are stored as plain text."""

    unit: str = Field(max_length=32, description="Unit code of the citizen's village or commune.")
    rating: int | None = Field(None, description="1 (poor) to 5 (very good).")
    comment: str = Field("", description="Optional; at most 2,000 characters.")
    bulletin_id: int | None = None


class FeedbackOut(BaseModel):
    id: int
    message_vi: str = "Cảm ơn ý kiến của bạn."
    message_en: str = "Thank you for your feedback."


class RateLimiter:
    """At most ``limit`` requests per client in a sliding window (in this process)."""

    def __init__(self, limit: int = FEEDBACK_PER_WINDOW, window_s: float = FEEDBACK_WINDOW_SECONDS) -> None:
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > 10_000:  # forget idle clients so memory stays bounded
                self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < self.window_s}
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] >= self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True


def _limiter(request: Request) -> RateLimiter:
    state = request.app.state
    if not hasattr(state, "feedback_limiter"):
        state.feedback_limiter = RateLimiter()
    return state.feedback_limiter


def _bilingual(status: int, code: str, en: str, vi: str, *, html_page: bool) -> Response:
    if html_page:
        return error_page(status, vi, en)
    return JSONResponse(
        {"error": code, "message_vi": vi, "message_en": en, "details": []}, status_code=status
    )


async def _read_feedback(request: Request) -> tuple[FeedbackIn, bool]:
    """The body as JSON, or as a form posted from the listen-again page."""
    body = await request.body()
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        rating = form.get("rating", "").strip()
        bulletin = form.get("bulletin_id", "").strip()
        return FeedbackIn(
            unit=form.get("unit", "")[:32],
            rating=int(rating) if rating.lstrip("-").isdigit() else None,
            comment=form.get("comment", ""),
            bulletin_id=int(bulletin) if bulletin.isdigit() else None,
        ), True
    return FeedbackIn.model_validate(json.loads(body or b"{}")), False


@public_router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackOut,
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": FeedbackIn.model_json_schema()}}}
    },
    responses={
        400: {"description": "Invalid rating or comment"},
        404: {"description": "Unknown unit"},
        429: {"description": "Too many messages from this client"},
    },
)
async def post_feedback(request: Request, session: SessionDep) -> Response:
    """Rate a bulletin or comment on one's area (no login; a few messages per client every 10 minutes)."""
    try:
        feedback, from_form = await _read_feedback(request)
    except (ValueError, TypeError) as exc:
        return _bilingual(
            422,
            "invalid_request",
            f"the request is malformed: {str(exc)[:200]}",
            "yêu cầu không hợp lệ",
            html_page=False,
        )
    client = request.client.host if request.client else "unknown"
    if not _limiter(request).allow(client):
        return _bilingual(
            429,
            "rate_limited",
            "too many messages from this device: try again in 10 minutes",
            "bạn đã gửi quá nhiều ý kiến: hãy thử lại sau 10 phút",
            html_page=from_form,
        )
    try:
        row = storage.submit_feedback(
            session=session,
            unit_code=feedback.unit,
            rating=feedback.rating,
            comment=feedback.comment,
            bulletin_id=feedback.bulletin_id,
            channel="web" if from_form else "api",
        )
    except storage.StorageError as exc:
        status = 404 if isinstance(exc, storage.UnknownUnit | storage.UnknownBulletin) else 400
        return _bilingual(status, exc.code, exc.message_en, exc.message_vi, html_page=from_form)
    if from_form:
        back = f"/public/units/{quote(row.unit_code)}/listen"
        return page(
            "Cảm ơn",
            f"<h1>Cảm ơn ý kiến của bạn / Thank you</h1><p><a href='{esc(back)}'>Quay lại / Back</a></p>",
            status=201,
        )
    return JSONResponse(FeedbackOut(id=row.id).model_dump(), status_code=201)


@public_router.get("/units/{unit_code}/listen", response_class=HTMLResponse)
def listen_again_page(
    unit_code: Annotated[str, PathParam(max_length=32)], session: SessionDep, resources: ResourcesDep
) -> HTMLResponse:
    """A unit's approved programs, newest first, playable in the browser, with a rating form."""
    try:
        unit = storage.get_unit(session, unit_code)
        programs = storage.listen_again(session=session, unit_code=unit.code, limit=PROGRAMS_SHOWN)
    except storage.UnknownUnit as exc:
        return error_page(404, exc.message_vi, exc.message_en)
    feed = f"/public/units/{quote(unit.code)}/podcast.xml"
    out = [
        f"<h1>Nghe lại bản tin — {esc(unit.name)}</h1>",
        f"<p class='note'>Listen again · <a href='{esc(feed)}'>Podcast (RSS)</a></p>",
    ]
    if not programs:
        out.append(
            "<p>Chưa có chương trình nào được phát ở đây. / No programs have been broadcast here yet.</p>"
        )
    for p in programs:
        minutes = f" · {int(p.duration_s // 60)}:{int(p.duration_s % 60):02d}" if p.duration_s else ""
        out.append(
            f"<article><h2>{esc(p.title)}</h2><p class='note'>Lên sóng / Aired "
            f"{esc(local_time(p.first_broadcast_at, resources.timezone))}{esc(minutes)}</p>"
            f"<audio controls preload='none' src='/public/audio/{esc(p.audio_sha256)}.mp3'></audio>"
            f"{'<p>' + esc(p.summary) + '</p>' if p.summary else ''}"
            f"<form method='post' action='/public/feedback'><input type='hidden' name='unit' value='{esc(unit.code)}'>"
            f"<input type='hidden' name='bulletin_id' value='{p.bulletin_id}'>"
            "<label>Đánh giá / Rating <select name='rating'><option value='5'>5 – rất tốt</option>"
            "<option value='4'>4 – tốt</option><option value='3'>3 – bình thường</option>"
            "<option value='2'>2 – chưa tốt</option><option value='1'>1 – kém</option></select></label>"
            "<label>Ý kiến / Comment <textarea name='comment' maxlength='2000' rows='2'></textarea></label>"
            "<button type='submit'>Gửi / Send</button></form></article>"
        )
    return page(f"Nghe lại — {unit.name}", "".join(out))


@public_router.get(
    "/units/{unit_code}/podcast.xml", responses={200: {"content": {"application/rss+xml": {}}}}
)
def podcast_feed(
    unit_code: Annotated[str, PathParam(max_length=32)],
    request: Request,
    session: SessionDep,
    resources: ResourcesDep,
) -> Response:
    """RSS 2.0 feed of a unit's programs with MP3 enclosures (length in bytes, duration)."""
    try:
        unit = storage.get_unit(session, unit_code)
    except storage.UnknownUnit as exc:
        return _bilingual(404, exc.code, exc.message_en, exc.message_vi, html_page=False)
    programs = storage.listen_again(session=session, unit_code=unit.code, limit=PROGRAMS_SHOWN)
    base = str(request.base_url).rstrip("/")
    link = f"{base}/public/units/{quote(unit.code)}/listen"
    items = []
    for p in programs:
        try:
            length = len(resources.store.get(p.audio_key))
        except (KeyError, OSError):
            continue  # audio no longer stored: leave it out rather than announce a broken file
        duration = round(p.duration_s or 0)
        items.append(
            "<item>"
            f"<title>{xml_escape(p.title)}</title>"
            f"<guid isPermaLink='false'>bantin-{p.bulletin_id}-{p.audio_sha256[:16]}</guid>"
            f"<pubDate>{format_datetime(p.first_broadcast_at)}</pubDate>"
            f"<description>{xml_escape(p.summary or p.title)}</description>"
            f"<enclosure url='{xml_escape(base)}/public/audio/{p.audio_sha256}.mp3' length='{length}' type='audio/mpeg'/>"
            f"<itunes:duration>{duration // 3600:02d}:{duration % 3600 // 60:02d}:{duration % 60:02d}</itunes:duration>"
            "</item>"
        )
    feed = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<rss version='2.0' xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd'><channel>"
        f"<title>{xml_escape('Bản tin ' + unit.name)}</title><link>{xml_escape(link)}</link>"
        f"<description>{xml_escape('Các bản tin truyền thanh cơ sở đã phát tại ' + unit.name)}</description>"
        "<language>vi</language>" + "".join(items) + "</channel></rss>"
    )
    return Response(
        feed, media_type="application/rss+xml; charset=utf-8", headers={"Cache-Control": "max-age=300"}
    )


@public_router.get("/audio/{sha256}.mp3", responses={200: {"content": {"audio/mpeg": {}}}})
def public_audio(
    sha256: Annotated[str, PathParam(max_length=64)], session: SessionDep, resources: ResourcesDep
) -> Response:
    """The MP3 of an approved, broadcast program; anything else is 404."""
    if not storage.public_audio_allowed(session=session, sha256=sha256):
        return _bilingual(
            404,
            "unknown_audio",
            "no broadcast program has this audio",
            "không có chương trình này",
            html_page=False,
        )
    try:
        data = resources.store.get(f"audio/{sha256}.mp3")
    except (KeyError, OSError):
        return _bilingual(
            404, "unknown_audio", "the audio is no longer stored", "tệp âm thanh không còn", html_page=False
        )
    return Response(data, media_type="audio/mpeg", headers={"Cache-Control": "public, max-age=86400"})
