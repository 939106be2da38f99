"""The e-board page: a signage screen (unit, date and clock, emergency banner, rotating bulletins).

The page fetches a JSON view of its board every POLL_SECONDS and keeps the last one it got in
localStorage (and, where the browser allows service workers, the page itself in Cache Storage), so a
board whose gateway or network is down keeps showing what it last loaded and says since when.
Everything is drawn with Be Vietnam Pro, packaged in ``gateway/static`` (SIL OFL 1.1), never a
system fallback that may lack Vietnamese glyphs.
"""

from __future__ import annotations

import hashlib
import html
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlmodel import Session

import storage
from gateway.manifest import manifest_item
from gateway.schemas import ManifestItem

# The page long-polls its JSON view (``?wait=``, answered as soon as the board's unit gets a new
# distribution or an emergency ends), asks again at once after each answer, and after a failure waits
# POLL_SECONDS; each item shows for ROTATE_SECONDS in turn.
WAIT_SECONDS = 25
POLL_SECONDS = 10
ROTATE_SECONDS = 12
# How long an error page waits before trying again (it has no script: a plain refresh).
REFRESH_SECONDS = 60

# The board page's headers: never cached by HTTP (its service worker keeps it), nothing loaded from elsewhere.
BOARD_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

FONT_FAMILY = "Be Vietnam Pro"
FONTS_PATH = "/v1/board/fonts"
# Fontsource's subsets of Be Vietnam Pro and the characters each holds (from its CSS).
_FONT_SUBSETS = {
    "vietnamese": "U+0102-0103,U+0110-0111,U+0128-0129,U+0168-0169,U+01A0-01A1,U+01AF-01B0,"
    "U+0300-0301,U+0303-0304,U+0308-0309,U+0323,U+0329,U+1EA0-1EF9,U+20AB",
    "latin-ext": "U+0100-02BA,U+02BD-02C5,U+02C7-02CC,U+02CE-02D7,U+02DD-02FF,U+0304,U+0308,U+0329,"
    "U+1D00-1DBF,U+1E00-1E9F,U+1EF2-1EFF,U+2020,U+20A0-20AB,U+20AD-20C0,U+2113,U+2C60-2C7F,U+A720-A7FF",
    "latin": "U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,"
    "U+2000-206F,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD",
}
_FONT_WEIGHTS = (400, 700)
FONT_FILES = {
    f"be-vietnam-pro-{subset}-{weight}-normal.woff2": "font/woff2"
    for subset in _FONT_SUBSETS
    for weight in _FONT_WEIGHTS
} | {
    "be-vietnam-pro-OFL.txt": "text/plain; charset=utf-8",
    "be-vietnam-pro-SOURCE.txt": "text/plain; charset=utf-8",
}

_PRIORITY_LABEL = {"emergency": "KHẨN CẤP", "priority": "ƯU TIÊN", "normal": ""}
_NO_BULLETIN = "Hiện chưa có bản tin."


def font_file(name: str) -> tuple[bytes, str] | None:
    """A packaged font file (or its licence) and its media type; None for any other name."""
    media_type = FONT_FILES.get(name)
    if media_type is None:
        return None
    return (resources.files("gateway") / "static" / name).read_bytes(), media_type


def _font_faces() -> str:
    return "".join(
        f"@font-face{{font-family:'{FONT_FAMILY}';font-style:normal;font-weight:{weight};font-display:block;"
        f"src:url({FONTS_PATH}/be-vietnam-pro-{subset}-{weight}-normal.woff2) format('woff2');"
        f"unicode-range:{ranges}}}"
        for subset, ranges in _FONT_SUBSETS.items()
        for weight in _FONT_WEIGHTS
    )


