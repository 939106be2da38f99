"""The e-board page in a real headless Chromium, served by the real gateway over a socket.

An e-board is a kiosk browser that sends its device token in the ``Authorization`` header
(Playwright's ``extra_http_headers`` does what the kiosk does, on every request and reload), or one
that cannot add headers and opens its login link once (``.../board/login#token=...``) for a cookie.
Chromium is Debian's (``apt-get install chromium``; ``./run.sh test`` installs it): Playwright
cannot download its own browser here. Without it the tests skip, except under CI where they fail.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlmodel import select

import gateway.board
import storage
from gateway.app import create_app
from gateway.board import board_login_link
from gateway.server import serve_in_thread
from storage.emergency import end_emergency
from tests.gateway.conftest import World

BOARD = "bang-a1"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A landscape board and a portrait Android signage screen (a mobile browser: it honours the viewport meta).
LANDSCAPE = {"viewport": {"width": 1280, "height": 720}}
PORTRAIT_SIGNAGE = {"viewport": {"width": 540, "height": 960}, "is_mobile": True, "device_scale_factor": 2}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    """Fail under CI (the browser tests must run there), skip elsewhere with the reason shown."""
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: browser tests must not be skipped)", pytrace=False)
    pytest.skip(reason)


def chromium_executable() -> str | None:
    """Debian's chromium, or a chromium-browser, on PATH."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -c constraints.txt -e .[dev]")
    executable = chromium_executable()
    if executable is None:
        _unavailable("no chromium on PATH: apt-get install chromium (./run.sh test does it)")
    with sync_playwright() as playwright:
        # The sandbox needs user namespaces that containers and root often lack; the page is our own.
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def short_long_poll(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Boards long-poll for 2 s here: a gateway stopping at a test's end waits for requests in flight."""
    monkeypatch.setattr(gateway.board, "WAIT_SECONDS", 2)


@pytest.fixture
def open_board(browser, gateway_url: str) -> Iterator:
    """``open_board(token=..., **context_options)`` -> (response, page) of the e-board page in Chromium."""
    contexts = []

    def opener(token: str | None, device_id: str = BOARD, **options):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        context = browser.new_context(extra_http_headers=headers, **(LANDSCAPE | options))
        contexts.append(context)
        page = context.new_page()
        response = page.goto(f"{gateway_url}/v1/devices/{device_id}/board", wait_until="load")
        return response, page

    yield opener
    for context in contexts:
        context.close()


def starts_at(world: World, bulletin_id: int) -> datetime:
    with world.session() as session:
        query = select(storage.PlaylistItem.starts_at).where(
            storage.PlaylistItem.device_id == BOARD, storage.PlaylistItem.bulletin_id == bulletin_id
        )
        value = session.exec(query).one()
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def no_horizontal_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def font_px(page, selector: str) -> float:  # type: ignore[no-untyped-def]
    return float(page.eval_on_selector(selector, "e => getComputedStyle(e).fontSize").removesuffix("px"))


EMERGENCY_TITLE = "Sơ tán khẩn cấp do lũ quét"
EMERGENCY_TEXT = (
    "Người dân thôn Một di chuyển lên đồi trước 17 giờ.\n"
    "Mang theo giấy tờ tùy thân, thuốc men và nước uống.\n\n"
    "Gọi 112 hoặc trưởng thôn khi cần cứu hộ."
)
LONG_LINK = "https://dichvucong.quangtri.gov.vn/tracuu?mahoso=QT000.25.12.H55.2025120400012345"


def test_board_shows_the_current_bulletin_in_vietnamese(world, open_board, tmp_path):
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    world.publish("Lịch họp tổ dân phố", targets=["V-A"], eboard_text="Họp lúc 19h", distribute_at=tomorrow)
    world.publish(
        EMERGENCY_TITLE, targets=["V-A"], priority="emergency", eboard_text=f"{EMERGENCY_TEXT}\n\n{LONG_LINK}"
    )

    response, page = open_board(world.tokens[BOARD])

    assert response.status == 200 and response.headers["content-type"].startswith("text/html")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.title() == f"Bảng tin — {BOARD}"
    headline = page.locator("h1")
    assert headline.count() == 1 and headline.is_visible() and headline.inner_text() == EMERGENCY_TITLE
    assert page.locator("#alerts .badge").inner_text() == "KHẨN CẤP"
    seen = page.locator("body").inner_text()  # what is rendered as text, as a reader sees it
    for line in [*EMERGENCY_TEXT.split("\n"), LONG_LINK]:
        if line:
            assert line in seen
    first, second = EMERGENCY_TEXT.split("\n\n")
    assert page.locator("#alerts .text p").nth(0).inner_text() == first  # its line break is kept
    assert page.locator("#alerts .text p").nth(1).inner_text() == second
    assert "Khu vực: Thôn Một" in seen and "Hiệu lực đến " in seen
    assert "Lịch họp tổ dân phố" not in seen  # its window opens tomorrow
    assert page.locator('meta[http-equiv="refresh"]').count() == 0  # it polls; a reload would lose it offline
    assert page.reload().status == 200  # the kiosk's header goes with every reload
    # Readable on a board: no sideways scrolling, even with a long link; large type.
    assert no_horizontal_scroll(page)
    assert font_px(page, "h1") >= 32 and font_px(page, "#alerts p") >= 20

    shot = tmp_path / "board.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000


def test_board_fits_a_portrait_signage_screen(world, open_board, tmp_path):
    world.publish(
        EMERGENCY_TITLE, targets=["V-A"], priority="emergency", eboard_text=f"{EMERGENCY_TEXT}\n\n{LONG_LINK}"
    )

    _, page = open_board(world.tokens[BOARD], **PORTRAIT_SIGNAGE)

    # Without a viewport meta a mobile browser lays the page out 980 px wide and shrinks the text.
    assert page.evaluate("window.innerWidth") == PORTRAIT_SIGNAGE["viewport"]["width"]
    assert no_horizontal_scroll(page)
    assert page.locator("h1").inner_text() == EMERGENCY_TITLE
    shot = tmp_path / "portrait.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(PNG_MAGIC)


def test_board_announces_when_the_next_bulletin_shows(world, open_board):
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    later = world.publish(
        "Lịch tiêm phòng", targets=["V-A"], eboard_text="Tiêm lúc 8h", distribute_at=tomorrow
    )
    at = starts_at(world, later).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M %d/%m/%Y")

    response, page = open_board(world.tokens[BOARD])

    assert response.status == 200
    assert (
        page.locator("#items").inner_text().strip() == f"Chưa đến giờ hiển thị. Bản tin tiếp theo lúc {at}."
    )
    assert page.locator("h1, h2").count() == 0


def test_board_without_bulletins_says_so(world, open_board):
    _, page = open_board(world.tokens[BOARD])
    assert page.locator("#items").inner_text().strip() == "Hiện chưa có bản tin."
    assert page.locator("#alerts").inner_text().strip() == ""


def test_html_in_a_bulletin_is_shown_as_text(world, open_board):
    title = '<b>Họp</b> & <img src=x onerror="window.injected=1"><script>window.injected=2</script>'
    world.publish(title, targets=["V-A"], priority="emergency", eboard_text="Dòng 1 <i>nghiêng</i>")

    _, page = open_board(world.tokens[BOARD])

    assert page.locator("h1").inner_text() == title
    assert "Dòng 1 <i>nghiêng</i>" in page.locator("#alerts").inner_text()
    assert page.locator("#alerts b, #alerts i, #alerts img, #alerts script").count() == 0
    assert page.evaluate("window.injected") is None


@pytest.mark.parametrize(
    ("token", "status", "code", "message_vi"),
    [
        (None, 401, "missing_token", "bảng tin chưa đăng nhập: mở liên kết đăng nhập"),
        ("not-the-token", 403, "device_auth", "không tồn tại hoặc mã xác thực không khớp"),
    ],
    ids=["no-token", "wrong-token"],
)
def test_board_without_its_token_shows_the_error(world, open_board, token, status, code, message_vi):
    world.publish(EMERGENCY_TITLE, targets=["V-A"], priority="emergency", eboard_text=EMERGENCY_TEXT)

    response, page = open_board(token)

    assert response.status == status
    assert response.headers["content-type"].startswith("text/html")  # a page a reader can read, not JSON
    assert page.locator("html").get_attribute("lang") == "vi"
    seen = page.locator("body").inner_text()
    assert message_vi in seen and f"[{code}]" in seen and EMERGENCY_TITLE not in seen
    assert "{" not in seen and "message_vi" not in seen
    assert page.locator('meta[http-equiv="refresh"]').count() == 1  # it recovers once the token is fixed


def test_device_api_clients_still_get_json_errors(world, gateway_url):
    response = httpx.get(
        f"{gateway_url}/v1/devices/{BOARD}/board", headers={"Accept": "application/json"}, timeout=10
    )

    assert response.status_code == 401
    assert response.json()["error"] == "missing_token"


def test_another_devices_token_does_not_open_the_board(world, open_board):
    world.publish(EMERGENCY_TITLE, targets=["V-A"], priority="emergency", eboard_text=EMERGENCY_TEXT)

    response, page = open_board(world.tokens["loa-a1"])

    assert response.status == 403
    assert EMERGENCY_TITLE not in page.locator("body").inner_text()


@pytest.fixture
def kiosk(browser) -> Iterator:
    """A browser context that sends no headers of its own, like a kiosk that can only open a URL."""
    context = browser.new_context(**LANDSCAPE)
    yield context
    context.close()


def test_a_kiosk_that_cannot_send_headers_signs_in_with_its_login_link(world, gateway_url, kiosk):
    world.publish(EMERGENCY_TITLE, targets=["V-A"], priority="emergency", eboard_text=EMERGENCY_TEXT)
    page = kiosk.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(board_login_link(gateway_url, BOARD, world.tokens[BOARD]))
    page.wait_for_url(f"{gateway_url}/v1/devices/{BOARD}/board")

    assert page.locator("h1").inner_text() == EMERGENCY_TITLE
    assert all(world.tokens[BOARD] not in url for url in requests)  # the token never left in a URL
    assert world.tokens[BOARD] not in page.url
    cookie = next(c for c in kiosk.cookies() if c["name"] == "bantin_board")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["path"] == f"/v1/devices/{BOARD}/board"
    assert page.evaluate("document.cookie") == ""  # scripts on the page cannot read it

    # Its polls of the board's JSON view carry the cookie too (it is sent to every path under the board's).
    with page.expect_response(lambda r: "/board/data" in r.url) as polled:
        pass
    assert polled.value.status == 200 and page.locator("#status").inner_text() == ""
    # A reload stays signed in.
    response = page.reload()
    assert response.status == 200 and page.locator("h1").inner_text() == EMERGENCY_TITLE


def test_a_login_link_with_a_wrong_token_says_why_and_signs_nothing_in(world, gateway_url, kiosk):
    page = kiosk.new_page()

    page.goto(board_login_link(gateway_url, BOARD, "not-the-token"))
    page.wait_for_function("document.getElementById('msg').innerText.indexOf('403') >= 0")

    assert "Không đăng nhập được" in page.locator("#msg").inner_text()
    assert kiosk.cookies() == []
    response = page.goto(f"{gateway_url}/v1/devices/{BOARD}/board")
    assert response.status == 401 and "bảng tin chưa đăng nhập" in page.locator("body").inner_text()


def test_a_login_link_without_its_token_says_what_is_missing(world, gateway_url, kiosk):
    page = kiosk.new_page()

    page.goto(f"{gateway_url}/v1/devices/{BOARD}/board/login")

    assert "thiếu mã thiết bị" in page.locator("#msg").inner_text()
    assert kiosk.cookies() == []


def test_a_new_token_signs_the_old_cookie_out(world, gateway_url, kiosk):
    world.publish(EMERGENCY_TITLE, targets=["V-A"], priority="emergency", eboard_text=EMERGENCY_TEXT)
    page = kiosk.new_page()
    page.goto(board_login_link(gateway_url, BOARD, world.tokens[BOARD]))
    page.wait_for_url(f"{gateway_url}/v1/devices/{BOARD}/board")
    with world.session() as session:
        storage.issue_token(session=session, device_id=BOARD)

    with contextlib.suppress(PlaywrightError):  # the board's own poll may be reloading it on its 403 already
        page.reload()

    page.wait_for_selector("section.error")
    assert "lỗi 403" in page.locator("h1").inner_text()
    assert EMERGENCY_TITLE not in page.locator("body").inner_text()


# --- The signage layout: full-screen portrait and landscape screens, the packaged font, offline -----------------

SIGNAGE_SIZES = {
    "portrait": {"viewport": {"width": 1080, "height": 1920}},
    "landscape": {"viewport": {"width": 1920, "height": 1080}},
}
REPO = Path(__file__).resolve().parents[2]
NOTICE_TITLE = "Lịch tiêm chủng mở rộng tháng 12"
NOTICE_TEXT = (
    "Trạm y tế xã tiêm vắc-xin sởi – rubella cho trẻ từ 1 đến 5 tuổi vào sáng thứ Bảy, từ 7 giờ 30.\n"
    "Phụ huynh mang theo sổ tiêm chủng và thẻ bảo hiểm y tế của trẻ.\n\n"
    "Mọi thắc mắc xin liên hệ cán bộ y tế thôn hoặc gọi 0233 3852 115."
)
MEETING_TITLE = "Họp dân bàn kế hoạch trồng rừng năm 2027"
MEETING_TEXT = "Nhà văn hoá thôn, 19 giờ tối thứ Năm. Đề nghị mỗi hộ cử một người đến dự. " * 6


def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: $BANTIN_SCREENSHOT_DIR, else test-artifacts/screenshots (kept by CI)."""
    chosen = Path(os.environ.get("BANTIN_SCREENSHOT_DIR") or REPO / "test-artifacts" / "screenshots")
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


def platform_fonts(page, selector: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """The fonts Chromium actually drew ``selector``'s text with (DevTools: CSS.getPlatformFontsForNode)."""
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    cdp.send("CSS.enable")
    fonts = []
    for node_id in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]:
        fonts += cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node_id})["fonts"]
    cdp.detach()
    return fonts


