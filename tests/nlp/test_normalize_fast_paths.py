"""The quick tests that let a rule skip a line (no digit, no slash, no capital...) never skip one it would read.

Each row reaches a rule through the edge of its quick test: upper case where the pattern ignores case, a
dotted capital İ that ``str.lower`` turns into two characters, tabs and no-break spaces, digits that are
not ASCII, a tone mark at the end of a word and inside one, a numeral in lower case before a pause.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp import normalize_datetime, normalize_quantities, normalize_references
from nlp.normalize import default_context, normalize_for_speech
from nlp.normalize_common import NUMBER_START, sub_where

EDGES = [
    ("GỌI 113 KHI CÓ CHÁY", "GỌI một một ba KHI CÓ CHÁY"),
    ("HOTLİNE: 113", "hát o tê lờ i en e: một một ba"),
    ("Họp\tlúc 14h30\u00a0tại nhà văn hóa", "Họp lúc mười bốn giờ ba mươi phút tại nhà văn hóa"),
    ("Mục ① và ②", "Mục một và hai"),
    (
        "Hoà Bình, thuỷ lợi, toàn dân, quá trình, khoẻ mạnh",
        "Hòa Bình, thủy lợi, toàn dân, quá trình, khỏe mạnh",
    ),
    ("Chương iv. Điều khoản", "Chương bốn. Điều khoản"),
    ("các hành vi vi phạm", "các hành vi vi phạm"),
    ("sạt lở tại km 18+500 QL.1A", "sạt lở tại ki lô mét mười tám cộng năm trăm quốc lộ một a"),
    ("Làm việc T2-T6, nghỉ CN", "Làm việc thứ hai đến thứ sáu, nghỉ xê en"),
    ("Xem WWW.BAOCHINHPHU.VN", "Xem vê kép vê kép vê kép chấm bảo chính phủ chấm vê en"),
    ("Kế hoạch QĐ-UBND", "Kế hoạch quyết định của ủy ban nhân dân"),
    (
        "Diện tích 1 500 000 m2, khung 2 x 3 m",
        "Diện tích một triệu năm trăm nghìn mét vuông, khung hai nhân ba mét",
    ),
    ("tháng 3 2025", "tháng ba năm hai nghìn không trăm hai mươi lăm"),
    ("Cấp 6-7, THỨ 2-6", "Cấp sáu đến cấp bảy, THỨ hai đến thứ sáu"),
    ("mỗi ha, trên km2", "mỗi héc ta, trên ki lô mét vuông"),
    ("Tỷ lệ 1/2 chi phí, 2 1/2 tháng", "Tỷ lệ một phần hai chi phí, hai và một phần hai tháng"),
    ("  ,x ,, y . . z ..  ", "x, y. z."),
    # Patterns tried only where a number, a phone number or an abbreviation can start: at the line's start,
    # after a bracket or a plus sign, after a word that belongs to the quantity, keys starting in lower case.
    (
        "15/12/2025: họp dân",
        "ngày mười lăm tháng mười hai năm hai nghìn không trăm hai mươi lăm: họp dân",
    ),
    ("(0236) 3822 123 là số trực ban", "không hai ba sáu, ba tám hai hai, một hai ba là số trực ban"),
    ("+84 912 345 678 gọi khi cần", "cộng tám bốn, chín một hai, ba bốn năm, sáu bảy tám gọi khi cần"),
    ("UBND xã (UBND) họp", "Ủy ban nhân dân xã, ủy ban nhân dân, họp"),
    ("Ngày 3/2 và tuần 2-3", "Ngày ba tháng hai và tuần hai đến tuần ba"),
    (
        "Họp từ 8h-10h30, đến 17:45",
        "Họp từ tám giờ đến mười giờ ba mươi phút, đến mười bảy giờ bốn mươi lăm phút",
    ),
    ("Bình minh, BÌNH MINH, YAGI, ABC", "Bình minh, BÌNH MINH, YAGI, a bê xê"),
    # Substring tests and patterns that look for their first capital or letter before what precedes it.
    ("MỖI ha, TRÊN km2, Mỗi kg", "MỖI héc ta, TRÊN ki lô mét vuông, Mỗi ki lô gam"),
    (
        "Giá 50.000 đồng/kg, 3 người/hộ, tốc độ 60 km/h",
        "Giá năm mươi nghìn đồng một ki lô gam, ba người một hộ, tốc độ sáu mươi ki lô mét trên giờ",
    ),
    (
        "theo QĐ-UBND, (BCĐ-PCTT)",
        "theo quyết định của ủy ban nhân dân, ban chỉ đạo và phòng chống thiên tai",
    ),
    ("Làm việc T2, T7 và CN", "Làm việc thứ hai, thứ bảy và chủ nhật"),
    ("Hạng tHứ 3, ứng phó", "Hạng tHứ ba, ứng phó"),
    ("tr. 12, v.v. và đ/c Lan", "Trang mười hai, vân vân và đồng chí Lan"),
    (
        "Tháng 3/2025 và 5-7/2025",
        "Tháng ba năm hai nghìn không trăm hai mươi lăm và tháng năm đến tháng bảy năm hai nghìn không trăm"
        " hai mươi lăm",
    ),
]


@pytest.mark.parametrize(("written", "spoken"), EDGES)
def test_a_rule_reads_what_reaches_the_edge_of_its_quick_test(written: str, spoken: str) -> None:
    assert normalize_for_speech(written) == spoken


def _hinted_patterns() -> list[tuple[re.Pattern[str], re.Pattern[str]]]:
    """Every (hint, pattern) pair the rules try only at the hint's places."""
    context = default_context()
    dt, q, r = normalize_datetime, normalize_quantities, normalize_references
    return [
        (NUMBER_START, dt._DAY_RANGE),
        (dt._DATE_START, dt._DATE_RANGE),
        (dt._DATE_START, dt._ONE_DATE),
        (NUMBER_START, dt._MONTH_RANGE),
        (dt._MONTH_YEAR_START, dt._MONTH_YEAR),
        (NUMBER_START, dt._TIME_RANGE),
        (NUMBER_START, dt._HOUR_RANGE),
        (dt._TIME_START, dt._ONE_TIME),
        (q._QUANTITY_START, context.quantity_pattern),
        (r._PHONE_START, r._PHONE),
        (context.abbreviation_start, context.abbreviation_pattern),
    ]


