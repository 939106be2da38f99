"""E-board lines keep the action with its place and deadline, shortening other content to make room.

Per category of the development bulletins, the lines (headline aside) show what the draft asks, where
and by when, with the hotline; and drafts written here from ordinary administrative phrasing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.keyfacts import dates_without_event
from nlp.clean import clean_text
from nlp.eboard import action_points, eboard_text
from nlp.sentences import split_sentences

REPO = Path(__file__).resolve().parents[2]
BULLETINS = {
    b["id"]: b
    for b in (
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((REPO.parent / "shared" / "data" / "bulletins").glob("dev-*.json"))
    )
}

# One bulletin per category, and what its board's lines must show: the action's place, its deadline, the
# number to call (the headline may be shortened to make room for them).
EXPECTED = {
    "thoi_tiet_thien_tai": ("dev-001", ["Trường THCS Tân Thạch", "17h ngày 15/11/2025", "0233 3871 115"]),
    "khan_cap": ("dev-012", ["Trường THCS Sơn Lang", "17h30", "0255 3864 112"]),
    "dich_benh_y_te": ("dev-003", ["Trạm Y tế xã", "27/9", "7h00 đến 10h30", "0292 3845 026"]),
    "nong_nghiep": ("dev-005", ["bộ phận một cửa UBND xã", "05/12/2025", "0270 3762 158"]),
    "an_ninh_trat_tu": ("dev-009", ["trụ sở Công an xã", "0207 3822 113"]),
    "van_hoa_xa_hoi": ("dev-011", ["bộ phận một cửa UBND xã", "30/12/2025", "0237 3867 452"]),
    "chinh_sach_phap_luat": ("dev-007", ["mang theo CCCD", "1900 9068"]),
}


def test_every_category_has_an_expected_board() -> None:
    assert {b["category"] for b in BULLETINS.values()} == set(EXPECTED)


@pytest.mark.parametrize("category", sorted(EXPECTED))
def test_board_lines_show_action_place_deadline_and_hotline(category: str) -> None:
    bulletin_id, shown = EXPECTED[category]
    bulletin = BULLETINS[bulletin_id]
    eboard = eboard_text(bulletin["title"], split_sentences(clean_text(bulletin["body"])))
    lines = "\n".join(eboard.split("\n")[1:])
    for text in shown:
        assert text in lines, (bulletin_id, text, eboard)
    assert len(eboard) <= 180 and len(eboard.split("\n")) <= 4, eboard
    assert dates_without_event(eboard) == [], eboard


def test_scam_tricks_listed_in_the_draft_are_not_told_as_actions() -> None:
    bulletin = BULLETINS["dev-009"]
    eboard = eboard_text(bulletin["title"], split_sentences(clean_text(bulletin["body"])))
    assert "chuyển tiền gấp" not in eboard, eboard
    points = action_points(
        [
            "Kẻ gian thường dùng các thủ đoạn sau: giả danh cán bộ thuế gọi điện; yêu cầu nộp phạt qua tài khoản."
        ]
    )
    assert [p.action for p in points] == [0.0, 0.0]


NOTICE = [
    "Thực hiện Kế hoạch số 12/KH-UBND ngày 02/11/2026 của UBND xã Phú Thịnh, UBND xã tổ chức cấp phát "
    "thẻ bảo hiểm y tế cho người cao tuổi.",
    "Thời gian: 8h00 sáng thứ Năm, ngày 19/11/2026.",
    "Địa điểm: hội trường UBND xã Phú Thịnh.",
    "Người nhận mang theo căn cước công dân.",
    "Mọi thắc mắc liên hệ bộ phận văn hóa - xã hội xã, số điện thoại 0274 3651 208.",
]


def test_a_notice_time_and_place_fields_stay_with_their_event() -> None:
    points = action_points(NOTICE)
    event = next(p for p in points if "cấp phát" in p.text)
    assert "8h00" in event.text and "hội trường UBND xã Phú Thịnh" in event.text
    assert not any(p.text.lower().startswith(("thời gian", "địa điểm")) for p in points)
    eboard = eboard_text("Cấp phát thẻ BHYT cho người cao tuổi", NOTICE)
    line = next(line for line in eboard.split("\n")[1:] if "8h00" in line)
    assert "cấp phát" in line.lower() and "19/11/2026" in line and "hội trường UBND xã Phú Thịnh" in line
    assert "thứ Năm" not in line  # the weekday gives way to the place; the date says it
    assert "0274 3651 208" in eboard and dates_without_event(eboard) == []


def test_a_long_headline_gives_way_to_where_and_by_when() -> None:
    sentences = [
        "Để kịp thời hỗ trợ các hộ bị thiệt hại do đợt mưa lũ vừa qua, UBND xã đề nghị các hộ có nhà ở bị "
        "sập, trôi hoặc hư hỏng nặng nộp đơn đề nghị hỗ trợ tại bộ phận một cửa UBND xã trước ngày 30/11/2026.",
        "Khi có người bị thương, cần đưa ngay đến Trạm Y tế xã hoặc gọi 115 để được cấp cứu kịp thời.",
        "Mọi thắc mắc, bà con gọi đường dây nóng của xã 0235 3812 115.",
    ]
    title = "Hướng dẫn hồ sơ đề nghị hỗ trợ khắc phục hậu quả mưa lũ đối với nhà ở và đời sống"
    eboard = eboard_text(title, sentences)
    lines = "\n".join(eboard.split("\n")[1:])
    assert "bộ phận một cửa UBND xã trước ngày 30/11/2026" in lines, eboard
    assert "0235 3812 115" in eboard, eboard
    assert len(eboard) <= 180
    assert title.startswith(eboard.split("\n")[0].rstrip("…"))


def test_a_second_place_gives_way_but_a_second_call_stays() -> None:
    sentences = [
        "Hãy đưa người bệnh đến ngay Trạm Y tế xã hoặc cơ sở y tế gần nhất để được khám và theo dõi."
    ]
    (point,) = action_points(sentences)
    assert "Hãy đưa người bệnh đến ngay Trạm Y tế xã" in eboard_text("Sốt xuất huyết", sentences, 60)
    from nlp.eboard import _without_alternatives

    assert _without_alternatives(point.text, point.destinations).startswith(
        "Hãy đưa người bệnh đến ngay Trạm Y tế xã để"
    )
    kept = "Cần đưa ngay đến Trạm Y tế xã hoặc gọi 115 để được cấp cứu"
    assert _without_alternatives(kept, ["Trạm Y tế xã"]) == kept


def test_a_condition_with_da_is_not_a_report_of_the_past() -> None:
    drink, report = action_points(
        [
            "Đã uống rượu, bia thì không lái xe.",
            "Năm trước đã có 4 vụ tai nạn giao thông vào ngày 20/01/2025 trên tuyến đường liên xã.",
        ]
    )
    assert drink.upcoming
    assert not report.upcoming and not report.dates_something