def overflowing(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Text cut off or outside the screen: boxes that hide part of their text, elements past the viewport."""
    return page.evaluate(
        """() => {
        const bad = [], w = innerWidth, h = innerHeight, root = document.documentElement;
        if (root.scrollWidth > w || root.scrollHeight > h) bad.push(`page ${root.scrollWidth}x${root.scrollHeight}`);
        for (const box of document.querySelectorAll('#alerts, #items')) {
            if (box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1)
                bad.push(`#${box.id} holds ${box.scrollHeight}px of text in ${box.clientHeight}px`);
        }
        for (const e of document.body.querySelectorAll('*')) {
            const r = e.getBoundingClientRect();
            if (!r.width || !r.height || getComputedStyle(e).display === 'none') continue;
            if (r.left < -1 || r.top < -1 || r.right > w + 1 || r.bottom > h + 1)
                bad.push(`${e.tagName}.${e.className} at ${r.left},${r.top},${r.right},${r.bottom}`);
        }
        return bad;
    }"""
    )


def open_now(world: World, *bulletin_ids: int, starts_in: timedelta = timedelta(hours=-1)) -> None:
    """Move the board's items of these bulletins into a window open now, or opening in ``starts_in``.

    Broadcast windows are short: the one a bulletin gets is rarely open while a test runs.
    """
    now = datetime.now(UTC)
    with world.session() as session:
        query = select(storage.PlaylistItem).where(
            storage.PlaylistItem.device_id == BOARD, storage.PlaylistItem.bulletin_id.in_(bulletin_ids)
        )
        for item in session.exec(query).all():
            item.starts_at, item.ends_at = now + starts_in, now + timedelta(hours=3)
            session.add(item)


def wait_for_fonts(page) -> None:  # type: ignore[no-untyped-def]
    # Functions, not expression strings: the page's Content-Security-Policy forbids eval.
    page.wait_for_function(
        "() => document.fonts.status === 'loaded' && document.documentElement.className === 'js'"
    )


@pytest.mark.parametrize("size", SIGNAGE_SIZES, ids=list(SIGNAGE_SIZES))
def test_signage_fills_the_screen_in_the_packaged_font_with_the_emergency_on_top(
    world, open_board, tmp_path, monkeypatch, size
):
    monkeypatch.setattr(gateway.board, "ROTATE_SECONDS", 2)
    notice = world.publish(NOTICE_TITLE, targets=["V-A"], eboard_text=NOTICE_TEXT)
    meeting = world.publish(MEETING_TITLE, targets=["V-A"], priority="priority", eboard_text=MEETING_TEXT)
    open_now(world, notice, meeting)
    world.publish(
        EMERGENCY_TITLE, targets=["V-A"], priority="emergency", eboard_text=f"{EMERGENCY_TEXT}\n\n{LONG_LINK}"
    )

    _, page = open_board(world.tokens[BOARD], **SIGNAGE_SIZES[size])
    wait_for_fonts(page)
    shot = screenshot_dir(tmp_path) / f"eboard-{size}.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(PNG_MAGIC)

    # The emergency: a banner across the top, what to do, where, until when.
    banner = page.locator("#alerts section.emergency")
    box = banner.bounding_box()
    viewport = SIGNAGE_SIZES[size]["viewport"]
    assert (
        banner.is_visible()
        and box["y"] < viewport["height"] * 0.15
        and box["width"] > viewport["width"] * 0.95
    )
    assert page.locator("#alerts h1").inner_text() == EMERGENCY_TITLE
    assert "Gọi 112 hoặc trưởng thôn khi cần cứu hộ." in banner.inner_text()
    assert page.locator("#alerts .where").inner_text() == "Khu vực: Thôn Một"
    assert page.locator("#alerts .until").inner_text().startswith("Hiệu lực đến ")
    colours = banner.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]")
    assert colours == ["rgb(176, 0, 32)", "rgb(255, 255, 255)"]  # white on dark red: contrast 6.9:1
    # The unit, today's date and the board's local time.
    assert page.locator("#unit").inner_text() == "Thôn Một"
    # (the page ticks each second: the minute either side of now, in case one turned while reading)
    local = [datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(seconds=s) for s in (-60, 0, 60)]
    assert page.locator("#clock").inner_text() in {t.strftime("%H:%M") for t in local}
    shown_date = page.locator("#date").inner_text()
    assert any(t.strftime("%d/%m/%Y") in shown_date for t in local)
    # The other items take turns below it, in large type.
    titles = {page.locator("#items article:visible h2").inner_text()}
    assert page.locator("#pager").inner_text() in {"1 / 2", "2 / 2"}
    page.wait_for_function(
        "first => document.querySelector('#items article:not([style*=none]) h2').innerText !== first",
        arg=next(iter(titles)),
    )
    titles.add(page.locator("#items article:visible h2").inner_text())
    assert titles == {NOTICE_TITLE, MEETING_TITLE}
    assert font_px(page, "#alerts h1") >= 48 and font_px(page, "#items article:visible h2") >= 40
    # Every glyph, Vietnamese ones included, drawn with the packaged Be Vietnam Pro: no system fallback.
    assert page.evaluate("document.fonts.check('700 40px \"Be Vietnam Pro\"', 'Sơ tán khẩn cấp Ượ ỹ đ')")
    for selector in (
        "#alerts h1",
        "#alerts .text p",
        "#items article:not([style*=none]) .text p",
        "#unit",
        "#clock",
    ):
        used = platform_fonts(page, selector)
        assert used and {f["familyName"] for f in used} == {"Be Vietnam Pro"}, (selector, used)
        assert all(f["isCustomFont"] for f in used)
    # All of it fits the screen: nothing cut off, nothing to scroll.
    assert overflowing(page) == []


def test_an_emergency_approved_while_the_board_is_open_shows_at_once(
    world, open_board, tmp_path, monkeypatch
):
    # Only the long-poll can bring it here: a plain poll would come after ten minutes.
    monkeypatch.setattr(gateway.board, "WAIT_SECONDS", 30)
    monkeypatch.setattr(gateway.board, "POLL_SECONDS", 600)
    notice = world.publish(NOTICE_TITLE, targets=["V-A"], eboard_text=NOTICE_TEXT)
    open_now(world, notice)
    _, page = open_board(world.tokens[BOARD], **SIGNAGE_SIZES["landscape"])
    wait_for_fonts(page)
    assert page.locator("#alerts section").count() == 0
    assert overflowing(page) == [] and font_px(page, "#items h2") >= 60  # alone, an item takes the screen
    page.screenshot(path=str(screenshot_dir(tmp_path) / "eboard-landscape-items.png"))

    world.publish(EMERGENCY_TITLE, targets=["V-A"], priority="emergency", eboard_text=EMERGENCY_TEXT)

    # No reload: the page's waiting long-poll is answered with the banner.
    page.wait_for_selector("#alerts section.emergency h1", timeout=15_000)
    assert page.locator("#alerts h1").inner_text() == EMERGENCY_TITLE
    assert page.locator("#items article h2").inner_text() == NOTICE_TITLE  # still there, below it
    assert overflowing(page) == []


BOARD_DATA = re.compile(r"/board/data(\?|$)")  # the board's JSON view, long-polled with ?wait=&since=


def cut_off(route) -> None:  # type: ignore[no-untyped-def]
    """The network is down under the page: its request fails as it would without a connection."""
    route.abort("internetdisconnected")


def offline_notice(since: datetime) -> str:
    """What an offline board says, for a last contact at ``since``."""
    at = since.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M")
    return f"Mất kết nối từ {at} · Offline since {at}"


def test_the_board_keeps_its_items_and_says_since_when_it_is_offline(
    world, open_board, tmp_path, monkeypatch
):
    monkeypatch.setattr(gateway.board, "POLL_SECONDS", 1)
    notice = world.publish(NOTICE_TITLE, targets=["V-A"], eboard_text=NOTICE_TEXT)
    open_now(world, notice)
    world.publish(EMERGENCY_TITLE, targets=["V-A"], priority="emergency", eboard_text=EMERGENCY_TEXT)
    # Service workers off: here the network is cut under the page (page.route), which they would bypass.
    _, page = open_board(world.tokens[BOARD], service_workers="block", **SIGNAGE_SIZES["portrait"])
    wait_for_fonts(page)
    assert page.locator("#status").inner_text() == ""
    with page.expect_response(lambda r: "/board/data" in r.url and r.status == 200):
        pass  # the page has polled the gateway once more
    answered = datetime.now(UTC)

    page.route(BOARD_DATA, cut_off)
    page.wait_for_selector("#status:not(:empty)", timeout=10_000)

    # Since its last answer: the minute of a time between that poll and now.
    moments = (
        answered + timedelta(seconds=s)
        for s in range(-2, int((datetime.now(UTC) - answered).total_seconds()) + 2)
    )
    assert page.locator("#status").inner_text() in {offline_notice(t) for t in moments}
    assert page.locator("#status").is_visible()
    assert page.locator("#alerts h1").inner_text() == EMERGENCY_TITLE
    assert page.locator("#items article h2").inner_text() == NOTICE_TITLE
    assert overflowing(page) == []
    page.screenshot(path=str(screenshot_dir(tmp_path) / "eboard-offline.png"))

    page.unroute(BOARD_DATA, cut_off)
    page.wait_for_selector("#status:empty", state="attached", timeout=10_000)  # back online: notice gone


def test_a_board_reloaded_while_the_gateway_is_down_shows_what_it_last_loaded(world, browser, monkeypatch):
    """The service worker kept the page and fonts, localStorage the last JSON view."""
    monkeypatch.setattr(gateway.board, "POLL_SECONDS", 1)
    notice = world.publish(NOTICE_TITLE, targets=["V-A"], eboard_text=NOTICE_TEXT)
    open_now(world, notice)
    headers = {"Authorization": f"Bearer {world.tokens[BOARD]}"}
    context = browser.new_context(extra_http_headers=headers, **SIGNAGE_SIZES["landscape"])
    try:
        page = context.new_page()
        with serve_in_thread(create_app(world.settings)) as url:
            page.goto(f"{url}/v1/devices/{BOARD}/board")
            page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=15_000)
            wait_for_fonts(page)
            # An emergency arrives before the gateway goes down: the board got it by polling, not by a page load.
            world.publish(EMERGENCY_TITLE, targets=["V-A"], priority="emergency", eboard_text=EMERGENCY_TEXT)
            page.wait_for_selector("#alerts section.emergency", timeout=15_000)
        # The gateway has stopped: nothing listens on its port any more.
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{url}/healthz", timeout=2)

        page.reload()

        wait_for_fonts(page)
        page.wait_for_selector("#status:not(:empty)", timeout=10_000)
        assert page.locator("#status").inner_text().startswith("Mất kết nối từ ")
        assert page.locator("#items article h2").inner_text() == NOTICE_TITLE
        assert page.locator("#alerts h1").inner_text() == EMERGENCY_TITLE  # from localStorage
        used = platform_fonts(page, "#alerts h1")
        assert {f["familyName"] for f in used} == {"Be Vietnam Pro"}  # the font came from the cache too
    finally:
        context.close()


def test_an_item_whose_window_opens_while_the_board_is_offline_shows_on_time(world, open_board, monkeypatch):
    monkeypatch.setattr(gateway.board, "POLL_SECONDS", 1)
    notice = world.publish(NOTICE_TITLE, targets=["V-A"], eboard_text=NOTICE_TEXT)
    open_now(world, notice, starts_in=timedelta(seconds=5))
    _, page = open_board(world.tokens[BOARD], service_workers="block", **SIGNAGE_SIZES["portrait"])
    assert page.locator("#items").inner_text().startswith("Chưa đến giờ hiển thị.")

    page.route(BOARD_DATA, cut_off)
    page.wait_for_selector("#status:not(:empty)", timeout=10_000)

    # The page knows each item's window: it opens it by the clock, without the gateway.
    page.wait_for_selector("#items article h2", timeout=15_000)
    assert page.locator("#items article h2").inner_text() == NOTICE_TITLE
    assert page.locator("#status").inner_text().startswith("Mất kết nối từ ")


def test_a_board_whose_token_is_replaced_stops_showing_bulletins_without_a_reload(
    world, open_board, monkeypatch
):
    monkeypatch.setattr(gateway.board, "POLL_SECONDS", 1)
    world.publish(EMERGENCY_TITLE, targets=["V-A"], priority="emergency", eboard_text=EMERGENCY_TEXT)
    _, page = open_board(world.tokens[BOARD])
    assert page.locator("#alerts h1").inner_text() == EMERGENCY_TITLE
    page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=15_000)  # page kept

    with world.session() as session:
        storage.issue_token(session=session, device_id=BOARD)

    # Refused (403), the page reloads itself and shows the gateway's reason instead of the old bulletins.
    page.wait_for_selector("section.error", timeout=15_000)
    assert "lỗi 403" in page.locator("h1").inner_text()
    assert EMERGENCY_TITLE not in page.locator("body").inner_text()
    # Nor is anything kept that an offline reload could show again.
    assert page.evaluate(f"() => localStorage.getItem('bantin-board:{BOARD}')") is None
    assert page.evaluate("() => caches.match(location.href).then(page => page === undefined)") is True


def vietnamese_letters() -> str:
    """Every letter of Vietnamese: 12 vowels with each of the 6 tones, d and đ, both cases (134 + 134)."""
    vowels, tones = "aăâeêioôơuưy", ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    lower = [unicodedata.normalize("NFC", v + t) for v in vowels for t in tones] + list("bcdđghklmnpqrstvx")
    return "".join(lower) + "".join(c.upper() for c in lower) + "₫"


def test_every_vietnamese_letter_is_drawn_with_the_packaged_font(world, open_board):
    _, page = open_board(world.tokens[BOARD])
    letters = vietnamese_letters()
    assert len(set(letters)) == 2 * (72 + 17) + 1
    page.evaluate(
        """letters => { for (const weight of [400, 700]) {
            const p = document.createElement('p');
            p.className = 'glyphs'; p.style.fontWeight = weight; p.textContent = letters;
            document.getElementById('items').appendChild(p);
        } }""",
        letters,
    )
    page.wait_for_function("() => document.fonts.status === 'loaded'")

    used = platform_fonts(page, "p.glyphs")
    assert {f["familyName"] for f in used} == {"Be Vietnam Pro"} and all(f["isCustomFont"] for f in used)
    # Each weight's glyphs all come from the packaged faces: no character fell back to a system font.
    assert sum(f["glyphCount"] for f in used) == 2 * len(letters)


def test_an_ended_emergency_leaves_the_open_board_at_once(world, open_board, monkeypatch):
    monkeypatch.setattr(gateway.board, "WAIT_SECONDS", 30)
    monkeypatch.setattr(gateway.board, "POLL_SECONDS", 600)  # only the long-poll can tell it here
    notice = world.publish(NOTICE_TITLE, targets=["V-A"], eboard_text=NOTICE_TEXT)
    open_now(world, notice)
    urgent = world.publish(EMERGENCY_TITLE, targets=["V-A"], priority="emergency", eboard_text=EMERGENCY_TEXT)
    _, page = open_board(world.tokens[BOARD], **SIGNAGE_SIZES["portrait"])
    assert page.locator("#alerts h1").inner_text() == EMERGENCY_TITLE

    with world.session() as session:
        end_emergency(session, urgent, actor="tester")

    page.wait_for_selector("#alerts section", state="detached", timeout=15_000)
    assert page.locator("#items article h2").inner_text() == NOTICE_TITLE
    assert EMERGENCY_TITLE not in page.locator("body").inner_text()
