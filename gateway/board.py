"""The e-board page: what an electronic bulletin board shows now, as plain HTML that refreshes itself."""

from __future__ import annotations

import html
import json
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from gateway.schemas import ManifestItem

REFRESH_SECONDS = 60
_PRIORITY_LABEL = {"emergency": "KHẨN CẤP", "priority": "ƯU TIÊN", "normal": ""}
_STYLE = (
    "body{font-family:sans-serif;margin:2rem;background:#fff;color:#111;font-size:1.6rem;overflow-wrap:anywhere}"
    "article{border-bottom:2px solid #ccc;padding:1rem 0}.emergency{background:#b00020;color:#fff;padding:1rem}"
    ".badge{font-weight:bold;letter-spacing:.1em}h1{font-size:2.2rem;margin:.2rem 0}small{color:#555}"
    ".emergency small{color:#eee}"
)


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return "".join(f"<p>{html.escape(b).replace(chr(10), '<br>')}</p>" for b in blocks)


def _article(item: ManifestItem, tz: ZoneInfo) -> str:
    badge = _PRIORITY_LABEL.get(item.priority, "")
    until = item.ends_at.astimezone(tz).strftime("%H:%M %d/%m/%Y")
    return (
        f'<article class="{html.escape(item.priority)}" lang="{html.escape(item.language[:2])}">'
        + (f'<div class="badge">{badge}</div>' if badge else "")
        + f"<h1>{html.escape(item.title)}</h1>{_paragraphs(item.text or item.title)}"
        + f"<small>Hiển thị đến {until}</small></article>"
    )


def render_board(device_name: str, items: list[ManifestItem], *, now: datetime, timezone: str) -> str:
    """The page of an e-board: e-board items whose window is open now, emergencies first."""
    tz = ZoneInfo(timezone)
    showing = [i for i in items if i.kind == "eboard" and i.starts_at <= now < i.ends_at]
    upcoming = sorted(
        (i for i in items if i.kind == "eboard" and i.starts_at > now), key=lambda i: i.starts_at
    )
    if showing:
        body = "".join(_article(i, tz) for i in showing)
    elif upcoming:
        at = upcoming[0].starts_at.astimezone(tz).strftime("%H:%M %d/%m/%Y")
        body = f"<p>Chưa đến giờ hiển thị. Bản tin tiếp theo lúc {at}.</p>"
    else:
        body = "<p>Hiện chưa có bản tin.</p>"
    return _page(f"Bảng tin — {device_name}", body)


def render_board_error(status: int, code: str, message_vi: str, message_en: str) -> str:
    """The page a board shows when it cannot show bulletins: why, in Vietnamese then English.

    It refreshes like the board itself, so a board recovers on its own once the cause is fixed.
    """
    body = (
        f'<section class="error"><h1>Bảng tin chưa hiển thị được (lỗi {status})</h1>'
        f'<p>{html.escape(message_vi)}</p><p lang="en"><small>{html.escape(message_en)} '
        f"[{html.escape(code)}]</small></p></section>"
    )
    return _page("Bảng tin — lỗi", body)


# The login page's script: the token travels in the URL's fragment, which browsers never send to a
# server (so it stays out of access logs), and is handed to the gateway in the Authorization header;
# the gateway answers with the board's cookie. ES5 and XMLHttpRequest, for old kiosk browsers.
_LOGIN_SCRIPT = """
(function () {
  var paths = %s, msg = document.getElementById("msg");
  function say(vi, en) { msg.innerHTML = ""; msg.appendChild(document.createTextNode(vi));
    var small = document.createElement("small"); small.lang = "en"; small.textContent = " " + en;
    msg.appendChild(small); }
  var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) { say("Liên kết thiếu mã thiết bị (#token=...). Hãy mở đúng liên kết đăng nhập của bảng tin.",
                "The link has no device token (#token=...): open the board's login link."); return; }
  var token = decodeURIComponent(m[1]);
  if (history.replaceState) { history.replaceState(null, "", location.pathname); }
  function login() {
    var x = new XMLHttpRequest();
    x.open("POST", paths.session);
    x.setRequestHeader("Authorization", "Bearer " + token);
    x.setRequestHeader("Accept", "application/json");
    x.onload = function () {
      if (x.status === 204) { location.replace(paths.board); return; }
      var body = {}; try { body = JSON.parse(x.responseText); } catch (e) {}
      say("Không đăng nhập được (lỗi " + x.status + "): " + (body.message_vi || ""),
          "Login failed: " + (body.message_en || x.statusText));
    };
    x.onerror = function () { say("Mất kết nối, thử lại sau 30 giây.", "No connection, retrying in 30 s.");
      setTimeout(login, 30000); };
    x.send();
  }
  login();
})();
"""


def board_path(device_id: str) -> str:
    """The URL path of a device's e-board page."""
    return f"/v1/devices/{quote(device_id, safe='')}/board"


def board_login_link(base_url: str, device_id: str, token: str) -> str:
    """The link a kiosk opens once: the login page, with the token in the fragment (never sent to a server)."""
    return f"{base_url.rstrip('/')}{board_path(device_id)}/login#token={quote(token, safe='')}"


def render_board_login(device_id: str) -> str:
    """The page that turns a login link's token into the board's cookie, then opens the board."""
    paths = json.dumps({"session": board_path(device_id) + "/session", "board": board_path(device_id)})
    script = _LOGIN_SCRIPT % paths.replace("<", "\\u003c")
    body = (
        '<section><h1>Đang mở bảng tin…</h1><p id="msg">Đang đăng nhập thiết bị. '
        '<small lang="en">Signing the device in.</small></p>'
        "<noscript><p>Trình duyệt cần bật JavaScript để đăng nhập bảng tin. "
        '<small lang="en">The browser needs JavaScript to sign the board in.</small></p></noscript>'
        f"</section><script>{script}</script>"
    )
    return _page("Bảng tin — đăng nhập", body, refresh=False)


def _page(title: str, body: str, *, refresh: bool = True) -> str:
    meta_refresh = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if refresh else ""
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"{meta_refresh}"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
