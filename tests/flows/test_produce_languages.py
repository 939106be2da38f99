"""Production in every broadcast language under a real Prefect test server: renditions per language,
translators and recorded readings in the loop, the review held until every language is ready."""

from __future__ import annotations

import json
import threading

import pytest
from sqlmodel import select

import nlp
import storage
from flows.produce import ProduceRequest, prepare_text, produce_bulletins
from flows.review import ReviewHeld, ReviewRequestParams, review_bulletin, translation_tables
from flows.settings import PipelineSettings
from flows.translate import apply_translator_input, produce_language, translate_version
from nlp.placeholders import mask
from tests.flows.conftest import Answerer, World, wait_for

BODY = (
    "Kính thưa bà con nhân dân! Áp thấp nhiệt đới đang mạnh lên thành bão. "
    "Ủy ban nhân dân xã yêu cầu các hộ ven sông sơ tán trước 17h ngày 15/11/2026."
)
KHMER_WORDS = ["សូមគោរព", "បងប្អូន", "ប្រជាពលរដ្ឋ", "ព្យុះ", "ទំនាប", "កំពុង", "ខ្លាំងឡើង", "ជម្លៀស", "មុនម៉ោង", "ថ្ងៃទី"]
TAY_WORDS = ["pác", "hẩu", "mì", "slấc", "khỏe", "pây", "mà", "cần", "bản", "đảy"]
KHMER_VILLAGE, KHMER_SPEAKERS, KHMER_BOARD = "44-18904-09", "LOA-44-18904-09", "BANG-44-18904-09"


def rendered(segment, words: list[str], end: str = ".") -> str:  # type: ignore[no-untyped-def]
    """A stand-in translation that passes the checks: the language's letters, the source's values and
    approved glossary terms, about the source's length."""
    kept = list(mask(segment.source).values) + [h["target"] for h in segment.glossary if h.get("target")]
    out: list[str] = []
    while len(" ".join(out + kept)) < len(segment.source) * 0.9:
        out.append(words[len(out) % len(words)])
    return " ".join(out + kept) + end


def commune(world: World, languages: list[str], *, translator: bool = False) -> int | None:
    """Commune 18904 broadcasts in ``languages``; a Khmer village with a Khmer speaker cluster and e-board."""
    rows = {
        "villages": [
            {"code": KHMER_VILLAGE, "name": "Phum Khmer", "parent": "18904", "languages": ["khm", "vie"]}
        ],
        "devices": [
            {"id": KHMER_SPEAKERS, "kind": "speaker_cluster", "unit": KHMER_VILLAGE, "languages": ["khm"]},
            {"id": KHMER_BOARD, "kind": "eboard", "unit": KHMER_VILLAGE, "languages": ["khm"]},
        ],
    }
    with world.session() as session:
        storage.set_unit_languages(session, "18904", languages, actor="test")
        storage.import_records(session=session, rows=storage.parse_records(json.dumps(rows), "json"))
        if translator:
            person, _ = storage.add_person(
                session, name="Thạch Sô Phên", unit_code="18904", role="translator", secret_key=b"k"
            )
            return person.id
    return None


def draft(world: World) -> tuple[int, int]:
    """A normal bulletin for commune 18904, its Vietnamese text prepared (as production does)."""
    with world.session() as session:
        bulletin, version, _ = storage.save_draft(
            session=session,
            draft=storage.BulletinDraft(
                title="Áp thấp nhiệt đới", body=BODY, source_unit="18904", target_units=["18904"]
            ),
        )
        ids = bulletin.id, version.id
    prepare_text.fn(PipelineSettings(), ids[1], "espeak-vi-north")
    return ids


def remember_all(world: World, version_id: int, language: str, words: list[str], end: str = ".") -> int:
    """Approved translations of every sentence of the version's script in the memory; how many."""
    settings = PipelineSettings()
    segments = translate_version(settings, version_id, language, settings).segments
    with world.session() as session:
        for s in segments:
            target = rendered(s, words, end)
            entry = nlp.memory_entry(s.source, target)
            storage.remember_translation(
                session, target_language=language, source_text=s.source, target_text=target,
                source_key=entry.key, target_template=entry.target_template, origin="import",
            )  # fmt: skip
    return len(segments)


