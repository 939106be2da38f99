"""Sentence split: hard Vietnamese cases and the hand-checked gold of the sample bulletins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.pipeline import load_pipeline
from nlp.sentences import split_sentences

REPO = Path(__file__).resolve().parents[2]
BULLETINS = REPO.parent / "shared" / "data" / "bulletins"
GOLD = Path(__file__).parent / "data" / "sentences_gold.json"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Người dân TP. Hồ Chí Minh được thông báo. Trụ sở ở Q.1 mở cửa.",
            ["Người dân TP. Hồ Chí Minh được thông báo.", "Trụ sở ở Q.1 mở cửa."],
        ),
        (
            "TS. Nguyễn Văn An phát biểu. Hội nghị kết thúc.",
            ["TS. Nguyễn Văn An phát biểu.", "Hội nghị kết thúc."],
        ),
        ("Nước lên 1,5 m. Lưu lượng 1.500 m³/s.", ["Nước lên 1,5 m.", "Lưu lượng 1.500 m³/s."]),
        ("Họp lúc 16h30. Mang theo giấy tờ.", ["Họp lúc 16h30.", "Mang theo giấy tờ."]),
        ("Tiêm ngày 15/12/2025. Tiêm miễn phí.", ["Tiêm ngày 15/12/2025.", "Tiêm miễn phí."]),
        (
            "Theo Quyết định số 135/QĐ-TTg. Xã triển khai ngay.",
            ["Theo Quyết định số 135/QĐ-TTg.", "Xã triển khai ngay."],
        ),
        (
            'Ông nói: “Phải sơ tán ngay.” Bà con đồng ý. Bà hỏi: "Khi nào?" Ông đáp "ngay".',
            ["Ông nói: “Phải sơ tán ngay.”", "Bà con đồng ý.", 'Bà hỏi: "Khi nào?"', 'Ông đáp "ngay".'],
        ),
        ('"Đi ngay!", trưởng thôn nói. Hết.', ['"Đi ngay!", trưởng thôn nói.', "Hết."]),
        (
            "Bà N.T.H., trú tại thôn 2, trình báo. Công an vào cuộc.",
            ["Bà N.T.H., trú tại thôn 2, trình báo.", "Công an vào cuộc."],
        ),
        ("Báo ngay cho UBND. Khi cần, gọi 113.", ["Báo ngay cho UBND.", "Khi cần, gọi 113."]),
        (
            "Đề nghị mỗi gia đình:\n\nĐậy kín dụng cụ chứa nước",
            ["Đề nghị mỗi gia đình:", "Đậy kín dụng cụ chứa nước"],
        ),
        ("Thông báo khẩn! Thông báo khẩn!", ["Thông báo khẩn!", "Thông báo khẩn!"]),
    ],
)
def test_hard_cases_split_where_a_reader_would(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_paragraph_break_always_splits_even_without_final_punctuation() -> None:
    assert split_sentences("Lịch tiêm như sau\n\nbuổi sáng từ 7h30") == [
        "Lịch tiêm như sau",
        "buổi sáng từ 7h30",
    ]


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n ") == []


def test_sample_bulletins_match_hand_checked_gold() -> None:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["bulletins"]
    assert len(gold) >= 12
    for bulletin_id, sentences in gold.items():
        body = json.loads((BULLETINS / f"{bulletin_id}.json").read_text(encoding="utf-8"))["body"]
        assert split_sentences(body) == sentences, bulletin_id


def test_entities_keep_facts_citizens_must_not_lose() -> None:
    doc = load_pipeline(("Nà Khum",))(
        "Bà con Nà Khum, thôn Khuổi Phầy, xã Sơn Lang và TP. Hồ Chí Minh họp lúc 16h30 ngày 15/12/2025 theo "
        "Quyết định 135/QĐ-TTg, hỗ trợ 2.000.000 đồng/ha, gọi 0233 3871 115."
    )
    found = {(e.text, e.label_) for e in doc.ents}
    assert {
        ("Nà Khum", "PLACE"),
        ("thôn Khuổi Phầy", "PLACE"),
        ("xã Sơn Lang", "PLACE"),
        ("TP. Hồ Chí Minh", "PLACE"),
        ("16h30", "TIME"),
        ("15/12/2025", "DATE"),
        ("135/QĐ-TTg", "DOC_NUMBER"),
        ("2.000.000 đồng/ha", "AMOUNT"),
        ("0233 3871 115", "PHONE"),
    } <= found


def test_official_commune_names_are_places_without_being_passed_in() -> None:
    doc = load_pipeline()("Người dân phường Hoàn Kiếm và tỉnh Quảng Trị chú ý.")
    assert {e.text for e in doc.ents if e.label_ == "PLACE"} == {"phường Hoàn Kiếm", "tỉnh Quảng Trị"}


def test_facts_stay_single_tokens_for_the_pyvi_segmenter() -> None:
    doc = load_pipeline()("Ngày 15/12/2025 theo 135/QĐ-TTg lúc 16h30.")
    assert {"15/12/2025", "135/QĐ-TTg", "16h30"} <= {t.text for t in doc}


_PIECES = st.sampled_from(
    [
        "Bà con",
        "TP. Hồ Chí Minh",
        "ngày 15/12/2025",
        "lúc 16h30",
        "135/QĐ-TTg",
        "1,5 m",
        "1.500 hộ",
        "“Đi ngay.”",
        '"Khi nào?"',
        "Q.1",
        "N.T.H.",
        "sơ tán.",
        "Chú ý!",
        "v.v.",
        "\n\n",
        ";",
        ":",
        "🚨",
        "ប្រជាជន",
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=25))
def test_split_never_loses_or_invents_text(pieces: list[str]) -> None:
    text = " ".join(pieces)
    sentences = split_sentences(text)
    assert "".join("".join(sentences).split()) == "".join(text.split())
    assert all(s == s.strip() and s for s in sentences)