# Dark header, white body, a red banner with a yellow frame for emergencies; sizes follow the screen
# (vmin), and the page's script shrinks an item's type only when the item would not fit otherwise.
_STYLE = _font_faces() + (
    f"html,body{{margin:0;font-family:'{FONT_FAMILY}',sans-serif;background:#fff;color:#111}}"
    "body{font-size:3.2vmin;overflow-wrap:anywhere;line-height:1.3}"
    "header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:0 3vmin;"
    "background:#0d2c54;color:#fff;padding:1.6vmin 3vmin;font-size:3.6vmin}"
    ".unit{font-weight:700}.when{white-space:nowrap}#clock{font-weight:700;margin-left:1.5vmin}"
    "#alerts section{background:#b00020;color:#fff;border:1vmin solid #ffd600;padding:1.5vmin 3vmin}"
    "#alerts section+section{border-top:0}#alerts h1{font-size:1.5em;margin:.1em 0 .3em;line-height:1.15}"
    ".badge{display:inline-block;font-weight:700;letter-spacing:.08em;font-size:.8em;padding:0 .4em}"
    "#alerts .badge{background:#ffd600;color:#000}.priority .badge{background:#0d2c54;color:#fff}"
    ".where,.until{font-weight:700;margin:.3em 0}#items{padding:1.5vmin 3vmin}"
    "article h2{font-size:1.35em;margin:.1em 0 .3em;line-height:1.15}article p,section p{margin:.2em 0 .4em}"
    "article small{display:block;color:#444;font-size:.7em;margin-top:.4em}.empty{color:#333}"
    "footer{display:flex;justify-content:space-between;gap:2vmin;padding:.8vmin 3vmin;font-size:2.8vmin;"
    "background:#eef1f5;color:#222}#status:empty{display:none}"
    "#status{background:#ffd600;color:#000;font-weight:700;padding:0 .6em}"
    # Signage mode (the script runs): one screen, no scrolling; the items area takes what is left.
    ".js body{display:flex;flex-direction:column;height:100vh;overflow:hidden}"
    ".js header,.js footer{flex:none}.js #alerts{flex:0 1 auto;max-height:64vh;overflow:hidden}"
    ".js #items{flex:1 1 0;min-height:0;overflow:hidden}.js .only-alerts #alerts{flex:1 1 0;max-height:none}"
    ".js .only-alerts #items{display:none}.js footer:has(#status:empty):has(#pager:empty){visibility:hidden}"
)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def board_view(*, session: Session, device: storage.Device, now: datetime, timezone: str) -> dict[str, Any]:
    """What a board shows, as JSON: its unit, its e-board items from now on (emergencies first), server time.

    An emergency names the units it is for (where), and every item its window (until when); the page
    decides what is open from these with the server's clock, so it stays right while offline.
    """
    entries = storage.device_playlist(session=session, device=device, now=now)
    items = [manifest_item(e) for e in entries if e.kind == "eboard"]
    unit = storage.get_unit(session, device.unit_code).name if device.unit_code else ""
    areas: dict[int, list[str]] = {}
    for item in items:
        if item.priority == "emergency" and item.bulletin_id not in areas:
            codes = storage.target_codes(session, item.bulletin_id)
            areas[item.bulletin_id] = [storage.get_unit(session, code).name for code in codes]
    view = {
        "device": device.name or device.id,
        "unit": unit,
        "timezone": timezone,
        "utc_offset_minutes": int(now.astimezone(ZoneInfo(timezone)).utcoffset().total_seconds() // 60),
        "wait_seconds": WAIT_SECONDS,
        "poll_seconds": POLL_SECONDS,
        "rotate_seconds": ROTATE_SECONDS,
        "items": [_view_item(i, areas.get(i.bulletin_id, [])) for i in items],
    }
    content = json.dumps(view, sort_keys=True, ensure_ascii=False).encode()
    # The tag names what the board shows (not when it was asked): a long-poll waits while it is unchanged.
    view["tag"] = hashlib.sha256(content).hexdigest()[:32]
    view["server_time"] = _aware(now).astimezone(UTC).isoformat()
    return view


def _view_item(item: ManifestItem, areas: list[str]) -> dict[str, Any]:
    return {
        "id": item.item_id,
        "title": item.title,
        "text": item.text or item.title,
        "priority": item.priority,
        "language": item.language,
        "starts_at": _aware(item.starts_at).astimezone(UTC).isoformat(),
        "ends_at": _aware(item.ends_at).astimezone(UTC).isoformat(),
        "areas": areas,
    }


_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return "".join(f"<p>{html.escape(b).replace(chr(10), '<br>')}</p>" for b in blocks)


def _stamp(value: str, tz: ZoneInfo) -> str:
    return datetime.fromisoformat(value).astimezone(tz).strftime("%H:%M %d/%m/%Y")


def _card(item: dict[str, Any], tz: ZoneInfo) -> str:
    """An emergency as a banner section (what, where, until when), any other item as an article."""
    badge = _PRIORITY_LABEL.get(item["priority"], "")
    emergency = item["priority"] == "emergency"
    tag, heading = ("section", "h1") if emergency else ("article", "h2")
    until = _stamp(item["ends_at"], tz)
    tail = (
        (f'<p class="where">Khu vực: {html.escape(", ".join(item["areas"]))}</p>' if item["areas"] else "")
        + f'<p class="until">Hiệu lực đến {until}</p>'
        if emergency
        else f"<small>Hiển thị đến {until}</small>"
    )
    return (
        f'<{tag} class="{html.escape(item["priority"])}" lang="{html.escape(item["language"][:2])}">'
        + (f'<div class="badge">{badge}</div>' if badge else "")
        + f"<{heading}>{html.escape(item['title'])}</{heading}>"
        + f'<div class="text">{_paragraphs(item["text"])}</div>{tail}</{tag}>'
    )


def render_board(view: dict[str, Any], *, now: datetime, device_id: str) -> str:
    """The board's page for ``view`` (board_view) at ``now``; its script keeps it up to date."""
    tz = ZoneInfo(view["timezone"])
    local = now.astimezone(tz)
    open_items = [
        i
        for i in view["items"]
        if datetime.fromisoformat(i["starts_at"]) <= now < datetime.fromisoformat(i["ends_at"])
    ]
    alerts = "".join(_card(i, tz) for i in open_items if i["priority"] == "emergency")
    cards = "".join(_card(i, tz) for i in open_items if i["priority"] != "emergency")
    if not alerts and not cards:
        upcoming = sorted(view["items"], key=lambda i: i["starts_at"])
        message = (
            f"Chưa đến giờ hiển thị. Bản tin tiếp theo lúc {_stamp(upcoming[0]['starts_at'], tz)}."
            if upcoming
            else _NO_BULLETIN
        )
        cards = f'<p class="empty">{message}</p>'
    data = json.dumps(view, ensure_ascii=False).replace("<", "\\u003c")
    path = board_path(device_id)
    config = {
        "data": f"{path}/data",
        "sw": f"{path}/sw.js",
        "scope": path,
        "key": f"bantin-board:{device_id}",
        "fonts": [f"{FONTS_PATH}/{name}" for name in FONT_FILES if name.endswith(".woff2")],
    }
    body = (
        f'<header><span class="unit" id="unit">{html.escape(view["unit"] or view["device"])}</span>'
        f'<span class="when"><span id="date">{_WEEKDAYS[local.weekday()]}, {local:%d/%m/%Y}</span>'
        f'<span id="clock">{local:%H:%M}</span></span></header>'
        f'<div id="alerts" role="alert">{alerts}</div><main id="items">{cards}</main>'
        '<footer><span id="status" aria-live="polite"></span><span id="pager"></span></footer>'
        f'<script type="application/json" id="board-data">{data}</script>'
        f"<script>{_BOARD_SCRIPT % json.dumps(config).replace('<', chr(92) + 'u003c')}</script>"
    )
    return _page(f"Bảng tin — {view['device']}", body, refresh=False, signage=True)


def render_board_error(status: int, code: str, message_vi: str, message_en: str) -> str:
    """The page a board shows when it cannot show bulletins: why, in Vietnamese then English.

    It refreshes itself, so a board recovers on its own once the cause is fixed.
    """
    body = (
        f'<section class="error"><h1>Bảng tin chưa hiển thị được (lỗi {status})</h1>'
        f'<p>{html.escape(message_vi)}</p><p lang="en"><small>{html.escape(message_en)} '
        f"[{html.escape(code)}]</small></p></section>"
    )
    return _page("Bảng tin — lỗi", body)


# The board's script (ES5, for old kiosk browsers): draws the board from its JSON view, polls for a new
# one, keeps the last in localStorage and says since when it has had no answer; a live clock; one
# item at a time, each for ROTATE_SECONDS, its type shrunk only when it would not fit the screen.
_BOARD_SCRIPT = """
(function () {
  var cfg = %s, doc = document, LABEL = {emergency: "KHẨN CẤP", priority: "ƯU TIÊN"};
  var WEEKDAYS = ["Chủ Nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"];
  var view = JSON.parse(doc.getElementById("board-data").textContent);
  var offset = Date.parse(view.server_time) - Date.now();  /* the server's clock minus this screen's */
  var lastContact = Date.parse(view.server_time), offline = false, shown = null, index = 0, rotateAt = 0;
  var saved = null;
  try { saved = JSON.parse(localStorage.getItem(cfg.key)); } catch (e) {}
  if (saved && saved.view && Date.parse(saved.view.server_time) > lastContact) {
    view = saved.view; offset = saved.offset; lastContact = Date.parse(view.server_time);
  }
  var zone = null;
  try { zone = new Intl.DateTimeFormat("en-US", {timeZone: view.timezone, hourCycle: "h23", year: "numeric",
    month: "numeric", day: "numeric", hour: "numeric", minute: "numeric"}); } catch (e) {}
  function local(ms) {  /* the board's wall clock at ms, read with getUTC* */
    if (zone && zone.formatToParts) {
      var p = {};
      zone.formatToParts(new Date(ms)).forEach(function (x) { p[x.type] = x.value; });
      return new Date(Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour %% 24, +p.minute));
    }
    return new Date(ms + view.utc_offset_minutes * 60000);
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function hhmm(ms) { var t = local(ms); return pad(t.getUTCHours()) + ":" + pad(t.getUTCMinutes()); }
  function day(ms) { var t = local(ms); return pad(t.getUTCDate()) + "/" + pad(t.getUTCMonth() + 1) + "/" + t.getUTCFullYear(); }
  function stamp(ms) { return hhmm(ms) + " " + day(ms); }
  function now() { return Date.now() + offset; }
  function $(id) { return doc.getElementById(id); }
  function el(tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function paragraphs(box, text) {
    text.replace(/\\r\\n/g, "\\n").split("\\n\\n").forEach(function (block) {
      block = block.trim();
      if (!block) { return; }
      var p = el("p");
      block.split("\\n").forEach(function (line, i) {
        if (i) { p.appendChild(el("br")); }
        p.appendChild(doc.createTextNode(line));
      });
      box.appendChild(p);
    });
  }
  function card(item) {
    var emergency = item.priority === "emergency", box = el(emergency ? "section" : "article", item.priority);
    var until = stamp(Date.parse(item.ends_at)), text = el("div", "text");
    box.lang = item.language.slice(0, 2);
    if (LABEL[item.priority]) { box.appendChild(el("div", "badge", LABEL[item.priority])); }
    box.appendChild(el(emergency ? "h1" : "h2", null, item.title));
    paragraphs(text, item.text);
    box.appendChild(text);
    if (emergency) {
      if (item.areas.length) { box.appendChild(el("p", "where", "Khu vực: " + item.areas.join(", "))); }
      box.appendChild(el("p", "until", "Hiệu lực đến " + until));
    } else {
      box.appendChild(el("small", null, "Hiển thị đến " + until));
    }
    return box;
  }
  function draw() {  /* redraws only when what is open changes */
    var t = now(), open = [], next = null, key;
    view.items.forEach(function (i) {
      var starts = Date.parse(i.starts_at);
      if (starts <= t && t < Date.parse(i.ends_at)) { open.push(i); }
      else if (starts > t && (next === null || starts < next)) { next = starts; }
    });
    key = JSON.stringify([view.unit, open, next]);
    if (key === shown) { return; }
    shown = key;
    var alerts = $("alerts"), items = $("items"), normal = 0;
    $("unit").textContent = view.unit || view.device;
    alerts.innerHTML = ""; items.innerHTML = "";
    open.forEach(function (i) {
      if (i.priority === "emergency") { alerts.appendChild(card(i)); } else { items.appendChild(card(i)); normal++; }
    });
    if (!open.length) {
      items.appendChild(el("p", "empty", next === null ? "Hiện chưa có bản tin."
        : "Chưa đến giờ hiển thị. Bản tin tiếp theo lúc " + stamp(next) + "."));
    }
    doc.body.className = alerts.children.length && !normal ? "only-alerts" : "";
    index = 0;
    rotate(0);
  }
  function rotate(step) {
    var cards = $("items").getElementsByTagName("article"), k;
    index = cards.length ? (index + step) %% cards.length : 0;
    for (k = 0; k < cards.length; k++) { cards[k].style.display = k === index ? "" : "none"; }
    $("pager").textContent = cards.length > 1 ? (index + 1) + " / " + cards.length : "";
    rotateAt = Date.now() + view.rotate_seconds * 1000;
    fitAll();
  }
  function fit(box, px) {  /* the largest type, up to px, at which all of box's text shows */
    var size = Math.round(px);
    box.style.fontSize = size + "px";
    while (size > 10 && (box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1)) {
      size = Math.floor(size * 0.92);
      box.style.fontSize = size + "px";
    }
  }
  function fitAll() {
    var unit = Math.min(window.innerWidth, window.innerHeight);
    if (doc.documentElement.className.indexOf("js") < 0) { return; }
    fit($("alerts"), unit * 0.05);
    fit($("items"), unit * 0.055);
  }
  function status() {
    var box = $("status"), since = day(lastContact) === day(now()) ? hhmm(lastContact) : stamp(lastContact);
    box.innerHTML = "";
    if (!offline) { return; }
    box.appendChild(doc.createTextNode("Mất kết nối từ " + since + " · "));
    var en = el("span", null, "Offline since " + since);
    en.lang = "en";
    box.appendChild(en);
    fitAll();
  }
  function tick() {
    var t = now();
    $("date").textContent = WEEKDAYS[local(t).getUTCDay()] + ", " + day(t);
    $("clock").textContent = hhmm(t);
    draw();
    if (Date.now() >= rotateAt) { rotate(1); }
  }
  function signedOut() {  /* a revoked board forgets what it showed, then shows the gateway's reason */
    function reload() { location.reload(); }
    try { localStorage.removeItem(cfg.key); } catch (e) {}
    if (window.caches) { caches["delete"]("bantin-board-1").then(reload, reload); } else { reload(); }
  }
  function poll() {  /* a long-poll: answered at once when the board changed, else after wait_seconds */
    var x = new XMLHttpRequest(), done = false, wait = view.wait_seconds || 0;
    function settle(ok) {
      if (done) { return; }
      done = true;
      if (!ok && !offline) { offline = true; status(); }
      setTimeout(poll, ok && wait ? 200 : view.poll_seconds * 1000);
    }
    x.open("GET", cfg.data + (wait ? "?wait=" + wait + "&since=" + encodeURIComponent(view.tag || "") : ""));
    x.setRequestHeader("Accept", "application/json");
    x.timeout = (wait + 10) * 1000;
    x.onload = function () {
      if (x.status === 401 || x.status === 403) { signedOut(); return; }
      var fresh = null;
      try { fresh = x.status === 200 ? JSON.parse(x.responseText) : null; } catch (e) {}
      if (!fresh || !fresh.items) { settle(false); return; }
      view = fresh; offset = Date.parse(view.server_time) - Date.now(); lastContact = Date.parse(view.server_time);
      try { localStorage.setItem(cfg.key, JSON.stringify({view: view, offset: offset})); } catch (e) {}
      offline = false; status(); draw(); settle(true);
    };
    x.onerror = x.ontimeout = x.onabort = function () { settle(false); };
    x.send();
  }
  doc.documentElement.className = "js";
  window.addEventListener("resize", fitAll);
  if (doc.fonts && doc.fonts.ready) { doc.fonts.ready.then(fitAll); }
  tick();
  setInterval(tick, 1000);
  poll();
  /* Where service workers run (https, localhost), the page itself is kept too: a reload while offline works. */
  if (navigator.serviceWorker && window.isSecureContext && window.caches) {
    navigator.serviceWorker.register(cfg.sw, {scope: cfg.scope}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      return caches.open("bantin-board-1");
    }).then(function (cache) {
      return cache.addAll([location.pathname].concat(cfg.fonts));
    }).then(function () {
      doc.documentElement.setAttribute("data-offline-ready", "1");
    })["catch"](function () {});
  }
})();
"""

# The service worker of a board's pages: the page and its fonts from the network, or from Cache Storage
# when the network fails. The JSON view is left to the network, so the page learns when it is offline.
BOARD_SERVICE_WORKER = """
var CACHE = "bantin-board-1", FONTS = __FONTS__;
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (event) {
  var request = event.request, path = new URL(request.url).pathname;
  if (request.method !== "GET" || !(request.mode === "navigate" || path.indexOf(FONTS) === 0)) { return; }
  event.respondWith(fetch(request).then(function (response) {
    if (response.status === 200) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.match(request, {ignoreSearch: true}).then(function (cached) { return cached || Response.error(); });
  }));
});
""".replace("__FONTS__", json.dumps(FONTS_PATH + "/"))


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


_PLAIN_STYLE = (
    f"body{{font-family:'{FONT_FAMILY}',sans-serif;margin:2rem;background:#fff;color:#111;font-size:1.6rem;"
    "overflow-wrap:anywhere}h1{font-size:2.2rem;margin:.2rem 0}small{color:#555}"
)


def _page(title: str, body: str, *, refresh: bool = True, signage: bool = False) -> str:
    meta_refresh = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if refresh else ""
    style = _STYLE if signage else _font_faces() + _PLAIN_STYLE
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"{meta_refresh}"
        f"<title>{html.escape(title)}</title><style>{style}</style></head>"
        f"<body>{body}</body></html>"
    )
