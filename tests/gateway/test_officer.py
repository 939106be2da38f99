"""Officers' status pages: one-time-code sign-in, an HttpOnly session, their own subtree only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import storage
from tests.gateway.conftest import BOTH_DATABASES, World

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def officer(world: World) -> dict:
    """An officer of the first commune with a fresh sign-in secret."""
    with world.session() as session:
        person, _ = storage.add_person(
            session,
            name="Nguyễn Thị Cán Bộ",
            unit_code=world.communes[0],
            role="officer",
            secret_key=world.settings.secret_key_bytes(),
        )
        person, secret = storage.issue_officer_secret(
            session, person.id, secret_key=world.settings.secret_key_bytes()
        )
    return {"id": person.id, "secret": secret, "unit": world.communes[0]}


def sign_in(client: TestClient, officer: dict, code: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/officer/login",
        content=f"person={officer['id']}&code={code or storage.totp_code(officer['secret'])}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


@BOTH_DATABASES
def test_an_officer_signs_in_and_sees_devices_under_their_commune(
    world: World, client: TestClient, officer: dict
) -> None:
    world.publish("Lịch tiêm phòng dại", targets=[officer["unit"]])
    response = sign_in(client, officer)
    assert response.status_code == 303 and response.headers["location"] == f"/officer/units/{officer['unit']}"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/officer" in cookie
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert "loa-a1" in page.text and "bang-a1" in page.text and "loa-b1" not in page.text
    assert "Lịch tiêm phòng dại" in page.text and "Lịch phát hôm nay" in page.text
    assert client.get("/officer/units/V-A").status_code == 200  # a village below the commune


def test_an_officer_gets_403_outside_their_subtree(world: World, client: TestClient, officer: dict) -> None:
    assert sign_in(client, officer).status_code == 303
    for elsewhere in (world.communes[1], "V-B", "44"):  # another commune, its village, the province above
        response = client.get(f"/officer/units/{elsewhere}")
        assert response.status_code == 403, elsewhere
        assert "không phải" in response.text
    assert client.get("/officer/units/NOPE").status_code == 404


def test_without_a_valid_session_nothing_is_shown(world: World, client: TestClient, officer: dict) -> None:
    assert client.get(f"/officer/units/{officer['unit']}").status_code == 401
    client.cookies.set("bantin_officer", f"{officer['id']}.9999999999.forged", path="/officer")
    assert client.get(f"/officer/units/{officer['unit']}").status_code == 401
    client.cookies.clear()
    wrong = "000000" if storage.totp_code(officer["secret"]) != "000000" else "111111"
    assert sign_in(client, officer, wrong).status_code == 401
    assert sign_in(client, officer).status_code == 303
    assert sign_in(TestClient(client.app), officer).status_code == 401  # the same code cannot be used twice


def test_a_reviewer_cannot_use_the_officer_pages(world: World, client: TestClient) -> None:
    with world.session() as session:
        reviewer, secret = storage.add_person(
            session,
            name="Người Duyệt",
            unit_code=world.communes[0],
            role="reviewer",
            secret_key=world.settings.secret_key_bytes(),
        )
    response = sign_in(client, {"id": reviewer.id, "secret": secret})
    assert response.status_code == 401 and "bantin_officer" not in response.headers.get("set-cookie", "")


def test_a_revoked_officer_loses_access_at_once(world: World, client: TestClient, officer: dict) -> None:
    assert sign_in(client, officer).status_code == 303
    with world.session() as session:
        storage.revoke_person(session, officer["id"], actor="test")
    assert client.get(f"/officer/units/{officer['unit']}").status_code == 401


def test_citizen_comments_are_escaped_on_the_officer_page(
    world: World, client: TestClient, officer: dict
) -> None:
    hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    created = client.post("/public/feedback", json={"unit": "V-A", "rating": 2, "comment": hostile})
    assert created.status_code == 201
    assert sign_in(client, officer).status_code == 303
    page = client.get(f"/officer/units/{officer['unit']}").text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<script>" not in page and "<img src=x" not in page


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def test_officer_page_in_chromium(world: World, gateway_url: str, officer: dict, chromium) -> None:  # type: ignore[no-untyped-def]
    world.publish("Phòng chống sốt xuất huyết", targets=[officer["unit"]])
    with world.session() as session:
        storage.record_heartbeat(
            session=session,
            device=storage.get_device(session, "loa-a1"),
            fm_fallback=True,
            free_storage_bytes=12_400_000_000,
        )
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(f"{gateway_url}/officer/login")
    page.fill("input[name=person]", str(officer["id"]))
    page.fill("input[name=code]", storage.totp_code(officer["secret"]))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/officer/units/"))
    assert "Phòng chống sốt xuất huyết" in page.content()
    assert page.evaluate("document.cookie") == ""  # the session cookie is HttpOnly
    assert page.locator("text=trực tuyến / online").count() >= 1
    assert page.locator("td", has_text="12,4 GB").count() == 1  # loa-a1's free storage
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "officer-status.png"), full_page=True)
    context.close()
