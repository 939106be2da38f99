"""The e-board page in a real headless Chromium, served by the real gateway over a socket.

An e-board is a kiosk browser that sends its device token in the ``Authorization`` header
(Playwright's ``extra_http_headers`` does what the kiosk does, on every request and reload), or one
that cannot add headers and opens its login link once (``.../board/login#token=...``) for a cookie.
Chromium is Debian's (``apt-get install chromium``; ``./run.sh test`` installs it): Playwright
cannot download its own browser here. Without it the tests skip, except under CI where they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import select

import storage
from gateway.board import board_login_link
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
    assert page.locator(".badge").inner_text() == "KHẨN CẤP"
    seen = page.locator("body").inner_text()  # what is rendered as text, as a reader sees it
    for line in [*EMERGENCY_TEXT.split("\n"), LONG_LINK]:
        if line:
            assert line in seen
    first, second = EMERGENCY_TEXT.split("\n\n")
    assert page.locator("article p").nth(0).inner_text() == first  # its line break is kept
    assert page.locator("article p").nth(1).inner_text() == second
    assert "Hiển thị đến " in seen
    assert "Lịch họp tổ dân phố" not in seen  # its window opens tomorrow
    assert page.locator('meta[http-equiv="refresh"]').get_attribute("content") == "60"
    assert page.reload().status == 200  # the kiosk's header goes with every reload
    # Readable on a board: no sideways scrolling, even with a long link; large type.
    assert no_horizontal_scroll(page)
    assert font_px(page, "h1") >= 32 and font_px(page, "p") >= 24

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
    assert page.locator("body").inner_text().strip() == f"Chưa đến giờ hiển thị. Bản tin tiếp theo lúc {at}."
    assert page.locator("h1").count() == 0


def test_board_without_bulletins_says_so(world, open_board):
    _, page = open_board(world.tokens[BOARD])
    assert page.locator("body").inner_text().strip() == "Hiện chưa có bản tin."


def test_html_in_a_bulletin_is_shown_as_text(world, open_board):
    title = '<b>Họp</b> & <img src=x onerror="window.injected=1"><script>window.injected=2</script>'
    world.publish(title, targets=["V-A"], priority="emergency", eboard_text="Dòng 1 <i>nghiêng</i>")

    _, page = open_board(world.tokens[BOARD])

    assert page.locator("h1").inner_text() == title
    assert "Dòng 1 <i>nghiêng</i>" in page.locator("article").inner_text()
    assert page.locator("article b, article i, article img, article script").count() == 0
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

    # The board's own refresh (a reload) stays signed in.
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

    response = page.reload()

    assert response.status == 403 and EMERGENCY_TITLE not in page.locator("body").inner_text()
