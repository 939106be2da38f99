"""The review sheet and the form, as plain functions: what a reviewer reads and may type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

import storage
from flows.review import Route, hard_breaks, review_form, review_sheet
from storage import Priority, RenditionKind

SHA = "a" * 64


def view(language: str, kind: RenditionKind, text: str = "", **extra: object) -> storage.RenditionView:
    fields = dict(
        duration_s=None, loudness_lufs=None, true_peak_dbtp=None, engine="", voice="", sha256="", details={}
    )
    return storage.RenditionView(language=language, kind=kind, text=text, **(fields | extra))


def material(**changes: object) -> storage.ReviewMaterial:
    job = storage.ProductionJob(
        bulletin_id=7,
        version_id=11,
        version_number=2,
        title="Phòng chống bão số 5",
        body="Ngày 15/12/2025, UBND xã tổ chức sơ tán 120 hộ tại thôn Bãi Dinh. Gọi 0912345678 khi cần.",
        category="thoi_tiet_thien_tai",
        priority=Priority.priority,
        target_seconds=30,
        targets=("18904",),
    )
    renditions = (
        view("vie", RenditionKind.script, "Ngày 15/12/2025, UBND xã tổ chức sơ tán tại thôn Bãi Dinh."),
        view("vie", RenditionKind.spoken, "Ngày mười lăm tháng mười hai, ủy ban nhân dân xã tổ chức sơ tán."),
        view("vie", RenditionKind.eboard, "Sơ tán 120 hộ\nthôn Bãi Dinh\n15/12"),
        view("vie", RenditionKind.audio, "…", duration_s=41.5, loudness_lufs=-16.0, sha256=SHA),
        view("khm", RenditionKind.script, "ថ្ងៃទី ១៥ ខែធ្នូ ឃុំរៀបចំការជម្លៀស"),
    )
    fields = dict(job=job, target_names=("Xã Hướng Phùng",), valid_from=None, renditions=renditions)
    return storage.ReviewMaterial(**(fields | changes))


ROUTE = Route(
    level=0, emergency_pool=False, reviewers=((3, "Hoàng Thị Duyệt — Phó Chủ tịch UBND xã (#3)", False),)
)


def sheet(**changes: object) -> str:
    return review_sheet(
        material(**changes),
        route=ROUTE,
        due_at=datetime(2025, 12, 15, 23, 0, tzinfo=UTC),
        audio_links={SHA: f"http://gw/v1/review/audio/11/{SHA}.mp3?exp=1&sig=x"},
        timezone="Asia/Ho_Chi_Minh",
    )


def test_the_sheet_shows_every_text_the_audio_link_and_who_may_approve() -> None:
    text = sheet()
    for heading in ("Bản thảo / Draft", "Kịch bản phát thanh / Radio script", "Spoken (normalized) text"):
        assert heading in text
    assert "Ngày mười lăm tháng mười hai" in text
    assert f"[▶ Nghe / Play](http://gw/v1/review/audio/11/{SHA}.mp3?exp=1&sig=x)" in text
    assert "| vie | 41.5 s | -16.0 LUFS |" in text
    assert "Hoàng Thị Duyệt — Phó Chủ tịch UBND xã (#3)" in text
    assert "06:00 16/12/2025" in text  # the due time in local time


def test_the_eboard_text_keeps_its_line_breaks_as_markdown_hard_breaks() -> None:
    assert "Sơ tán 120 hộ  \nthôn Bãi Dinh  \n15/12" in sheet()
    assert hard_breaks("1. a\n# b\n<script>") == "\\1. a  \n\\# b  \n&lt;script&gt;"


def test_a_translation_stands_beside_its_source() -> None:
    text = sheet()
    assert "| Tiếng Việt / Vietnamese | khm |" in text
    assert (
        "| Ngày 15/12/2025, UBND xã tổ chức sơ tán tại thôn Bãi Dinh. | ថ្ងៃទី ១៥ ខែធ្នូ ឃុំរៀបចំការជម្លៀស |" in text
    )


def test_warnings_name_dropped_facts_over_length_and_failed_language_checks() -> None:
    text = sheet()
    assert "Cảnh báo / Warnings" in text
    assert "“120 hộ”" in text and "“0912345678”" in text  # facts of the draft the script does not say
    assert "“15/12/2025”" not in text.split("Warnings", 1)[1].split("###", 1)[0]  # kept facts are not listed
    assert "41 s" in text or "42 s" in text  # 41.5 s of audio against a 30 s target
    english = (
        *material().renditions[:4],
        view("khm", RenditionKind.script, "This was never translated at all."),
    )
    assert "Language check failed" in sheet(renditions=english)


def test_no_warnings_when_nothing_is_wrong() -> None:
    body = "Ngày 15/12/2025, UBND xã tổ chức sơ tán tại thôn Bãi Dinh."
    job = material().job.__class__(**{**material().job.__dict__, "body": body, "target_seconds": 60})
    assert "Warnings" not in sheet(job=job)


def test_the_form_offers_only_reviewers_with_authority_and_vietnamese_decisions() -> None:
    form = review_form(ROUTE)
    schema = form.model_json_schema()
    assert schema["properties"]["reviewer"]["enum"] == [ROUTE.reviewers[0][1]]
    assert schema["properties"]["decision"]["enum"] == ["duyệt", "từ chối", "yêu cầu sửa"]
    assert all(" / " in schema["properties"][name]["title"] for name in schema["properties"])
    good = {"reviewer": ROUTE.reviewers[0][1], "code": "123456", "decision": "duyệt"}
    assert form(**good).comment == "" and form(**good).edited_script == ""
    for bad in ({"reviewer": "Ai đó (#9)"}, {"code": "12345"}, {"code": "abcdef"}, {"decision": "approve"}):
        with pytest.raises(ValidationError):
            form(**(good | bad))
