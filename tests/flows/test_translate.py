"""The translation stage under a real Prefect test server: origins per segment, a translator's typed answer."""

from __future__ import annotations

import threading
from uuid import UUID

import nlp
import storage
from flows.settings import PipelineSettings
from flows.translate import (
    TranslateRequest,
    TranslationOptions,
    apply_translator_input,
    translate_bulletin,
    translate_script,
    translate_version,
    translator_sheet,
    voice_for,
)
from nlp.translate import MEMORY, NEEDS_TRANSLATOR, TRANSLATOR
from tests.flows.conftest import World, wait_for

BODY = "Kính thưa bà con nhân dân!\n\nSơ tán trước 17h ngày 15/11/2026.\n\nÁp thấp nhiệt đới đang mạnh lên."
GREETING_KM = "សូមគោរពបងប្អូនប្រជាពលរដ្ឋ!"
LINE_2 = "ជម្លៀសមុនម៉ោង 17h ថ្ងៃទី 15/11/2026។"
LINE_3 = "ព្យុះទំនាបត្រូពិចកំពុងខ្លាំងឡើង។"


def _setup(world: World) -> tuple[int, int]:
    """A short bulletin for commune 18904 (which broadcasts in Khmer), a translator, a memory entry."""
    with world.session() as session:
        storage.set_unit_languages(session, "18904", ["khm"], actor="test")
        person, _ = storage.add_person(
            session, name="Thạch Sô Phên", unit_code="18904", role="translator", secret_key=b"k"
        )
        entry = nlp.memory_entry("Kính thưa bà con nhân dân!", GREETING_KM)
        storage.remember_translation(
            session, target_language="khm", source_text="Kính thưa bà con nhân dân!", target_text=GREETING_KM,
            source_key=entry.key, target_template=entry.target_template, origin="import",
        )  # fmt: skip
        draft = storage.BulletinDraft(
            title="Áp thấp nhiệt đới", body=BODY, source_unit="18904", target_units=["18904"]
        )
        _bulletin, version, _ = storage.save_draft(session=session, draft=draft)
        return version.id, person.id


def _paused_translation():  # type: ignore[no-untyped-def]
    """The paused translate-bulletin run, its pause key and its form's description."""
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
            )
        )
        for run in runs:
            details = run.state.state_details
            if details.pause_key and details.pause_key.startswith("translate-v") and details.run_input_keyset:
                try:
                    description = client.read_flow_run_input(run.id, details.run_input_keyset["description"])
                except Exception:  # the form's description is written just after the pause
                    return None
                parsed = json.loads(description) if description.startswith('"') else description
                return run.id, details.pause_key, parsed
    return None


def _answer(run_id: UUID, translator: str, text: str) -> None:
    from prefect.flow_runs import resume_flow_run

    resume_flow_run(run_id, run_input={"translator": translator, "translation": text})


def test_segments_report_where_they_came_from(world: World) -> None:
    version_id, _ = _setup(world)
    result = translate_version(
        PipelineSettings(), version_id, "khm", TranslationOptions(translation_models_dir=None)
    )
    assert [s.origin for s in result.segments] == [MEMORY, NEEDS_TRANSLATOR, NEEDS_TRANSLATOR]
    sheet = translator_sheet(result, version_id=version_id)
    assert "áp thấp nhiệt đới" in sheet and "cần người dịch" in sheet and GREETING_KM in sheet
    with world.session() as session:  # e-board text: each line is a segment
        board = translate_script(
            session, "Bão. Lũ lụt\nGọi 0233 3871 115", "khm", TranslationOptions(), by_line=True
        )
    assert [s.origin for s in board.segments] == [NEEDS_TRANSLATOR, NEEDS_TRANSLATOR]
    assert board.segments[0].source == "Bão. Lũ lụt"


def test_translator_answer_is_validated_then_stored_in_the_memory(world: World, monkeypatch) -> None:
    version_id, person_id = _setup(world)
    outcome: dict = {}
    monkeypatch.setenv("BANTIN_TRANSLATOR_POLL_SECONDS", "0.5")
    options = TranslationOptions(translation_models_dir=None, translator_poll_seconds=0.5)
    runner = threading.Thread(
        target=lambda: outcome.update(
            translate_bulletin(TranslateRequest(version_id=version_id, language="khm"))
        ),
        daemon=True,
    )
    runner.start()
    run_id, key, description = wait_for(_paused_translation, what="a run waiting for a translator")
    assert "Sơ tán trước 17h" in description and "áp thấp nhiệt đới" in description
    label = f"Thạch Sô Phên — 18904 (#{person_id})"
    _answer(run_id, label, "Evacuate before 17h on 15/11/2026.\nThe depression strengthens.")  # wrong script
    run_id, _key2, notice = wait_for(
        lambda: (p := _paused_translation()) and p[1] != key and p, what="waiting again"
    )
    assert "Khmr" in notice and "dòng 1" in notice
    with world.session() as session:
        assert storage.memory_sizes(session) == {"khm": 1}  # nothing stored from the refused answer
    _answer(run_id, label, f"1. {LINE_2}\n2. {LINE_3}")
    runner.join(timeout=120)
    assert outcome["complete"] and [s["origin"] for s in outcome["segments"]] == [
        MEMORY,
        TRANSLATOR,
        TRANSLATOR,
    ]
    with world.session() as session:
        rows = storage.memory_rows(session, "khm")
        assert len(rows) == 3 and {r[3] for r in rows} == {"import", "human"}
        script = next(r for r in storage.renditions(session, version_id) if r.language == "khm")
        assert script.text.splitlines() == [GREETING_KM, LINE_2, LINE_3]
    # The approved sentence now comes from the memory, with this bulletin's numbers.
    again = translate_version(PipelineSettings(), version_id, "khm", options)
    assert again.segments[1].origin == MEMORY


def test_empty_or_miscounted_answers_are_refused_and_nothing_is_stored(world: World) -> None:
    version_id, person_id = _setup(world)
    result = translate_version(
        PipelineSettings(), version_id, "khm", TranslationOptions(translation_models_dir=None)
    )
    for text, words in (("  \n ", "trống"), (LINE_2, "2 câu")):
        try:
            apply_translator_input(PipelineSettings(), version_id, result, text=text, translator=person_id)
        except nlp.TranslationRejected as refused:
            assert words in refused.message_vi
        else:
            raise AssertionError(f"{text!r} was accepted")
    with world.session() as session:
        assert storage.memory_sizes(session) == {"khm": 1}


def test_speech_path_follows_the_voice_registry() -> None:
    assert voice_for("vie", None) is not None  # eSpeak NG speaks Vietnamese
    assert voice_for("khm", None) is None  # no Khmer voice: a recorded reading is needed
