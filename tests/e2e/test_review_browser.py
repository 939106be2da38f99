"""A reviewer approves in the Prefect UI (V2) with Debian's Chromium: sheet, audio, one-time code, distribution.

Real processes: `prefect server start` (its default V2 UI), `python -m deployments.serve`, the gateway
(`uvicorn gateway.app:app`, which serves the review sheet's audio link). Screenshots of every step go
to test-artifacts/screenshots/ at the repository root (kept by CI).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, Stack, prefect_client_for, seed_bantin, wait_until

pytestmark = pytest.mark.slow

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
REVIEWER_LABEL = "Trần Văn Kiểm — Phó Chủ tịch UBND tỉnh"


def shot(page, step: str) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"review-browser-{step}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def form_field(page, dialog, title: str):  # type: ignore[no-untyped-def]
    """One field of Prefect's resume form, found by its label."""
    return dialog.locator("div.group").filter(has=page.locator("label", has_text=title)).last


def choose(page, dialog, title: str, option: str, attempts: int = 4) -> None:  # type: ignore[no-untyped-def]
    """Pick an option in one of the form's selects, as a reviewer does: open it, click the option.

    The UI refreshes the run while the dialog is open and may redraw an open list under the pointer
    (the option is detached mid-click); then the list is opened again, until the field shows the choice."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    field = form_field(page, dialog, title)
    for attempt in range(attempts):
        try:
            field.get_by_role("button", name="Select").click(timeout=10_000)
            page.get_by_role("option", name=option).first.click(timeout=10_000)
            expect(field).to_contain_text(option, timeout=5_000)
            return
        except PlaywrightError:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")


def served() -> bool:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return {"on-demand", "review"} <= {d.name for d in client.read_deployments()}


def run_state(run_id) -> str:  # type: ignore[no-untyped-def]
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id).state.name


def test_reviewer_approves_in_the_prefect_ui_after_hearing_the_audio(stack: Stack) -> None:
    from playwright.sync_api import sync_playwright

    import storage
    from flows.review import paused_reviews

    stack.start_server()
    (bulletin_id,), secret, reviewer_id = seed_bantin(stack, drafts=1)
    stack.start_gateway()
    stack.serve_deployments()
    with prefect_client_for(stack):
        from prefect.deployments import run_deployment

        wait_until(served, timeout=180, what="the served deployments")
        run_deployment(
            "produce-bulletins/on-demand",
            parameters={"request": {"bulletins": [str(bulletin_id)]}},
            timeout=0,
        )
        waiting = wait_until(paused_reviews, timeout=420, what=f"a waiting review\n{stack.logs()}", every=2)[
            0
        ]

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
            page = context.new_page()
            try:
                # The reviewer opens the UI (V2 by default) and finds the waiting review among the runs.
                page.goto(f"{stack.ui_url}/")
                page.wait_for_url("**/v2/**")
                page.get_by_role("link", name="Runs").first.click()
                run_link = page.get_by_role("link", name=waiting.flow_run_name)
                run_link.wait_for(timeout=60_000)
                assert "Suspended" in page.locator("body").inner_text()
                shot(page, "01-runs")
                run_link.click()
                page.wait_for_url(f"**/runs/flow-run/{waiting.flow_run_id}**")

                # The review sheet: the run's markdown artifact.
                page.get_by_role("tab", name="Artifacts").click()
                page.get_by_text(f"review-v{waiting.version_id}").first.click()
                page.locator("a[href*='/artifacts/artifact/']").first.click()
                play = page.get_by_role("link", name="Nghe / Play").first
                play.wait_for(timeout=30_000)
                sheet = page.locator("body").inner_text()
                assert "Phiếu duyệt" in sheet and REVIEWER_LABEL in sheet
                href = play.get_attribute("href") or ""
                assert href.startswith(f"{stack.gateway_url}/v1/review/audio/{waiting.version_id}/")
                shot(page, "02-review-sheet")

                # The audio link plays in the browser: Chromium decodes it and the clock moves.
                with context.expect_page() as opened:
                    play.click(modifiers=["Control"])
                audio = opened.value
                audio.wait_for_load_state()
                media = audio.locator("video, audio").first
                media.wait_for(state="attached", timeout=30_000)
                audio.wait_for_function(
                    "() => { const m = document.querySelector('video, audio'); return m && m.duration > 0; }",
                    timeout=30_000,
                )
                audio.evaluate("() => document.querySelector('video, audio').play()")
                audio.wait_for_function(
                    "() => document.querySelector('video, audio').currentTime > 0.5", timeout=30_000
                )
                assert audio.evaluate("() => document.querySelector('video, audio').error") is None
                shot(audio, "03-audio-playing")
                audio.close()

                # Resume is under the run's menu in V2; the form repeats the sheet above its fields.
                page.goto(f"{stack.ui_url}/v2/runs/flow-run/{waiting.flow_run_id}")
                page.get_by_role("button", name="Open menu").first.click()
                page.get_by_role("menuitem", name="Resume").click()
                dialog = page.get_by_role("dialog")
                dialog.locator("label", has_text="Người duyệt / Reviewer").wait_for(timeout=30_000)
                assert "Phiếu duyệt" in dialog.inner_text()  # the sheet, repeated above the fields
                shot(page, "04-resume-form")
                choose(page, dialog, "Người duyệt / Reviewer", REVIEWER_LABEL)
                choose(page, dialog, "Quyết định / Decision", "duyệt")
                form_field(page, dialog, "Nhận xét / Comment").locator("textarea").fill(
                    "Đã nghe, đồng ý phát"
                )
                code = (
                    form_field(page, dialog, "Mã dùng một lần / One-time code")
                    .locator("textarea, input")
                    .first
                )
                code.fill(storage.totp_code(secret))
                shot(page, "05-form-filled")
                dialog.get_by_role("button", name="Resume").click()
                dialog.wait_for(state="hidden")

                wait_until(
                    lambda: run_state(waiting.flow_run_id) in {"Completed", "Failed", "Crashed"},
                    timeout=300,
                    what=f"the review run to finish\n{stack.logs()}",
                    every=2,
                )
                page.reload()
                page.get_by_text("Completed").first.wait_for(timeout=30_000)
                shot(page, "06-run-completed")
            finally:
                browser.close()
        assert run_state(waiting.flow_run_id) == "Completed", stack.logs()

    sha = href.split("/")[-1].split(".mp3")[0]
    with sqlite3.connect(stack.data_dir / "bantin.db") as db:
        items = db.execute(
            "select count(*) from playlist_item where version_id = ? and audio_sha256 = ?",
            (waiting.version_id, sha),
        ).fetchone()[0]
        reviews = db.execute(
            "select person_id, decision, comment from review where version_id = ?", (waiting.version_id,)
        )
        review = reviews.fetchall()
    assert items > 0, "the approved audio is not on any device's playlist"
    assert review == [(reviewer_id, "approve", "Đã nghe, đồng ý phát")]
