"""The editor's side: a draft written in the Prefect UI's run form is stored, then produced."""

from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.context import get_run_context
from pydantic import BaseModel, ConfigDict, Field, field_validator

import storage
import tts
from flows import stages
from flows.produce import ProduceRequest, produce_bulletins
from flows.settings import PipelineSettings

# The form shows each choice's Vietnamese name; the database keeps the member's name (the code).
# Enum docstrings are the form's help text, so they are written for officers.


class Category(enum.StrEnum):
    """Lĩnh vực của bản tin."""

    thoi_tiet_thien_tai = "Thời tiết, thiên tai"
    dich_benh_y_te = "Dịch bệnh, y tế"
    nong_nghiep = "Nông nghiệp"
    chinh_sach_phap_luat = "Chính sách, pháp luật"
    an_ninh_trat_tu = "An ninh, trật tự"
    van_hoa_xa_hoi = "Văn hóa, xã hội"
    khan_cap = "Khẩn cấp"


class PriorityChoice(enum.StrEnum):
    """Mức độ ưu tiên phát theo Thông tư 39/2020/TT-BTTTT."""

    normal = "Thông thường"
    priority = "Ưu tiên"
    emergency = "Khẩn cấp"


class DraftRefused(ValueError):
    """A draft the editor must correct; the run's error shows both languages."""

    def __init__(self, message_en: str, message_vi: str) -> None:
        super().__init__(f"Lỗi: {message_vi} / Error: {message_en}")
        self.message_en, self.message_vi = message_en, message_vi


def installed_voices(settings: PipelineSettings) -> list[str]:
    """Names of the Vietnamese voices that run on this machine (tts's registry decides)."""
    return [v.name for v in tts.voices_for_language("vie", settings.tts_models_dir)]


def _voice_choices(schema: dict[str, Any]) -> None:
    """The form's voice list, read from the registry when the deployment's schema is built."""
    settings = PipelineSettings()
    names = installed_voices(settings)
    schema["enum"] = names
    schema["default"] = settings.default_voice if settings.default_voice in names else names[0]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("không được để trống / must not be empty")
    return value.strip()


class EditorDraft(BaseModel):
    """Bản tin mới: nội dung, địa bàn nhận, ngày phát và giọng đọc."""

    model_config = ConfigDict(title="Bản tin mới")

    title: str = Field(
        min_length=1, max_length=500, title="Tiêu đề", description="Tiêu đề ngắn gọn của bản tin."
    )
    body: str = Field(
        min_length=1,
        title="Nội dung",
        description="Toàn văn bản tin; các đoạn cách nhau bằng một dòng trống. Hệ thống sẽ tóm tắt "
        "thành bản đọc trên loa đúng độ dài đã chọn.",
        json_schema_extra={"format": "textarea"},
    )
    category: Category = Field(Category.van_hoa_xa_hoi, title="Lĩnh vực", description="Chủ đề của bản tin.")
    priority: PriorityChoice = Field(
        PriorityChoice.normal,
        title="Mức độ",
        description="Thông thường: phát vào khung giờ kế tiếp. Ưu tiên: người duyệt cấp trên được báo nếu "
        "chưa duyệt kịp. Khẩn cấp: phát ngay sau khi duyệt, chen trước lịch phát.",
    )
    source_unit: str = Field(
        min_length=1,
        title="Đơn vị ban hành",
        description="Mã đơn vị hành chính ban hành bản tin (tỉnh, xã/phường), ví dụ 44 hoặc 18904.",
    )
    target_units: list[str] = Field(
        min_length=1,
        title="Địa bàn nhận",
        description="Mã các đơn vị nhận bản tin (xã/phường hoặc thôn); bản tin phát trên mọi cụm loa và "
        "bảng tin điện tử thuộc các đơn vị này.",
    )
    broadcast_date: date = Field(
        title="Ngày phát",
        description="Ngày bản tin được phát (giờ Việt Nam); không chọn ngày đã qua.",
    )
    target_seconds: int = Field(
        60, ge=10, le=1800, title="Thời lượng đọc (giây)", description="Độ dài bản đọc trên loa."
    )
    voice: str = Field(
        "",
        title="Giọng đọc",
        description="Giọng đọc tiếng Việt được cài trên máy chủ.",
        json_schema_extra=_voice_choices,
    )
    editor_name: str = Field("", max_length=200, title="Người soạn", description="Họ tên người soạn bản tin.")

    _trimmed = field_validator("title", "body", "source_unit")(_not_blank)

    @field_validator("target_units")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        cleaned = [code.strip() for code in codes]
        if not all(cleaned):
            raise ValueError("có mã địa bàn để trống / a target unit code is empty")
        return list(dict.fromkeys(cleaned))


