"""Ambiguous written forms are read by their neighbours; unknown words stay as written."""

from __future__ import annotations

import pytest

from nlp.normalize import normalize_for_speech


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        # a date: after a day word, a part of the day or a weekday
        ("Sáng 3/2, xã ra quân", "Sáng ngày ba tháng hai, xã ra quân"),
        ("từ 3/2 đến 5/2", "từ ngày ba tháng hai đến ngày năm tháng hai"),
        ("Chủ nhật 14/12, dọn vệ sinh", "Chủ nhật ngày mười bốn tháng mười hai, dọn vệ sinh"),
        # a date used as a name: a street, a school, a holiday
        ("tuyến đường 3/2", "tuyến đường ba tháng hai"),
        ("tuyến đường 3/2 phường 4", "tuyến đường ba tháng hai phường bốn"),
        ("Trường THCS 19/5", "Trường trung học cơ sở mười chín tháng năm"),
        ("mừng Quốc khánh 2/9", "mừng Quốc khánh hai tháng chín"),
        ("Bệnh viện 19-8", "Bệnh viện mười chín tháng tám"),
        # a lunar date
        ("Giỗ Tổ 10/3 âm lịch", "Giỗ Tổ mùng mười tháng ba âm lịch"),
        ("ngày 12/12 ÂL", "ngày mười hai tháng chạp âm lịch"),
        # a share of a whole
        ("khoảng 3/4 diện tích", "khoảng ba phần tư diện tích"),
        ("giảm 1/2 giá vé", "giảm một phần hai giá vé"),
        ("bản đồ tỷ lệ 1/2.000", "bản đồ tỷ lệ một phần hai nghìn"),
        ("thi công 2 1/2 tháng", "thi công hai và một phần hai tháng"),
        ("nhiệt độ giảm -3/4 độ", "nhiệt độ giảm âm ba phần tư độ"),
        # a count out of a total
        ("có 3/4 thôn bị ngập", "có ba trên bốn thôn bị ngập"),
        ("đạt 17/19 tiêu chí", "đạt mười bảy trên mười chín tiêu chí"),
        # a house number
        ("số nhà 45/7 Lê Lợi", "số nhà bốn mươi lăm trên bảy Lê Lợi"),
        # a document number
        ("Quyết định 3/QĐ-UBND", "Quyết định số ba của ủy ban nhân dân"),
        ("Nghị quyết 57-NQ/TW", "Nghị quyết số năm mươi bảy của trung ương"),
        # a ratio of two quantities of a unit
        ("trạm biến áp 22/0,4 kV", "trạm biến áp hai mươi hai trên không phẩy bốn ki lô vôn"),
    ],
)
def test_a_slash_number_is_read_as_its_neighbours_say(written: str, spoken: str) -> None:
    assert normalize_for_speech(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Sở GD&ĐT thông báo lịch thi 10/6", "Sở giáo dục và đào tạo thông báo lịch thi ngày mười tháng sáu"),
        (
            "UBND xã Tân Hòa thông báo 15/12",
            "Ủy ban nhân dân xã Tân Hòa thông báo ngày mười lăm tháng mười hai",
        ),
        (
            "Phường tổ chức Ngày hội Đại đoàn kết toàn dân tộc 18/11",
            "Phường tổ chức Ngày hội Đại đoàn kết toàn dân tộc mười tám tháng mười một",
        ),
    ],
)
def test_a_date_belongs_to_a_name_only_when_no_verb_stands_between(written: str, spoken: str) -> None:
    assert normalize_for_speech(written) == spoken


def test_a_slash_number_nothing_decides_is_read_as_a_date() -> None:
    # In bulletins dates far outnumber fractions, so an announcer reads "3/4" alone as a date.
    assert normalize_for_speech("3/4") == "ngày ba tháng tư"
    assert normalize_for_speech("Thông báo 20/12 tới các thôn") == (
        "Thông báo ngày hai mươi tháng mười hai tới các thôn"
    )


