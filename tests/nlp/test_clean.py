"""clean_text: the one Unicode, tone-mark, markup and whitespace convention of the system."""

from __future__ import annotations

import unicodedata

import pytest

from nlp.clean import clean_text


def test_decomposed_input_becomes_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Thông báo khẩn của Ủy ban")
    cleaned = clean_text(decomposed)
    assert cleaned == "Thông báo khẩn của Ủy ban"
    assert unicodedata.is_normalized("NFC", cleaned)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("hoà giải", "hòa giải"),
        ("thuỷ lợi", "thủy lợi"),
        ("uỷ ban", "ủy ban"),
        ("UỶ BAN", "ỦY BAN"),
        ("sức khoẻ", "sức khỏe"),
        ("văn hoá", "văn hóa"),
        ("Toà án", "Tòa án"),
        ("loè loẹt", "lòe loẹt"),
    ],
)
def test_new_style_tone_marks_move_to_the_old_style_used_by_the_data(written: str, expected: str) -> None:
    assert clean_text(written) == expected


@pytest.mark.parametrize(
    "word", ["hoàn thành", "quý", "quỳ", "khuyến", "thuở", "hòa", "thủy", "toán", "giày"]
)
def test_syllables_where_both_styles_agree_are_unchanged(word: str) -> None:
    assert clean_text(word) == word


def test_html_block_tags_become_paragraphs_and_entities_are_unescaped() -> None:
    html = "<div><h2>Thông báo</h2><p>Lịch tiêm&nbsp;vắc xin:</p><ul><li>Thôn 1</li><li>Thôn 2 &amp; 3</li></ul></div>"
    assert clean_text(html) == "Thông báo\n\nLịch tiêm vắc xin:\n\nThôn 1\nThôn 2 & 3"


def test_br_is_a_line_break_and_script_content_is_dropped() -> None:
    assert (
        clean_text("Dòng một<br/>Dòng hai<script>alert(1)</script><!-- ghi chú -->") == "Dòng một\nDòng hai"
    )


def test_less_than_in_plain_text_is_not_taken_for_a_tag() -> None:
    assert clean_text("nhiệt độ < 13 độ và > 5 độ") == "nhiệt độ < 13 độ và > 5 độ"


def test_control_and_invisible_characters_are_removed_but_newlines_kept() -> None:
    text = "Bản\x00 tin\u200b số\x07 1\ufeff\r\nđã phát\x1b"
    assert clean_text(text) == "Bản tin số 1\nđã phát"


def test_emoji_are_removed_and_meaningful_symbols_kept() -> None:
    assert clean_text("Cảnh báo ⚠️ bão 🌀 25°C, 50 m², 5% 👍🏽") == "Cảnh báo bão 25°C, 50 m², 5%"


def test_a_line_of_only_emoji_disappears_without_leaving_a_paragraph_break() -> None:
    assert clean_text("Dòng một\n🌀🌀\nDòng hai\n\nĐoạn hai") == "Dòng một\nDòng hai\n\nĐoạn hai"


def test_odd_spaces_quotes_dashes_and_ellipsis_are_normalized() -> None:
    text = "«Chiến dịch»\u00a0“Xanh”\u2003– ‘sạch’ — 5−7 ngày…"
    assert clean_text(text) == '"Chiến dịch" "Xanh" - \'sạch\' - 5-7 ngày...'


def test_paragraphs_are_separated_by_exactly_one_blank_line() -> None:
    text = "  Đoạn một.  \n\n\n\n   Đoạn   hai\tcó tab.\n \n\t\nĐoạn ba.\n\n"
    assert clean_text(text) == "Đoạn một.\n\nĐoạn hai có tab.\n\nĐoạn ba."


def test_icelandic_eth_typed_for_d_with_stroke_is_repaired() -> None:
    assert clean_text("ÐẠI HỘI") == "ĐẠI HỘI"


def test_fullwidth_characters_become_ascii() -> None:
    assert clean_text("Ｔｈôn １２") == "Thôn 12"


@pytest.mark.parametrize("text", ["", " ", "\n\n", "\ud800", "<", "&#xD800;", "&", "<p", "\x00" * 5])
def test_odd_input_never_raises(text: str) -> None:
    assert isinstance(clean_text(text), str)
