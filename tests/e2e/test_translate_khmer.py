"""A Khmer bulletin from draft to the Khmer loudspeaker, on real processes and Debian's Chromium.

`prefect server start` and `python -m deployments.serve`: the on-demand production makes the Vietnamese
rendition and starts a `translate-bulletin` run for Khmer, which suspends for the sentences the memory
and glossary do not cover; the Khmer reading is imported (`bantin audio import`'s function) and the translator fills
the typed form in the Prefect UI; the translation run, the last language to be ready, starts the review,
whose sheet shows Khmer beside Vietnamese; the reviewer approves; the Khmer speaker cluster gets the Khmer audio.
Screenshots go to $BANTIN_SCREENSHOT_DIR (default: the test's tmp dir).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.e2e.conftest import Stack, prefect_client_for, seed_bantin, wait_until
from tests.e2e.test_review_browser import CHROMIUM, CHROMIUM_ARGS, choose, form_field, run_state

pytestmark = pytest.mark.slow

BODY = (
    "Kính thưa bà con nhân dân! Áp thấp nhiệt đới đang mạnh lên thành bão. "
    "Ủy ban nhân dân xã yêu cầu các hộ ven sông sơ tán trước 17h ngày 15/11/2026."
)
GREETING = "Kính thưa bà con nhân dân!"
GREETING_KM = "សូមគោរពបងប្អូនប្រជាពលរដ្ឋ!"
KHMER_WORDS = ["ព្យុះ", "ទំនាប", "កំពុង", "ខ្លាំងឡើង", "ជម្លៀស", "មុនម៉ោង", "ថ្ងៃទី", "បងប្អូន"]
VILLAGE, SPEAKERS = "44-18904-09", "LOA-44-18904-09"
TRANSLATOR = "Thạch Sô Phên"


def screenshots(tmp_path: Path) -> Path:
    found = Path(os.environ.get("BANTIN_SCREENSHOT_DIR") or tmp_path / "screenshots")
    found.mkdir(parents=True, exist_ok=True)
    return found


def khmer_line(segment) -> str:  # type: ignore[no-untyped-def]
    """A translator's Khmer line: Khmer words, the source's values and glossary terms, about its length."""
    from nlp.placeholders import mask

    kept = list(mask(segment.source).values) + [h["target"] for h in segment.glossary if h.get("target")]
    out: list[str] = []
    while len(" ".join(out + kept)) < len(segment.source) * 0.9:
        out.append(KHMER_WORDS[len(out) % len(KHMER_WORDS)])
    return " ".join(out + kept) + "។"


def seed_khmer(stack: Stack) -> tuple[int, int, str]:
    """Commune 18904 broadcasts in Vietnamese and Khmer; a Khmer village and speaker cluster; a translator;
    the greeting in the memory; a draft. Returns (bulletin id, translator id, reviewer's TOTP secret)."""
    import nlp
    import storage

    _, secret, _ = seed_bantin(stack, drafts=0)
    engine = storage.make_engine(stack.database_url)
    rows = {
        "villages": [{"code": VILLAGE, "name": "Phum Khmer", "parent": "18904", "languages": ["khm", "vie"]}],
        "devices": [{"id": SPEAKERS, "kind": "speaker_cluster", "unit": VILLAGE, "languages": ["khm"]}],
    }
    with storage.session_scope(engine) as session:
        storage.import_records(session=session, rows=storage.parse_records(json.dumps(rows), "json"))
        storage.set_unit_languages(session, "18904", ["vie", "khm"], actor="e2e")
        person, _ = storage.add_person(
            session, name=TRANSLATOR, unit_code="18904", role="translator", secret_key=b"e2e", actor="e2e"
        )
        entry = nlp.memory_entry(GREETING, GREETING_KM)
        storage.remember_translation(
            session, target_language="khm", source_text=GREETING, target_text=GREETING_KM,
            source_key=entry.key, target_template=entry.target_template, origin="import",
        )  # fmt: skip
        bulletin, _, _ = storage.save_draft(
            session=session,
            draft=storage.BulletinDraft(
                title="Áp thấp nhiệt đới",
                body=BODY,
                source_unit="18904",
                target_units=["18904"],
                external_id="e2e-khmer",
            ),
        )
        ids = bulletin.id, person.id
    engine.dispose()
    return ids[0], ids[1], secret


def served() -> bool:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return {"on-demand", "review", "translate"} <= {d.name for d in client.read_deployments()}


def waiting_translation():  # type: ignore[no-untyped-def]
    """The suspended translate-bulletin run and its pause key, once it waits for a translator."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    state = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
    with get_client(sync_client=True) as client:
        for run in client.read_flow_runs(flow_run_filter=FlowRunFilter(state=state)):
            key = run.state.state_details.pause_key or ""
            keyset = run.state.state_details.run_input_keyset
            if key.startswith("translate-v") and keyset:
                try:  # the form's description (the translator's sheet) is written just after the pause
                    client.read_flow_run_input(run.id, keyset["description"])
                except Exception:
                    return None
                return run
    return None


def waited(stack: Stack, check, *, timeout: float, what: str):  # type: ignore[no-untyped-def]
    """wait_until, failing with the runs, renditions and process logs as they are when it gives up."""
    try:
        return wait_until(check, timeout=timeout, what=what, every=2)
    except pytest.fail.Exception:
        pytest.fail(f"gave up waiting for {what}\n{diagnosis(stack)}")


def diagnosis(stack: Stack) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        runs = [
            f"{r.name} {r.flow_id} {r.state_name} {r.state.message if r.state else ''}"
            for r in client.read_flow_runs()
        ]
    with sqlite3.connect(stack.data_dir / "bantin.db") as db:
        rows = db.execute("select version_id, language, kind, engine from rendition").fetchall()
        audit = db.execute("select action, version_id, details from audit_event").fetchall()
    return "\n".join([*runs, str(rows), str(audit), stack.logs()])


def rendition(stack: Stack, version_id: int, language: str, kind: str):  # type: ignore[no-untyped-def]
    with sqlite3.connect(stack.data_dir / "bantin.db") as db:
        return db.execute(
            "select text, details from rendition where version_id = ? and language = ? and kind = ?",
            (version_id, language, kind),
        ).fetchone()


def test_khmer_bulletin_from_draft_to_the_khmer_loudspeaker(stack: Stack, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    import storage
    from bantin.recordings import store_recording
    from flows.review import paused_reviews, submit_review
    from flows.settings import PipelineSettings
    from tests.flows.test_produce_languages import recording

    shots = screenshots(tmp_path)
    stack.start_server()
    bulletin_id, translator_id, secret = seed_khmer(stack)
    stack.serve_deployments()
    label = f"{TRANSLATOR} — 18904 (#{translator_id})"
    with prefect_client_for(stack):
        from prefect.deployments import run_deployment

        wait_until(served, timeout=180, what=f"the served deployments\n{stack.logs()}")
        request = {"request": {"bulletins": [str(bulletin_id)]}}
        run_deployment("produce-bulletins/on-demand", parameters=request, timeout=0)
        run = waited(stack, waiting_translation, timeout=300, what="a translator's form")
        version_id = int(run.state.state_details.pause_key.split("-")[1][1:])
        assert paused_reviews() == []  # the review waits for the translation

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="vi-VN").new_page()
            try:
                page.goto(f"{stack.ui_url}/v2/runs/flow-run/{run.id}")
                page.get_by_role("button", name="Open menu").first.click()
                page.get_by_role("menuitem", name="Resume").click()
                dialog = page.get_by_role("dialog")
                dialog.locator("label", has_text="Bản dịch / Translation").wait_for(timeout=30_000)
                sheet = dialog.inner_text()
                needed = _needed(stack, version_id)
                # The sheet above the fields: the sentences to translate, and the one the memory covered.
                assert "Cần người dịch" in sheet and GREETING_KM in sheet
                assert all(s.source[:25] in sheet for s in needed)
                choose(page, dialog, "Người dịch / Translator", label)
                form_field(page, dialog, "Bản dịch / Translation").locator("textarea, input").first.fill(
                    "\n".join(khmer_line(s) for s in needed)
                )
                page.screenshot(path=str(shots / "khmer-01-translator-form.png"), full_page=True)
                # No Khmer voice here: the reader's recording is imported (bantin audio import) meanwhile.
                settings = PipelineSettings(data_dir=stack.data_dir, database_url=stack.database_url)
                store_recording(
                    settings, recording(), filename="khmer.wav", bulletin=str(bulletin_id), language="khm"
                )
                dialog.get_by_role("button", name="Resume").click()
                dialog.wait_for(state="hidden")
                waited(
                    stack,
                    lambda: run_state(run.id) in {"Completed", "Failed", "Crashed"},
                    timeout=300,
                    what="the translation run to finish",
                )
                assert run_state(run.id) == "Completed", stack.logs()
                script = rendition(stack, version_id, "khm", "script")
                assert script is not None and script[0].splitlines()[0] == GREETING_KM
                origins = [s["origin"] for s in json.loads(script[1])["segments"]]
                assert origins == ["memory"] + ["translator"] * len(needed)
                with sqlite3.connect(stack.data_dir / "bantin.db") as db:
                    human = db.execute(
                        "select count(*) from translation_memory where origin = 'human' and person_id = ?",
                        (translator_id,),
                    ).fetchone()[0]
                assert human == len(needed)  # the approved lines went into the memory

                # The translation run, the last language to finish, started the review itself.
                review = waited(
                    stack,
                    lambda: next((p for p in paused_reviews() if p.version_id == version_id), None),
                    timeout=300,
                    what="the review",
                )
                page.goto(f"{stack.ui_url}/v2/runs/flow-run/{review.flow_run_id}")
                page.get_by_role("tab", name="Artifacts").click()
                page.get_by_text(f"review-v{version_id}").first.click()
                page.locator("a[href*='/artifacts/artifact/']").first.click()
                page.get_by_text("Bản dịch / Translation: khm").wait_for(timeout=30_000)
                body = page.locator("body").inner_text()
                assert GREETING in body and GREETING_KM in body and "người dịch / translator" in body
                page.screenshot(path=str(shots / "khmer-02-review-sheet.png"), full_page=True)
            finally:
                browser.close()

        submit_review(
            review.flow_run_id,
            reviewer="Trần Văn Kiểm",
            code=storage.totp_code(secret),
            decision=storage.ReviewDecision.approve,
            comment="Bản tiếng Khmer đã kiểm tra",
        )
        waited(
            stack,
            lambda: run_state(review.flow_run_id) in {"Completed", "Failed", "Crashed"},
            timeout=300,
            what="the review run to finish",
        )
        assert run_state(review.flow_run_id) == "Completed", stack.logs()
    with sqlite3.connect(stack.data_dir / "bantin.db") as db:
        played = dict(
            db.execute(
                "select device_id, language from playlist_item where version_id = ?", (version_id,)
            ).fetchall()
        )
    assert played[SPEAKERS] == "khm" and played["LOA-44-18904-01"] == "vie", played


def _needed(stack: Stack, version_id: int) -> list:
    """The Vietnamese sentences the translator's form numbers (what memory and glossary left)."""
    from flows.settings import PipelineSettings
    from flows.translate import translate_version

    settings = PipelineSettings(data_dir=stack.data_dir, database_url=stack.database_url)
    return translate_version(settings, version_id, "khm", settings).needed
