"""The quick tests that let a rule skip a line (no digit, no slash, no capital...) never skip one it would read.

Each row reaches a rule through the edge of its quick test: upper case where the pattern ignores case, a
dotted capital İ that ``str.lower`` turns into two characters, tabs and no-break spaces, digits that are
not ASCII, a tone mark at the end of a word and inside one, a numeral in lower case before a pause.
"""

from __future__ import annotations

import pytest

from nlp.normalize import normalize_for_speech

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
]


@pytest.mark.parametrize(("written", "spoken"), EDGES)
def test_a_rule_reads_what_reaches_the_edge_of_its_quick_test(written: str, spoken: str) -> None:
    assert normalize_for_speech(written) == spoken
