"""Voice registry: every engine listed with licence and availability, unknown voices and languages explained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tts
from tts.errors import EngineUnavailable, UnknownLanguage, UnknownVoice
from tts.registry import get_engine, list_engines, register_engine


def test_espeak_vietnamese_voices_are_listed_with_region_and_licence() -> None:
    voices = {v.name: v for v in tts.list_voices()}
    for name, region in [
        ("espeak-vi-north", "north"),
        ("espeak-vi-central", "central"),
        ("espeak-vi-south", "south"),
    ]:
        info = voices[name]
        assert info.available, info.reason
        assert (info.engine, info.language, info.region, info.licence) == ("espeak", "vie", region, "GPL-3.0")
        assert info.sample_rate == 22050
    assert tts.DEFAULT_VOICE in voices


def test_unknown_voice_lists_the_known_names() -> None:
    with pytest.raises(UnknownVoice) as caught:
        tts.get_voice("espeak-vi-hue")
    assert "espeak-vi-north" in caught.value.message_en
    assert "espeak-vi-south" in caught.value.message_vi
    assert "bantin voices" in caught.value.message_en


def test_language_without_engine_says_how_to_upload_a_recording() -> None:
    with pytest.raises(UnknownLanguage) as caught:
        tts.voices_for_language("khm")
    for message in (caught.value.message_en, caught.value.message_vi):
        assert "bantin audio import FILE --bulletin ID --language khm" in message
        assert "vie" in message


def test_voices_for_vietnamese_accepts_two_and_three_letter_codes() -> None:
    names = {v.name for v in tts.voices_for_language("vi")}
    assert {"espeak-vi-north", "espeak-vi-central", "espeak-vi-south"} <= names
    assert names == {v.name for v in tts.voices_for_language("vie")}


def test_every_registered_engine_is_listed_even_when_it_cannot_run() -> None:
    engines = {row["engine"]: row for row in list_engines()}
    assert {"espeak", "vits", "coqui"} <= set(engines)
    for row in engines.values():
        assert row["available"] or row["reason"], row


def test_engine_whose_module_is_missing_is_unavailable_with_the_reason(tmp_path: Path) -> None:
    register_engine("piper", "tts.piper_engine_not_written:ENGINE")
    try:
        row = next(r for r in list_engines() if r["engine"] == "piper")
        assert not row["available"]
        assert "tts.piper_engine_not_written" in row["reason"]
        with pytest.raises(EngineUnavailable):
            get_engine("piper")
    finally:
        from tts.registry import ENGINES

        ENGINES.pop("piper")


def test_local_coqui_model_is_listed_with_its_language_and_licence(tmp_path: Path) -> None:
    model = tmp_path / "xtts-km"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model": "vits", "audio": {"sample_rate": 24000}}))
    (model / "model.pth").write_bytes(b"not a real checkpoint")
    (model / "bantin-voice.json").write_text(
        json.dumps({"language": "khm", "region": None, "licence": "CPML"}), encoding="utf-8"
    )
    (tmp_path / "notes").mkdir()  # a directory without a model is not a voice
    voices = {v.name: v for v in tts.list_voices(tmp_path)}
    info = voices["coqui-xtts-km"]
    assert (info.engine, info.language, info.sample_rate, info.licence) == ("coqui", "khm", 24000, "CPML")
    assert info.model_dir == model
    assert info.available or info.reason
    assert not any(name.endswith("notes") for name in voices)


def test_mms_model_without_manifest_shows_the_non_commercial_licence(tmp_path: Path) -> None:
    model = tmp_path / "mms-tts-vie"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "vits", "sampling_rate": 16000}))
    info = next(v for v in tts.list_voices(tmp_path) if v.name == "vits-mms-tts-vie")
    assert (info.engine, info.language, info.licence) == ("vits", "vie", "CC-BY-NC-4.0")


def test_public_api_names_resolve() -> None:
    for name in tts.__all__:
        assert getattr(tts, name) is not None


def test_language_whose_only_voice_cannot_run_names_that_voice_and_why(tmp_path: Path) -> None:
    model = tmp_path / "mms-tts-khm"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "vits"}))
    register_engine("vits", "tts.vits_engine_missing:ENGINE")  # as if the neural extra were not installed
    try:
        with pytest.raises(UnknownLanguage) as caught:
            tts.voices_for_language("km", tmp_path)
    finally:
        register_engine("vits", "tts.vits_engine:ENGINE")
    assert "vits-mms-tts-khm" in caught.value.message_en
    assert "tts.vits_engine_missing" in caught.value.message_en
    assert "bantin audio import" in caught.value.message_vi
