"""Officers' status pages: sign in with a one-time code, then see one's own unit and below (403 elsewhere)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Cookie, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse

import storage
from gateway.deps import ResourcesDep, SessionDep
from gateway.pages import error_page, esc, local_time, page

OFFICER_COOKIE = "bantin_officer"
SESSION_SECONDS = 8 * 3600  # storage's officer tokens expire after the same time
officer_router = APIRouter(prefix="/officer", include_in_schema=False)

_LOGIN_FORM = """<h1>Đăng nhập cán bộ / Officer sign-in</h1>
<form method='post' action='/officer/login'>
<label>Mã cán bộ / Officer id <input name='person' required maxlength='20' autocomplete='username'></label>
<label>Mã xác thực 6 số / 6-digit code <input name='code' required inputmode='numeric' maxlength='6'
 autocomplete='one-time-code'></label>
<button type='submit'>Đăng nhập / Sign in</button></form>"""
PRIORITY_LABELS = {
    "normal": "thường / normal",
    "priority": "ưu tiên / priority",
    "emergency": "khẩn cấp / emergency",
}
_LOGIN_LINK = "<p><a href='/officer/login'>Đăng nhập / Sign in</a></p>"


@officer_router.get("/login")
def login_page() -> HTMLResponse:
    """The sign-in form."""
    return page("Đăng nhập cán bộ", _LOGIN_FORM)


@officer_router.post("/login", response_model=None)
async def login(
    request: Request, session: SessionDep, resources: ResourcesDep
) -> HTMLResponse | RedirectResponse:
    """Check the officer's code; on success an HttpOnly session cookie and their unit's page."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    person_ref = (form.get("person") or [""])[0].strip()[:20]
    code = (form.get("code") or [""])[0].strip()[:12]
    try:
        officer = storage.verify_officer_code(session, person_ref, code, secret_key=resources.secret_key)
    except storage.StorageError as exc:
        return page(
            "Đăng nhập cán bộ",
            f"<p class='off'>{esc(exc.message_vi)}<br>{esc(exc.message_en)}</p>" + _LOGIN_FORM,
            status=401,
        )
    token = storage.officer_session_token(officer, secret_key=resources.secret_key)
    response = RedirectResponse(f"/officer/units/{quote(officer.unit_code)}", status_code=303)
    response.set_cookie(
        OFFICER_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/officer",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@officer_router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/officer/login", status_code=303)
    response.delete_cookie(OFFICER_COOKIE, path="/officer")
    return response


@officer_router.get("/units/{unit_code}")
def unit_page(
    unit_code: Annotated[str, PathParam(max_length=32)],
    session: SessionDep,
    resources: ResourcesDep,
    cookie: Annotated[str | None, Cookie(alias=OFFICER_COOKIE, max_length=200)] = None,
) -> HTMLResponse:
    """Devices, today's schedule, reviews waiting and ratings under a unit the officer oversees."""
    try:
        officer = storage.officer_from_token(session, cookie, secret_key=resources.secret_key)
    except storage.StorageError as exc:
        return error_page(401, exc.message_vi, exc.message_en, link=_LOGIN_LINK)
    try:
        code = storage.check_officer_scope(session, officer, unit_code)
    except storage.UnknownUnit as exc:
        return error_page(404, exc.message_vi, exc.message_en)
    except storage.NotAuthorised as exc:
        return error_page(403, exc.message_vi, exc.message_en)
    status = storage.unit_status(session=session, unit_code=code, timezone=resources.timezone)
    return page(f"Tình hình {status.unit_name}", render_status(status, officer, resources.timezone))


def render_status(status, officer, timezone: str) -> str:  # type: ignore[no-untyped-def]
    """The body of an officer's page."""
    online = sum(d.online for d in status.devices)
    out = [
        f"<h1>{esc(status.unit_name)} ({esc(status.unit_code)})</h1>",
        f"<p class='note'>Cán bộ / Officer: {esc(officer.name)} · cập nhật / as of "
        f"{esc(local_time(status.generated_at, timezone))}</p>",
        "<form method='post' action='/officer/logout'><button>Đăng xuất / Sign out</button></form>",
        f"<h2>Thiết bị / Devices: {online}/{len(status.devices)} trực tuyến / online</h2>",
        "<table><tr><th>Thiết bị / Device</th><th>Đơn vị / Unit</th><th>Trạng thái / State</th>"
        "<th>Lần cuối / Last seen</th><th>FM dự phòng / FM fallback</th><th>Pin / Battery</th>"
        "<th>Bộ nhớ trống / Free storage</th></tr>",
    ]
    for d in status.devices:
        state = (
            "<span class='on'>trực tuyến / online</span>"
            if d.online
            else "<span class='off'>mất kết nối / offline</span>"
        )
        out.append(
            f"<tr><td>{esc(d.device_id)}</td><td>{esc(d.unit_name)}</td><td>{state}</td>"
            f"<td>{esc(local_time(d.last_seen_at, timezone))}</td><td>{'có / yes' if d.fm_fallback else '–'}</td>"
            f"<td>{esc(d.battery_pct if d.battery_pct is not None else '–')}</td>"
            f"<td>{esc(d.free_storage)}</td></tr>"
        )
    out.append("</table><h2>Lịch phát hôm nay và ngày mai / Today's and tomorrow's schedule</h2>")
    out.append(
        _table(
            ["Giờ / Time", "Khung / Window", "Bản tin / Bulletin", "Ưu tiên / Priority", "Đã phát / Played"],
            [
                [
                    local_time(s["starts_at"], timezone, "%H:%M"),
                    s["window_name"],
                    s["title"],
                    s["priority"],
                    f"{s['played']}/{s['devices']}",
                ]
                for s in status.schedule
            ],
        )
    )
    out.append("<h2>Chờ duyệt / Waiting for review</h2>")
    out.append(
        _table(
            ["Bản tin / Bulletin", "Phiên bản / Version", "Từ / Since", "Đã chờ (phút) / Waiting (min)"],
            [
                [s["title"], s["version"], local_time(s["requested_at"], timezone), s["waiting_minutes"]]
                for s in status.waiting
            ],
        )
    )
    out.append("<h2>Đánh giá 30 ngày / Ratings, last 30 days</h2>")
    out.append(
        _table(
            ["Lĩnh vực / Category", "Ý kiến / Feedback", "Điểm TB / Average", "Bình luận / Comments"],
            [
                [
                    r["category"],
                    r["feedback"],
                    r["average_rating"] if r["average_rating"] is not None else "–",
                    r["comments"],
                ]
                for r in status.ratings
            ],
        )
    )
    out.append("<h2>Ý kiến mới / Recent comments</h2>")
    out += [
        f"<article><strong>{esc(c['rating'] or '–')}/5</strong> · {esc(c['title'] or c['unit_code'])} · "
        f"{esc(local_time(c['created_at'], timezone))}<blockquote>{esc(c['message'])}</blockquote></article>"
        for c in status.comments
    ] or ["<p class='note'>Chưa có / None yet</p>"]
    return "".join(out)


def _table(headers: list[str], rows: list[list]) -> str:
    if not rows:
        return "<p class='note'>Không có / None</p>"
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"
