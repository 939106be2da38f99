"""Review audio links: a reviewer's browser plays a version's audio through a signed, expiring link.

Plain HTTP through the app, then Debian's headless Chromium (Playwright) loading an ``<audio>``
element from the real gateway on a socket.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

import storage
from tests.gateway.conftest import World, mp3_tone
from tests.gateway.test_audio_scope import BACKENDS, approve

HOUR = timedelta(hours=1)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def produced(world: World, title: str, audio: dict[str, bytes], *, review: bool = True) -> int:
    """A bulletin version with one audio rendition per language, its review requested; returns its id."""
    with world.session() as session:
        draft = storage.BulletinDraft(
            title=title,
            body=f"{title}. Nội dung chờ duyệt.",
            source_unit=world.communes[0],
            target_units=["V-A"],
        )
        _, version, _ = storage.save_draft(session=session, draft=draft)
        for language, data in audio.items():
            storage.save_rendition(
                session=session,
                version_id=version.id,
                language=language,
                kind=storage.RenditionKind.audio,
                audio_key=storage.put_content(world.store, data),
                duration_s=1.0,
                details={"sha256": sha(data)},
            )
        if review:
            storage.claim_review(session, version_id=version.id, flow_run_id="test-review")
        return version.id


def link(world: World, version_id: int, digest: str, *, expires_in: timedelta = HOUR, base: str = "") -> str:
    return storage.review_audio_link(
        base,
        version_id=version_id,
        sha256=digest,
        secret_key=world.settings.secret_key_bytes(),
        expires_at=datetime.now(UTC) + expires_in,
    )


def assert_refused(response, status: int, code: str, words_vi: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code
    assert words_vi in body["message_vi"] and body["message_en"] != body["message_vi"]


VIE = mp3_tone(440.0, 2.0)
KHM = mp3_tone(330.0, 1.5)


@BACKENDS
def test_link_plays_inline_with_ranges_and_no_device_token(world, client):
    version_id = produced(world, "Lịch tiêm phòng", {"vie": VIE, "khm": KHM})

    for data in (VIE, KHM):
        url = link(world, version_id, sha(data))
        assert url.startswith(f"/v1/review/audio/{version_id}/{sha(data)}.mp3?exp=")
        whole = client.get(url)
        assert whole.status_code == 200
        assert whole.headers["content-type"] == "audio/mpeg"
        assert whole.headers["content-length"] == str(len(data))
        assert whole.headers["content-disposition"].startswith("inline")
        assert whole.headers["accept-ranges"] == "bytes"
        assert whole.content == data
        part = client.get(url, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
        assert part.content == data[100:200]


def test_link_still_plays_after_the_decision(world, client):
    version_id = produced(world, "Họp thôn", {"vie": VIE})
    approve(world, version_id)
    with world.session() as session:
        assert storage.get_review_request(session, version_id).status == storage.ReviewRequestStatus.decided
    assert client.get(link(world, version_id, sha(VIE))).content == VIE


def test_expired_link_is_refused(world, client):
    version_id = produced(world, "Lịch tiêm phòng", {"vie": VIE})
    response = client.get(link(world, version_id, sha(VIE), expires_in=-timedelta(seconds=1)))
    assert_refused(response, 403, "link_rejected", "hết hạn")


def test_tampered_link_is_refused(world, client):
    version_id = produced(world, "Lịch tiêm phòng", {"vie": VIE})
    url = link(world, version_id, sha(VIE))
    path, query = url.split("?")
    params = {k: v[0] for k, v in parse_qs(query).items()}

    later = f"{path}?exp={int(params['exp']) + 86_400}&sig={params['sig']}"
    assert_refused(client.get(later), 403, "link_rejected", "không hợp lệ")
    flipped = params["sig"][:-1] + ("0" if params["sig"][-1] != "0" else "1")
    assert_refused(
        client.get(f"{path}?exp={params['exp']}&sig={flipped}"), 403, "link_rejected", "không hợp lệ"
    )
    assert_refused(client.get(path), 403, "link_rejected", "không đầy đủ")
    for exp in ("soon", "²", "-1", "1" * 13):
        assert_refused(
            client.get(f"{path}?exp={exp}&sig={params['sig']}"), 403, "link_rejected", "không đầy đủ"
        )
    for sig in ("zz", "é" * 64, params["sig"][:40]):
        assert_refused(
            client.get(f"{path}?exp={params['exp']}&sig={sig}"), 403, "link_rejected", "không đầy đủ"
        )


def test_link_signed_with_another_key_is_refused(world, client):
    version_id = produced(world, "Lịch tiêm phòng", {"vie": VIE})
    forged = storage.review_audio_link(
        "",
        version_id=version_id,
        sha256=sha(VIE),
        secret_key=b"someone-elses-key",
        expires_at=datetime.now(UTC) + HOUR,
    )
    assert_refused(client.get(forged), 403, "link_rejected", "sai chữ ký")


def test_link_of_one_version_opens_no_other(world, client):
    first = produced(world, "Bản tin một", {"vie": VIE})
    second = produced(world, "Bản tin hai", {"vie": KHM})
    url = link(world, first, sha(VIE))

    moved = url.replace(f"/audio/{first}/", f"/audio/{second}/")
    assert_refused(client.get(moved), 403, "link_rejected", "không hợp lệ")
    swapped = url.replace(sha(VIE), sha(KHM))
    assert_refused(client.get(swapped), 403, "link_rejected", "không hợp lệ")
    # Correctly signed, but that audio belongs to the other version.
    assert_refused(client.get(link(world, first, sha(KHM))), 404, "unknown_review_audio", "không có tệp")


def test_unknown_audio_and_bad_names_are_404(world, client):
    version_id = produced(world, "Lịch tiêm phòng", {"vie": VIE})
    assert_refused(client.get(link(world, version_id, "0" * 64)), 404, "unknown_review_audio", "không có tệp")
    url = link(world, version_id, sha(VIE))
    assert_refused(client.get(url.replace(".mp3?", ".wav?")), 404, "unknown_review_audio", "không có tệp")
    assert_refused(client.get(url.replace(sha(VIE), "..%2F..%2Fbantin.db")), 404, "not_found", "không có")
    assert_refused(client.get(link(world, 999_999, sha(VIE))), 404, "unknown_review_audio", "không có tệp")


def test_version_without_a_review_request_is_not_served(world, client):
    version_id = produced(world, "Bản nháp", {"vie": VIE}, review=False)
    assert_refused(client.get(link(world, version_id, sha(VIE))), 404, "unknown_review_audio", "không có tệp")


def test_version_whose_review_expired_is_not_served(world, client):
    version_id = produced(world, "Họp thôn", {"vie": VIE})
    url = link(world, version_id, sha(VIE))
    assert client.get(url).status_code == 200
    with world.session() as session:
        storage.expire_review(session, version_id)
    assert_refused(client.get(url), 404, "unknown_review_audio", "không có tệp")


def test_link_names_its_version_audio_and_expiry(world):
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    url = storage.review_audio_link(
        "https://loa.example.gov.vn/", version_id=7, sha256=sha(VIE), secret_key=b"k" * 32, expires_at=expires
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"https://loa.example.gov.vn/v1/review/audio/7/{sha(VIE)}.mp3"
    )
    params = parse_qs(parts.query)
    assert params["exp"] == [str(int(expires.timestamp()))] and len(params["sig"][0]) == 64
    storage.check_review_audio_link(
        version_id=7,
        sha256=sha(VIE),
        exp=params["exp"][0],
        sig=params["sig"][0],
        secret_key=b"k" * 32,
        now=expires - timedelta(seconds=1),
    )
    with pytest.raises(storage.LinkRejected, match="expired"):
        storage.check_review_audio_link(
            version_id=7,
            sha256=sha(VIE),
            exp=params["exp"][0],
            sig=params["sig"][0],
            secret_key=b"k" * 32,
            now=expires,
        )
    with pytest.raises(ValueError):
        storage.review_audio_link("", version_id=7, sha256="abc", secret_key=b"k", expires_at=expires)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing (CI=true: browser tests must not be skipped)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


LOAD_AUDIO = """async (url) => {
  const audio = document.createElement("audio");
  audio.preload = "metadata";
  document.body.append(audio);
  const outcome = new Promise((resolve) => {
    audio.addEventListener("loadedmetadata", () => resolve({ duration: audio.duration, error: null }));
    audio.addEventListener("error", () => resolve({ duration: audio.duration, error: audio.error.code }));
  });
  audio.src = url;
  return await outcome;
}"""


def play_in_chromium(browser, url: str) -> dict:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content("<!doctype html><html lang='vi'><body></body></html>")
        return page.evaluate(LOAD_AUDIO, url)
    finally:
        context.close()


def test_chromium_plays_a_valid_link_and_not_an_expired_one(world, gateway_url, browser):
    version_id = produced(world, "Lịch tiêm phòng", {"vie": VIE})

    valid = play_in_chromium(browser, link(world, version_id, sha(VIE), base=gateway_url))
    expired = play_in_chromium(
        browser, link(world, version_id, sha(VIE), base=gateway_url, expires_in=-timedelta(seconds=1))
    )

    assert valid["error"] is None and 1.5 < valid["duration"] < 2.5  # the 2-second reading
    assert expired["error"] is not None  # MEDIA_ERR_SRC_NOT_SUPPORTED: the gateway answered 403
