"""Shorter readings that keep the fact-bearing clause, and a choice that values facts not yet told."""

from __future__ import annotations

import pytest

from nlp.sentence_value import (
    option_value,
    redundancy_factor,
    score_sentences,
    tells_past_period,
    without_citations,
)
from nlp.shorten import (
    drop_alternative_contact,
    drop_announcement,
    drop_lead_clause,
    drop_parenthetical_details,
    sentence_options,
)


@pytest.mark.parametrize(
    ("sentence", "shortened"),
    [
        (  # the detail goes, the predicate it interrupted stays
            "Thứ ba, khi đi đò, ghe, xuồng, mọi người, nhất là trẻ em, phải mặc áo phao.",
            "Thứ ba, khi đi đò, ghe, xuồng, mọi người phải mặc áo phao.",
        ),
        (
            "Xã khuyến khích người dân, nhất là thanh niên và phụ nữ, tích cực đăng ký tham gia.",
            "Xã khuyến khích người dân tích cực đăng ký tham gia.",
        ),
        (  # no predicate after the detail: nothing to drop it from
            "Đội mũ bảo hiểm đạt chuẩn khi đi xe máy, kể cả trẻ em từ 6 tuổi trở lên, đặc biệt khi đi xa.",
            "Đội mũ bảo hiểm đạt chuẩn khi đi xe máy, kể cả trẻ em từ 6 tuổi trở lên, đặc biệt khi đi xa.",
        ),
    ],
)
def test_a_detail_between_commas_can_go_the_predicate_stays(sentence: str, shortened: str) -> None:
    assert drop_parenthetical_details(sentence) == shortened
    assert shortened in sentence_options([sentence])[0]


def test_a_second_number_to_call_can_go_the_first_stays() -> None:
    sentence = (
        "Mọi thắc mắc, bà con liên hệ Tổng đài chăm sóc khách hàng của ngành điện, số 1900 1006, hoặc Đội "
        "Quản lý điện khu vực Đức Trọng, số điện thoại 0263 3843 650."
    )
    assert drop_alternative_contact(sentence) == (
        "Mọi thắc mắc, bà con liên hệ Tổng đài chăm sóc khách hàng của ngành điện, số 1900 1006."
    )
    # the shortest reading of the sentence still says whom to call and the number
    shortest = min(sentence_options([sentence])[0], key=len)
    assert "1900 1006" in shortest and "liên hệ" in shortest


def test_one_number_to_call_is_kept_whole() -> None:
    sentence = "Khi xảy ra tai nạn, bà con gọi ngay số 115 hoặc Trạm Y tế xã, số điện thoại 0296 3934 115."
    assert drop_alternative_contact(sentence) == sentence


def test_the_purpose_a_verb_needs_survives_the_new_readings() -> None:
    sentence = (
        "Mỗi gia đình, nhất là hộ có trẻ nhỏ, dành 10 phút mỗi tuần để diệt lăng quăng, úp ngược vật dụng."
    )
    assert all("để diệt lăng quăng" in option for option in sentence_options([sentence])[0])


def test_a_sentence_repeating_facts_already_told_is_worth_less() -> None:
    told = [
        "Bà con đưa chó, mèo đi tiêm phòng dại từ ngày 05/01 đến ngày 09/01/2026 tại nhà văn hóa thôn Nà Pái."
    ]
    repeat = "Lịch tiêm phòng dại: từ ngày 05/01 đến ngày 09/01/2026, thôn Nà Pái."
    new = "Mức thu là 30.000 đồng/con; hộ nghèo được tiêm miễn phí từ ngày 12/01/2026."
    assert redundancy_factor(repeat, told) < redundancy_factor(new, told) == 1.0
    assert redundancy_factor(repeat, []) == 1.0
    # a date is not told by a longer date that starts like it
    assert redundancy_factor("Mưa to từ đêm 15/11.", ["Sơ tán trước 17h ngày 15/11/2025."]) == 1.0


@pytest.mark.parametrize(
    "sentence",
    [
        # a sum or a time spent: without what for, the listener hears a quantity for nothing
        "Mỗi hộ đóng 50.000 đồng để sửa đường bê tông liên thôn, nộp cho trưởng thôn.",
        "Thanh niên các thôn nghỉ 3 ngày để giúp bà con thu hoạch lúa chạy lũ.",
        "Mỗi hộ góp 2 ngày công để đào mương dẫn nước vào đồng.",
        # verbs that hand over or raise resources for a purpose
        "Bà con ủng hộ quần áo, sách vở để giúp học sinh vùng lũ.",
        "Gia đình ông A hiến 200 mét vuông đất để làm đường vào bản.",
    ],
)
def test_what_a_verb_spends_or_gives_keeps_its_purpose(sentence: str) -> None:
    purpose = sentence[sentence.index("để") :].rstrip(".")
    assert all(purpose.split(",")[0] in option for option in sentence_options([sentence])[0])


def test_a_purpose_after_a_time_of_day_can_still_go() -> None:
    # a time of day is when, not what is spent: the purpose is a side clause
    sentence = "Bà con đến Trạm Y tế xã trước 8h00 để được khám sàng lọc miễn phí."
    assert "Bà con đến Trạm Y tế xã trước 8h00." in sentence_options([sentence])[0]