def by_language(world: World, version_id: int) -> dict[str, set[str]]:
    with world.session() as session:
        found: dict[str, set[str]] = {}
        for r in storage.renditions(session, version_id):
            found.setdefault(r.language, set()).add(r.kind.value)
        return found


def khm_details(session, version_id: int) -> dict:  # type: ignore[no-untyped-def]
    return next(
        r.details
        for r in storage.renditions(session, version_id)
        if r.language == "khm" and r.kind == storage.RenditionKind.script
    )


def recording() -> bytes:
    """A recorded reading: real speech (eSpeak NG) as a WAV file."""
    from tests.tts.conftest import espeak_samples
    from tests.tts.test_recording import wav_bytes

    samples, rate = espeak_samples("Đây là bản ghi âm thử nghiệm bằng tiếng Khmer cho loa của phum.")
    return wav_bytes(samples * 0.5, rate)


def test_each_language_gets_its_rendition_and_khmer_waits_for_a_recorded_reading(world: World) -> None:
    from bantin.recordings import store_recording

    commune(world, ["khm"])
    bulletin_id, version_id = draft(world)
    assert remember_all(world, version_id, "khm", KHMER_WORDS, "។") >= 2

    outcome = produce_bulletins(ProduceRequest(bulletins=[str(bulletin_id)]))[str(bulletin_id)]
    # Vietnamese and Khmer text are made; Khmer has no voice, so its audio waits for a recorded reading
    # and the review is not opened (a review freezes the version).
    assert outcome["languages"]["khm"]["status"] == "waiting_recording"
    assert outcome["review"] == {"status": "waiting", "missing": {"khm": ["audio"]}}
    assert by_language(world, version_id) == {
        "vie": {"script", "spoken", "eboard", "audio"},
        "khm": {"script", "eboard"},
    }
    with world.session() as session:
        khm = {r.kind.value: r.text for r in storage.renditions(session, version_id) if r.language == "khm"}
        assert "15/11/2026" in khm["script"] and all(
            nlp.check_translation("", line, nlp.get_language("khm")) == []
            for line in khm["eboard"].splitlines()
        )

    # A review started by hand is refused with what is missing and how to provide it; nothing is frozen.
    with pytest.raises(ReviewHeld) as held:
        review_bulletin(ReviewRequestParams(version_id=version_id))
    assert "bantin audio import" in held.value.message_en and "khm" in held.value.message_vi
    with world.session() as session:
        assert storage.get_review_request(session, version_id) is None
        assert not storage.version_frozen(session, version_id)

    # The reading is imported; the next production opens the review, whose sheet shows Khmer beside Vietnamese.
    print(
        store_recording(
            PipelineSettings(), recording(), filename="khmer.wav", bulletin=str(bulletin_id), language="khm"
        )
    )
    with Answerer(world.people["commune"]):
        again = produce_bulletins(ProduceRequest(bulletins=[str(bulletin_id)]))[str(bulletin_id)]
    assert again["decision"] == "approve", again
    with world.session() as session:
        table = "\n".join(translation_tables(storage.review_material(session, version_id)))
        sources = [s["source"] for s in khm_details(session, version_id)["segments"]]
    assert "Bản dịch / Translation: khm" in table and "bộ nhớ dịch / memory" in table
    assert "Tiếng Khmer / Khmer (khm)" in table and "E-board text (Tiếng Khmer / Khmer (khm))" in table
    assert all(f"| {source} | {KHMER_WORDS[0]}" in table for source in sources)
    with world.session() as session:
        items = {
            i.device_id: i.language
            for i in session.exec(select(storage.PlaylistItem)).all()
            if i.version_id == version_id
        }
    # Distribution gives each device the rendition in its language.
    assert items[KHMER_SPEAKERS] == "khm" and items[KHMER_BOARD] == "khm"
    assert items["LOA-44-18904-01"] == "vie"


