"""Citizens' side: feedback (rate-limited, escaped), the listen-again page, the podcast feed, public audio."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

import storage
from tests.gateway.conftest import BOTH_DATABASES, World, mp3_tone
from tests.gateway.test_officer import CHROMIUM_ARGS, SCREENSHOTS

AIRED = storage.utcnow() - timedelta(days=3)


def _published(world: World) -> tuple[int, bytes]:
    audio = mp3_tone(440, 2.0)
    bulletin = world.publish(
        "Thu gom rác thải nhựa", targets=[world.communes[0]], audio=audio, duration_s=2.0, distribute_at=AIRED
    )
    return bulletin, audio


def test_feedback_is_stored_as_plain_text(world: World, client: TestClient) -> None:
    bulletin, _ = _published(world)
    comment = "Loa nghe rõ <b>lắm</b> & đúng giờ"
    response = client.post(
        "/public/feedback", json={"unit": "V-A", "rating": 5, "comment": comment, "bulletin_id": bulletin}
    )
    assert response.status_code == 201 and response.json()["message_vi"].startswith("Cảm ơn")
    with world.session() as session:
        row = session.exec(select(storage.CitizenFeedback)).one()
    assert (row.unit_code, row.rating, row.message, row.bulletin_id) == ("V-A", 5, comment, bulletin)


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"unit": "V-A", "rating": 0}, 400, "từ 1 đến 5"),
        ({"unit": "V-A", "rating": 6}, 400, "từ 1 đến 5"),
        ({"unit": "NOPE", "rating": 4}, 404, "không có đơn vị"),
        ({"unit": "V-A", "rating": 4, "bulletin_id": 99999}, 404, "không có bản tin"),
        ({"unit": "V-A"}, 400, "chấm điểm"),
        ({"unit": "V-A", "rating": "năm"}, 422, "không hợp lệ"),
        ({"unit": "V-A", "rating": 3, "comment": "x" * 100_000}, 400, "tối đa 2,000"),
    ],
)
def test_bad_feedback_gets_a_clear_answer(
    world: World, client: TestClient, body: dict, status: int, words: str
) -> None:
    response = client.post("/public/feedback", json=body)
    assert response.status_code == status and words in response.json()["message_vi"]
    assert world.count(storage.CitizenFeedback) == 0


def test_feedback_is_rate_limited_per_client(world: World, client: TestClient) -> None:
    answers = [
        client.post("/public/feedback", json={"unit": "V-A", "rating": 4}).status_code for _ in range(7)
    ]
    assert answers == [201] * 5 + [429, 429]
    assert (
        "10 phút" in client.post("/public/feedback", json={"unit": "V-A", "rating": 4}).json()["message_vi"]
    )
    assert world.count(storage.CitizenFeedback) == 5


@BOTH_DATABASES
def test_listen_again_lists_approved_programs_playable(world: World, client: TestClient) -> None:
    _, audio = _published(world)
    world.publish("Tiêm chủng mở rộng", targets=[world.communes[0]], distribute_at=AIRED + timedelta(days=1))
    # Distributed for tomorrow (not at "now", which may fall inside a window and air it at once): not yet aired.
    world.publish(
        "Chưa lên sóng", targets=[world.communes[0]], distribute_at=storage.utcnow() + timedelta(days=1)
    )
    page = client.get("/public/units/V-A/listen")
    assert page.status_code == 200 and page.text.index("Tiêm chủng mở rộng") < page.text.index("Thu gom rác")
    sha = hashlib.sha256(audio).hexdigest()
    assert f"/public/audio/{sha}.mp3" in page.text and "Chưa lên sóng" not in page.text
    played = client.get(f"/public/audio/{sha}.mp3")
    assert (
        played.status_code == 200
        and played.content == audio
        and played.headers["content-type"] == "audio/mpeg"
    )
    assert client.get("/public/audio/" + "0" * 64 + ".mp3").status_code == 404
    assert client.get("/public/units/V-B/listen").text.count("<audio") == 0  # not broadcast there


@BOTH_DATABASES
def test_podcast_feed_parses_with_enclosures_lengths_and_durations(world: World, client: TestClient) -> None:
    import feedparser

    _, audio = _published(world)
    response = client.get("/public/units/V-A/podcast.xml")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/rss+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo and feed.version == "rss20"
    assert feed.feed.title.startswith("Bản tin") and feed.feed.language == "vi"
    (entry,) = feed.entries
    assert entry.title == "Thu gom rác thải nhựa" and entry.itunes_duration == "00:00:02"
    (enclosure,) = entry.enclosures
    assert enclosure.type == "audio/mpeg" and int(enclosure.length) == len(audio)
    assert client.get(enclosure.href.replace("http://testserver", "")).content == audio


def test_a_feed_for_a_unit_without_programs_is_valid_and_empty(world: World, client: TestClient) -> None:
    import feedparser

    feed = feedparser.parse(client.get("/public/units/V-B/podcast.xml").content)
    assert not feed.bozo and feed.version == "rss20" and feed.entries == []
    page = client.get("/public/units/V-B/listen")
    assert page.status_code == 200 and "Chưa có chương trình" in page.text


def test_unknown_units_are_404_on_pages_and_feeds(client: TestClient) -> None:
    page = client.get("/public/units/NOPE/listen")
    assert page.status_code == 404 and "không có đơn vị hành chính" in page.text
    assert client.get("/public/units/NOPE/podcast.xml").status_code == 404


def test_public_endpoints_are_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/public/feedback" in paths and "/public/units/{unit_code}/podcast.xml" in paths
    assert not any(p.startswith("/officer") for p in paths)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def test_listen_again_page_plays_and_takes_a_rating_in_chromium(
    world: World, gateway_url: str, chromium
) -> None:  # type: ignore[no-untyped-def]
    _published(world)
    context = chromium.new_context(viewport={"width": 420, "height": 800}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{gateway_url}/public/units/V-A/listen")
    duration = page.evaluate(
        """() => new Promise((ok, bad) => { const a = document.querySelector('audio');
            a.preload = 'auto'; a.onloadedmetadata = () => ok(a.duration); a.onerror = () => bad('error'); a.load(); })"""
    )
    assert 1.5 < duration < 2.5  # the browser decoded the real MP3
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "listen-again.png"), full_page=True)
    page.select_option("select[name=rating]", "4")
    page.fill("textarea[name=comment]", "<i>Rất hữu ích</i>")
    page.click("button[type=submit]")
    assert "Cảm ơn" in page.content()
    context.close()
    with world.session() as session:
        row = session.exec(select(storage.CitizenFeedback)).one()
    assert (row.rating, row.message, row.channel) == (4, "<i>Rất hữu ích</i>", "web")