def as_bulletin_draft(draft: EditorDraft, *, timezone: str, external_id: str) -> storage.BulletinDraft:
    """The form's draft in storage's terms: codes for choices, the broadcast day as a validity window."""
    tz = ZoneInfo(timezone)
    starts = datetime.combine(draft.broadcast_date, time.min, tzinfo=tz)
    return storage.BulletinDraft(
        title=draft.title,
        body=draft.body,
        category=draft.category.name,
        priority=storage.Priority[draft.priority.name],
        source_unit=draft.source_unit,
        target_units=draft.target_units,
        target_seconds=draft.target_seconds,
        valid_from=starts,
        valid_until=starts + timedelta(days=1),
        external_id=external_id,
        created_by=draft.editor_name,
    )


def check_broadcast_date(day: date, *, timezone: str, today: date | None = None) -> None:
    """A broadcast day in the past cannot be met."""
    today = today or datetime.now(ZoneInfo(timezone)).date()
    if day < today:
        raise DraftRefused(
            f"the broadcast date {day:%d/%m/%Y} has passed; choose today or a later day",
            f"ngày phát {day:%d/%m/%Y} đã qua; hãy chọn hôm nay hoặc một ngày sau",
        )


def check_voice(voice: str, settings: PipelineSettings) -> str:
    """The chosen voice (or the configured default) if it runs here, else the list of those that do."""
    names = installed_voices(settings)
    chosen = voice or settings.default_voice
    if chosen not in names:
        raise DraftRefused(
            f"the voice {chosen!r} is not installed; choose one of: {', '.join(names)}",
            f"giọng đọc {chosen!r} chưa được cài; hãy chọn một trong: {', '.join(names)}",
        )
    return chosen


def store_draft(settings: PipelineSettings, draft: EditorDraft, *, external_id: str) -> tuple[int, int, bool]:
    """Store the draft as `bantin bulletins submit` does; returns (bulletin id, version number, new)."""
    check_broadcast_date(draft.broadcast_date, timezone=settings.timezone)
    try:
        with stages.open_session(settings) as session:
            bulletin, version, created = storage.save_draft(
                session=session,
                draft=as_bulletin_draft(draft, timezone=settings.timezone, external_id=external_id),
            )
            return bulletin.id, version.number, created
    except storage.StorageError as exc:
        raise DraftRefused(exc.message_en, exc.message_vi) from exc


@flow(name="write-bulletin", log_prints=True)
def write_bulletin(draft: EditorDraft) -> dict:
    """Store an editor's new bulletin and produce it; its review waits in its own run.

    Args:
        draft: Bản tin mới cần soạn; sau khi lưu, hệ thống sản xuất bản đọc, âm thanh và gửi người duyệt.
    """
    logger = get_run_logger()
    settings = PipelineSettings()
    voice = check_voice(draft.voice, settings)
    # The run's id keeps a retried run from storing the same draft twice.
    run_id = get_run_context().flow_run.id
    bulletin_id, number, created = store_draft(settings, draft, external_id=f"prefect-{run_id}")
    logger.info(
        "Bản tin #%s phiên bản %s %s / bulletin #%s version %s %s",
        bulletin_id,
        number,
        "đã lưu" if created else "đã có",
        bulletin_id,
        number,
        "stored" if created else "unchanged",
    )
    production = produce_bulletins(ProduceRequest(bulletins=[str(bulletin_id)], voice=voice))
    return {"bulletin_id": bulletin_id, "version": number, "production": production}
