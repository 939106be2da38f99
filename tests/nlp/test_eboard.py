"""E-board text people can act on: the action, where, by when and whom to call; no date without its event."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.keyfacts import dates_without_event, eboard_actionables, eboard_keeps
from nlp.clean import clean_text
from nlp.eboard import action_points, eboard_text
from nlp.entities import find_entities
from nlp.sentences import split_sentences
from nlp.summary import summarize

REPO = Path(__file__).resolve().parents[2]
BULLETINS = [
    json.loads(p.read_text(encoding="utf-8"))
    for p in sorted((REPO.parent / "shared" / "data" / "bulletins").glob("dev-*.json"))
]
CATEGORIES = sorted({b["category"] for b in BULLETINS})
EVACUATION = (
    "Thông báo khẩn của UBND xã Tân Lập! Mưa lớn kéo dài làm sườn đồi phía sau thôn Khe Mạ xuất hiện nhiều "
    "vết nứt, nguy cơ sạt lở rất cao. Ban Chỉ huy Phòng thủ dân sự xã yêu cầu 35 hộ dân thôn Khe Mạ sơ tán "
    "ngay đến Nhà văn hóa thôn Đồng Tâm trước 18h hôm nay. Mỗi hộ mang theo giấy tờ tùy thân, thuốc men và "
    "nước uống. Tuyệt đối không quay lại nhà khi chưa có thông báo của xã. Khi cần hỗ trợ, bà con gọi đường "
    "dây nóng 0239 3856 112."
)


def board(bulletin: dict) -> str:
    return summarize(
        bulletin["body"], target_seconds=bulletin["target_seconds"], title=bulletin["title"]
    ).eboard


def test_every_category_of_the_development_bulletins_is_tested() -> None:
    assert len(CATEGORIES) >= 7 and len(BULLETINS) >= 12


@pytest.mark.parametrize("category", CATEGORIES)
def test_eboard_keeps_the_action_and_the_number_to_call(category: str) -> None:
    for bulletin in (b for b in BULLETINS if b["category"] == category):
        eboard = board(bulletin)
        lines = eboard.split("\n")
        assert len(eboard) <= 180 and 2 <= len(lines) <= 4, (bulletin["id"], eboard)
        assert bulletin["title"].startswith(lines[0].rstrip("…"))
        kept = eboard_keeps(split_sentences(clean_text(bulletin["body"])), eboard)
        assert kept["actions"] is not False, (bulletin["id"], eboard)  # something the reader is asked to do
        assert kept["phones"] is not False, (bulletin["id"], eboard)  # and whom to call, when the draft says
        assert dates_without_event(eboard) == [], (bulletin["id"], eboard)


def test_evacuation_board_says_where_to_go_by_when_and_whom_to_call() -> None:
    eboard = summarize(EVACUATION, target_seconds=20, title="KHẨN CẤP: Sơ tán dân thôn Khe Mạ").eboard
    action = next(line for line in eboard.split("\n")[1:] if "sơ tán" in line.lower())
    assert "Nhà văn hóa thôn Đồng Tâm" in action and "18h hôm nay" in action
    assert "0239 3856 112" in eboard
    assert len(eboard) <= 180


def test_emergency_boards_say_where_by_when_and_whom_even_under_a_long_title() -> None:
    emergencies = [b for b in BULLETINS if b["category"] == "khan_cap"]
    assert emergencies
    for bulletin in emergencies:
        eboard = board(bulletin)
        found = eboard_actionables(split_sentences(clean_text(bulletin["body"])))
        lines = "\n".join(eboard.split("\n")[1:])
        assert any(e.label == "TIME" for e in find_entities(lines)), eboard  # by when
        assert re.search(r"(?i)trường|nhà văn hóa|trụ sở|điểm", lines), eboard  # where to go
        assert any(phone in eboard for phone in found["phones"]), eboard  # whom to call
        assert len(eboard) <= 180


def test_a_date_is_never_shown_without_what_happens_then() -> None:
    sentences = [
        "Lịch tiêm phòng dại cho chó, mèo như sau:",
        "Ngày 12/3/2026.",
        "Từ 7h00 đến 11h00, tại nhà văn hóa thôn 3.",
        "Bà con đưa chó, mèo đến nhà văn hóa thôn 3 tiêm phòng từ 7h00 ngày 12/3/2026.",
    ]
    eboard = eboard_text("Tiêm phòng dại cho chó, mèo", sentences)
    assert "Bà con đưa chó, mèo đến nhà văn hóa thôn 3 tiêm phòng từ 7h00 ngày 12/3/2026" in eboard
    assert dates_without_event(eboard) == []
    assert all(not re.fullmatch(r"(?:ngày|từ)\s[\d/h:]+.*", line.lower()) for line in eboard.split("\n")[1:])


def test_framing_and_list_announcements_are_not_points() -> None:
    points = action_points(
        ["Đề nghị bà con:", "UBND xã đề nghị bà con không đốt rơm rạ trên đồng.", "Ngày 12/3/2026."]
    )
    assert [p.text for p in points] == ["UBND xã đề nghị bà con không đốt rơm rạ trên đồng"]
    eboard = eboard_text("Không đốt rơm rạ", ["UBND xã đề nghị bà con không đốt rơm rạ trên đồng ruộng."], 60)
    assert eboard == "Không đốt rơm rạ\nKhông đốt rơm rạ trên đồng ruộng"


def test_a_phone_number_gets_its_own_line_when_its_sentence_is_too_long() -> None:
    sentences = [
        "Bà con khẩn trương thu hoạch lúa trước ngày 20/10/2026.",
        "Mọi thắc mắc về chính sách hỗ trợ, bà con liên hệ cán bộ nông nghiệp xã trong giờ hành chính qua số "
        "điện thoại 0233 3871 115 hoặc trực tiếp tại bộ phận một cửa.",
    ]
    eboard = eboard_text("Thu hoạch lúa chạy lũ", sentences)
    assert eboard.split("\n")[-1] == "Gọi 0233 3871 115"
    assert "hẩn trương thu hoạch lúa trước ngày 20/10/2026" in eboard


def test_empty_draft_gives_the_headline_alone() -> None:
    assert eboard_text("Thông báo", []) == "Thông báo"