@pytest.mark.parametrize(
    ("sentence", "shortened"),
    [
        (  # source, then cause, then the news with its date
            "Theo Trung tâm Dự báo Khí tượng Thủy văn quốc gia, do ảnh hưởng của không khí lạnh tăng cường, "
            "từ ngày 14/01/2027, các tỉnh vùng núi phía Bắc có rét đậm, rét hại.",
            "Từ ngày 14/01/2027, các tỉnh vùng núi phía Bắc có rét đậm, rét hại.",
        ),
        (  # a topic, then a legal basis, then who gets what
            "Về chính sách hỗ trợ, thực hiện Nghị quyết số 15/2025/NQ-HĐND của HĐND tỉnh, các hộ tham gia hợp "
            "tác xã được hỗ trợ 50% chi phí mua giống.",
            "Các hộ tham gia hợp tác xã được hỗ trợ 50% chi phí mua giống.",
        ),
    ],
)
def test_framing_leads_one_after_another_go_together(sentence: str, shortened: str) -> None:
    assert drop_lead_clause(sentence) == shortened
    assert shortened in sentence_options([sentence])[0]


@pytest.mark.parametrize(
    ("sentence", "shortened"),
    [
        (
            "Lịch tiêm cụ thể như sau: ngày 18/7/2026 tiêm cho bà con các bản Piêng Cu, Na Chạng.",
            "Ngày 18/7/2026 tiêm cho bà con các bản Piêng Cu, Na Chạng.",
        ),
        (  # too little after the colon: the announcement is what says it
            "Hồ sơ gồm các giấy tờ sau đây: đơn, CCCD.",
            "Hồ sơ gồm các giấy tờ sau đây: đơn, CCCD.",
        ),
        (  # a colon that does not announce ("gồm" names what follows)
            "Hồ sơ gồm: đơn đề nghị, bản sao căn cước công dân và sổ hộ khẩu.",
            "Hồ sơ gồm: đơn đề nghị, bản sao căn cước công dân và sổ hộ khẩu.",
        ),
    ],
)
def test_an_announcement_before_a_colon_can_go(sentence: str, shortened: str) -> None:
    assert drop_announcement(sentence) == shortened


def test_a_cited_document_is_worth_nothing_to_the_listener() -> None:
    cited = (
        "Thực hiện Quyết định số 3125/QĐ-UBND ngày 28/11/2025 của UBND tỉnh Nghệ An về giao chỉ tiêu "
        "tuyển quân, xã Kim Liên được giao 32 công dân nhập ngũ."
    )
    bare = "Thực hiện kế hoạch tuyển quân, xã Kim Liên được giao 32 công dân nhập ngũ."
    assert without_citations(cited).startswith("Thực hiện , xã Kim Liên")
    # the document's number, date and issuer add words, not facts
    assert option_value(cited) - option_value(bare) < 1.0
    # nor is the source a forecast is attributed to
    sourced = "Theo Đài Khí tượng Thủy văn tỉnh Vĩnh Long, từ ngày 09/03 mặn vào sâu 55-65 km."
    assert without_citations(sourced) == "từ ngày 09/03 mặn vào sâu 55-65 km."
    # a plan named by what it does, without a number, is not a citation
    plan = "Kế hoạch xuống giống 1.850 ha lúa Đông Xuân 2025-2026 gồm 3 đợt."
    assert without_citations(plan) == plan


def test_a_heading_is_not_news() -> None:
    sentences = [
        "Thông báo khẩn của Ban Chỉ huy Phòng thủ dân sự xã Tà Xùa!",
        "Vào lúc 13h20 chiều nay, tại tiểu khu 512 đã xảy ra cháy rừng.",
    ]
    heading, news = score_sentences(sentences)
    assert heading < 0.2 * news


@pytest.mark.parametrize(
    "sentence",
    [  # "như" right after the verb says how: the verb needs it
        "Lịch cắt điện vẫn giữ như cũ.",
        "Các hộ chăn nuôi tiếp tục thực hiện như hướng dẫn của cán bộ thú y xã.",
    ],
)
def test_how_a_verb_is_done_is_not_a_list_of_examples(sentence: str) -> None:
    assert sentence_options([sentence])[0] == [sentence]


def test_examples_after_a_noun_can_still_go() -> None:
    sentence = "Bà con trồng các loại cây như ngô, đậu tương, lạc trên đất bãi."
    assert "Bà con trồng các loại cây." in sentence_options([sentence])[0]


@pytest.mark.parametrize(
    ("sentence", "past"),
    [
        ("Năm ngoái, trên địa bàn xã có 37 con trâu, bò bị chết rét.", True),
        ("Trong năm 2025, toàn huyện có 3 người tử vong do đuối nước.", True),
        ("Dịp Tết năm 2025, trên Quốc lộ 30 đã xảy ra 4 vụ tai nạn giao thông.", True),
        ("Từ đầu năm 2026 đến nay, toàn huyện ghi nhận 84 ca mắc.", False),  # this year's figures: news
        ("Năm 2026, xã được giao 32 chỉ tiêu nhập ngũ.", False),
        ("Độ mặn đo được sáng nay cao hơn cùng kỳ năm 2025 khoảng 2,5 g/l.", False),
    ],
)
def test_figures_of_an_earlier_period_are_background(sentence: str, past: bool) -> None:
    assert tells_past_period(sentence, 2026) is past


def test_last_years_figures_weigh_less_than_this_years() -> None:
    sentences = [
        "Từ ngày 15/01/2026, Công an xã tăng cường tuần tra.",
        "Năm 2025, trên địa bàn xã đã xảy ra 4 vụ tai nạn giao thông.",
        "Năm 2026, trên địa bàn xã đã xảy ra 4 vụ tai nạn giao thông.",
    ]
    scores = score_sentences(sentences)
    assert scores[1] < 0.6 * scores[2]
