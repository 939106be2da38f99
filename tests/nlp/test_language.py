"""Language checks of drafts: Vietnamese or not, tone marks present, size, and messy input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.errors import EmptyText, MissingDiacritics, NotVietnamese, TextError, TextTooLong
from nlp.language import MAX_DRAFT_CHARS, check_language, validate_draft

SAMPLES = json.loads((Path(__file__).parent / "data" / "language_samples.json").read_text(encoding="utf-8"))[
    "samples"
]


def test_mixed_sample_texts_are_identified() -> None:
    right = [
        s["text"]
        for s in SAMPLES
        if (r := check_language(s["text"])).language == s["expected"]
        and r.missing_diacritics == bool(s.get("missing_diacritics"))
    ]
    assert len(right) / len(SAMPLES) >= 0.9, set(s["text"] for s in SAMPLES) - set(right)


def test_khmer_is_recognised_by_its_script() -> None:
    report = check_language("ប្រជាពលរដ្ឋត្រូវជម្លៀសចេញទៅកន្លែងសុវត្ថិភាព")
    assert report.language == "khm"
    assert report.khmer_share > 0.9


def test_vietnamese_report_measures_diacritics() -> None:
    report = check_language("Bà con khẩn trương sơ tán trước 17h ngày 15/11/2025.")
    assert report.language == "vie"
    assert report.diacritic_share > 0.5
    assert report.suggestion is None


def test_vietnamese_without_tone_marks_is_flagged_with_a_suggestion() -> None:
    report = check_language("Ba con khan truong so tan den noi an toan truoc 17h ngay mai.")
    assert report.language == "vie"
    assert report.missing_diacritics
    assert report.suggestion


def test_text_without_letters_is_undetermined() -> None:
    assert check_language("12345 !!! 😀").language == "und"


def test_validate_draft_returns_the_cleaned_text() -> None:
    cleaned = validate_draft("<p>Bà con&nbsp;chú ý 👍 sơ tán trước 17h.</p>\n\n<p>Gọi ngay 113.\x07</p>")
    assert "<p>" not in cleaned and "\x07" not in cleaned and "👍" not in cleaned
    assert "Bà con" in cleaned and "\n\n" in cleaned


@pytest.mark.parametrize("text", ["", "   \n\t  ", "<p> </p>", "😀😀😀"])
def test_empty_drafts_are_refused(text: str) -> None:
    with pytest.raises(EmptyText) as err:
        validate_draft(text)
    assert err.value.message_vi and err.value.message_en


def test_too_long_draft_states_limit_and_length() -> None:
    text = "Bà con chú ý sơ tán. " * 2000
    with pytest.raises(TextTooLong) as err:
        validate_draft(text)
    assert f"{MAX_DRAFT_CHARS:,}" in err.value.message_en
    assert f"{len(text.strip()):,}" in err.value.message_en or f"{len(text):,}" in err.value.message_en


def test_limit_can_be_set_by_the_caller() -> None:
    with pytest.raises(TextTooLong):
        validate_draft("Bà con chú ý sơ tán ngay.", max_chars=10)


def test_english_draft_is_refused_naming_the_language() -> None:
    with pytest.raises(NotVietnamese) as err:
        validate_draft("Residents must evacuate to a safe place before 5 pm today because of the flood.")
    assert "English" in err.value.message_en
    assert "tiếng Anh" in err.value.message_vi


def test_khmer_draft_is_refused() -> None:
    with pytest.raises(NotVietnamese) as err:
        validate_draft("ប្រជាពលរដ្ឋត្រូវជម្លៀសចេញទៅកន្លែងសុវត្ថិភាពមុនម៉ោង ៥ ល្ងាច។")
    assert "khm" in err.value.message_en


def test_missing_tone_marks_are_refused_with_a_restoration_never_applied() -> None:
    text = "Ba con khan truong so tan den noi an toan truoc 17h ngay mai."
    with pytest.raises(MissingDiacritics) as err:
        validate_draft(text)
    assert "đến nơi" in err.value.message_vi  # pyvi's suggested restoration is offered
    assert "not applied" in err.value.message_en


def test_vietnamese_with_emoji_english_terms_and_khmer_name_passes() -> None:
    text = "Xã phát WiFi miễn phí 📶 tại nhà văn hóa; phum ស្រែ Tân Thạch họp lúc 8h00."
    assert "WiFi" in validate_draft(text)


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_cleaned_or_refused_with_a_text_error(text: str) -> None:
    try:
        cleaned = validate_draft(text)
    except TextError as err:
        assert err.message_vi and err.message_en
    else:
        assert cleaned.strip()