def test_a_dash_between_small_numbers_is_a_range_unless_a_part_of_the_day_precedes_it() -> None:
    assert normalize_for_speech("nghỉ từ 3-5 ngày") == "nghỉ từ ba đến năm ngày"
    assert normalize_for_speech("Chiều 14-11, lũ lên") == "Chiều ngày mười bốn tháng mười một, lũ lên"


def test_weekday_abbreviations_are_read_only_beside_days() -> None:
    assert normalize_for_speech("làm việc từ T2 đến T6") == "làm việc từ thứ hai đến thứ sáu"
    assert normalize_for_speech("mở cửa cả T7, CN") == "mở cửa cả thứ bảy, chủ nhật"
    assert normalize_for_speech("Nhà T2, tầng 3") == "Nhà tê hai, tầng ba"


def test_lower_case_roman_numerals_are_read_only_before_a_pause() -> None:
    assert normalize_for_speech("thế kỷ vi") == "thế kỷ sáu"
    assert normalize_for_speech("xử phạt theo khoản vi phạm") == "xử phạt theo khoản vi phạm"
    assert normalize_for_speech("số di động") == "số di động"


@pytest.mark.parametrize("word", ["Zalo", "Kajiki", "Viettel", "TikTok", "RAGASA", "YAGI", "Paracetamol"])
def test_a_word_the_normalizer_does_not_know_is_left_as_written(word: str) -> None:
    assert normalize_for_speech(f"bão {word} đi vào") == f"bão {word} đi vào"


@pytest.mark.parametrize(
    ("initialism", "spelled"), [("SMS", "ét mờ ét"), ("RSV", "rờ ét vê"), ("GHTK", "gờ hát tê ca")]
)
def test_an_initialism_that_cannot_be_read_as_syllables_is_spelled(initialism: str, spelled: str) -> None:
    assert normalize_for_speech(f"nhận {initialism} mới") == f"nhận {spelled} mới"


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("10000000000000000 đồng", "mười triệu tỷ đồng"),
        ("1000000000000000000", "một tỷ tỷ"),
        ("2.500.000.000.000.000 đồng", "hai triệu năm trăm nghìn tỷ đồng"),
        ("mã hồ sơ 000123456789", "mã hồ sơ không không không một hai ba bốn năm sáu bảy tám chín"),
    ],
)
def test_amounts_past_ten_to_the_fifteen_are_still_read_as_numbers(written: str, spoken: str) -> None:
    assert normalize_for_speech(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("học bổng 1tr5", "học bổng một triệu năm trăm nghìn"),
        ("giá 2t3", "giá hai tỷ ba trăm triệu"),
        ("từ 10k-20k", "từ mười nghìn đến hai mươi nghìn"),
        ("giá 50.000đ-100.000đ", "giá năm mươi nghìn đồng đến một trăm nghìn đồng"),
        ("cáp 3kg-6kg", "cáp ba ki lô gam đến sáu ki lô gam"),
        ("pin 5.000 mAh", "pin năm nghìn mi li am pe giờ"),
        ("máy biến áp 250 kVA", "máy biến áp hai trăm năm mươi ki lô vôn am pe"),
        ("tệp 10 MB, thẻ 16 GB", "tệp mười mê ga bai, thẻ mười sáu gi ga bai"),
        ("điện áp 220v, 50hz", "điện áp hai trăm hai mươi vôn, năm mươi héc"),
        ("thời gian 3p20s", "thời gian ba phút hai mươi giây"),
        ("trước 17 giờ 00 ngày 5/1", "trước mười bảy giờ ngày năm tháng một"),
        ("gọi 114 (cứu hỏa), 115 (cấp cứu)", "gọi một một bốn, cứu hỏa, một một năm, cấp cứu"),
        ("có 115 hộ", "có một trăm mười lăm hộ"),
        ("Đ/c Chủ tịch", "Đồng chí Chủ tịch"),
        ("Trung tâm Y tế huyện (TTYT) khuyến cáo", "Trung tâm Y tế huyện khuyến cáo"),
        ("1, 2, 3 v.v.", "một, hai, ba vân vân"),
        ("Ấp 3A", "Ấp ba a"),
    ],
)
def test_shorthands_units_and_names_found_in_administrative_text(written: str, spoken: str) -> None:
    assert normalize_for_speech(written) == spoken