def test_a_language_with_a_voice_is_synthesized(world: World, tmp_path, monkeypatch) -> None:
    from tts.tiny_vits import build_tiny_vits

    build_tiny_vits(tmp_path / "voices" / "tiny-tyz", language="tyz")
    monkeypatch.setenv("BANTIN_TTS_MODELS_DIR", str(tmp_path / "voices"))
    commune(world, ["tyz"])
    _bulletin_id, version_id = draft(world)
    remember_all(world, version_id, "tyz", TAY_WORDS)
    settings = PipelineSettings()
    made = produce_language.fn(settings, version_id, "tyz", settings)
    assert made["status"] == "ready" and made["voice"], made
    with world.session() as session:
        audio = next(
            r
            for r in storage.renditions(session, version_id)
            if r.language == "tyz" and r.kind.value == "audio"
        )
        script = next(
            r
            for r in storage.renditions(session, version_id)
            if r.language == "tyz" and r.kind.value == "script"
        )
    assert audio.engine != "recording" and audio.duration_s > 0.5 and audio.loudness_lufs is not None
    assert audio.text == script.text  # the Tày script, read by the Tày voice


def test_sentences_nobody_translated_wait_for_a_translator_and_the_review_waits_too(
    world: World, monkeypatch
) -> None:
    from tests.flows.test_translate import _answer, _paused_translation

    monkeypatch.setenv("BANTIN_TRANSLATOR_POLL_SECONDS", "0.5")
    person_id = commune(world, ["khm"], translator=True)
    bulletin_id, version_id = draft(world)
    settings = PipelineSettings()
    needed = translate_version(settings, version_id, "khm", settings).needed
    assert needed  # no model, no memory: every sentence needs a person

    outcome: dict = {}
    runner = threading.Thread(
        target=lambda: outcome.update(produce_bulletins(ProduceRequest(bulletins=[str(bulletin_id)]))),
        daemon=True,
    )
    runner.start()
    run_id, key, description = wait_for(_paused_translation, what="a translate-bulletin run waiting")
    assert key.startswith(f"translate-v{version_id}-khm") and needed[0].source[:30] in description
    from flows.review import paused_reviews

    assert paused_reviews() == []  # no review while the translation waits
    label = f"Thạch Sô Phên — 18904 (#{person_id})"
    _answer(run_id, label, "\n".join(rendered(s, KHMER_WORDS, "។") for s in needed))
    runner.join(timeout=180)
    row = outcome[str(bulletin_id)]
    assert row["review"] == {"status": "waiting", "missing": {"khm": ["audio"]}}, row
    with world.session() as session:
        rows = storage.memory_rows(session, "khm")
        assert len(rows) == len(needed) and {r[3] for r in rows} == {"human"}  # into the memory
        script = next(
            r
            for r in storage.renditions(session, version_id)
            if r.language == "khm" and r.kind.value == "script"
        )
    assert [s["origin"] for s in script.details["segments"]] == ["translator"] * len(needed)


def test_bad_translator_input_is_refused_with_the_reason_and_nothing_is_stored(world: World) -> None:
    person_id = commune(world, ["khm"], translator=True)
    _bulletin_id, version_id = draft(world)
    settings = PipelineSettings()
    translation = translate_version(settings, version_id, "khm", settings)
    good = [rendered(s, KHMER_WORDS, "។") for s in translation.needed]
    dated = next(i for i, s in enumerate(translation.needed) if "15/11/2026" in s.source)
    no_date = list(good)
    no_date[dated] = no_date[dated].replace("15/11/2026", "")
    latin = [rendered(s, TAY_WORDS) for s in translation.needed]
    cases = {
        "empty": ("\n \n", "Bản dịch trống"),
        "wrong script": ("\n".join(latin), "Khmr"),
        "missing date": ("\n".join(no_date), "15/11/2026"),
        "missing line": ("\n".join(good[:-1]), "mỗi câu một dòng"),
    }
    for name, (text, reason) in cases.items():
        with pytest.raises(nlp.TranslationRejected) as refused:
            apply_translator_input(settings, version_id, translation, text=text, translator=person_id)
        assert reason in refused.value.message_vi, name
        assert refused.value.message_en, name
    with world.session() as session:
        assert storage.memory_sizes(session) == {}
        assert [r for r in storage.renditions(session, version_id) if r.language == "khm"] == []
    done = apply_translator_input(
        settings, version_id, translation, text="\n".join(good), translator=person_id
    )
    assert done.complete