# Text built from what the patterns read: digits, separators, units, the words before a quantity, keys.
_PIECES = st.sampled_from(
    ["3/2", "15.12.2025", "1-2/10", "3 - 5/2025", "8h", "10h30", "17:45", "2/3h", "0912 345 678", "(0236) 3822",
     "+84 912", "1.500,5", "-3", "0", "1", "2", "3", "9", "12", "31", "2025", "/", ".", ",", "-", ":", "+", "(",
     ")", " ", "  ", "h", "g",
     "p", "'", "$", "€", "km", "m2", "tr", "k", "Tháng ", "tuần ", "cấp ", "ngày ", "UBND", "tr.", "v.v.",
     "đ/c", "PCTT", "TP.", "a", "Bình", "x", "\t", "İ", "٣", "&", "_", "%", "°C",
     "người", "đồng"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_a_pattern_tried_only_where_its_hint_matches_reads_the_same(text: str) -> None:
    for hint, pattern in _hinted_patterns():
        assert sub_where(hint, pattern, lambda m: f"<{m.group()}>", text) == pattern.sub(
            lambda m: f"<{m.group()}>", text
        ), (hint.pattern, pattern.pattern[:60])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_the_per_unit_hint_holds_on_every_line_the_per_unit_pattern_reads(text: str) -> None:
    context = default_context()
    if context.per_pattern.search(text):
        assert context.per_hint.search(text), text
