"""The review step: one run per bulletin version with its sheet, a typed form, checks, decisions, edits, timeouts.

A version's review is its own flow run (`review-bulletin`). It claims the version (one review per
version), publishes the review sheet as a markdown artifact, and waits for a reviewer's typed input
(pause in-process, suspend from a deployment). Every answer goes through storage.decide_review (one-time
code, authority, state); a refused answer leaves the run waiting with the reason on the next form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
from prefect.client.schemas.objects import StateType
from prefect.context import get_run_context
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import resume_flow_run, suspend_flow_run
from prefect.input import RunInput
from prefect.states import Cancelled
from pydantic import BaseModel, Field, WithJsonSchema, create_model

import nlp
import storage
from flows import stages
from flows.settings import PipelineSettings
from flows.waiting import RunCancelled, pause_in_process
from storage import Priority, RenditionKind, ReviewDecision, StorageError

DECISION_LABELS: dict[ReviewDecision, str] = {
    ReviewDecision.approve: "duyệt",
    ReviewDecision.reject: "từ chối",
    ReviewDecision.request_changes: "yêu cầu sửa",
}
DECISION_BY_LABEL = {label: decision for decision, label in DECISION_LABELS.items()}
PAUSE_KEY = re.compile(r"^review-v(\d+)-(\d+)$")
PERSON_ID = re.compile(r"\(#(\d+)\)$")
PRIORITY_NAMES = {
    Priority.normal: "Thường / normal",
    Priority.priority: "Ưu tiên / priority",
    Priority.emergency: "Khẩn cấp / emergency",
}


class ReviewRequestParams(BaseModel):
    """Which version to review and what to do once it is approved (the review run's form)."""

    version_id: int = Field(
        ge=1, title="Phiên bản / Version", description="Mã phiên bản bản tin / Bulletin version id."
    )
    voice: str = Field(
        "", title="Giọng đọc / Voice", description="Giọng đọc cho kịch bản sửa / Voice for an edited script."
    )
    distribute: bool = Field(
        True,
        title="Phát ngay khi duyệt / Distribute",
        description="Gửi tới thiết bị khi được duyệt / Send to devices once approved.",
    )
    review_timeout_minutes: int | None = Field(
        None,
        ge=1,
        title="Thời hạn duyệt (phút) / Review timeout (minutes)",
        description="Để trống: theo cấu hình / Empty: configured default.",
    )


class ReviewNotWaiting(StorageError):
    """The run is not waiting for a review (finished, or never paused for one)."""

    code = "review_not_waiting"


class ReviewHeld(ReviewNotWaiting):
    """A language of the target units has no approved rendition yet: the review waits for it.

    A review freezes the version, and what devices play must be what the reviewer saw, so the
    sheet is only opened once every language stands beside its Vietnamese source.
    """

    code = "review_held"


_KIND_NAMES = {
    "script": (
        "script (translator: the translate-bulletin run)",
        "bản dịch (người dịch: lượt translate-bulletin)",
    ),
    "eboard": ("e-board text", "văn bản bảng tin"),
    "audio": ("recorded reading (bantin audio import)", "bản ghi âm (bantin audio import)"),
}


def _held_for(session, version_id: int) -> tuple[str, str] | str:  # type: ignore[no-untyped-def]
    """What the version still lacks per language, in English and Vietnamese; "" when nothing."""
    from storage.translation import missing_renditions

    missing = {
        code: kinds for code, kinds in missing_renditions(session, version_id).items() if code != "vie"
    }
    if not missing:
        return ""
    en = "; ".join(
        f"{code}: " + ", ".join(_KIND_NAMES[k][0] for k in kinds) for code, kinds in missing.items()
    )
    vi = "; ".join(
        f"{code}: " + ", ".join(_KIND_NAMES[k][1] for k in kinds) for code, kinds in missing.items()
    )
    return en, vi


@dataclass(frozen=True)
class Route:
    """Who may approve a version now: the reviewers listed on its form."""

    level: int
    emergency_pool: bool
    reviewers: tuple[tuple[int, str, bool], ...]  # (person id, label, emergency reviewer)

    def label_of(self, person_id: int) -> str | None:
        return next((label for pid, label, _ in self.reviewers if pid == person_id), None)

    def listed(self) -> str:
        return "; ".join(label for _, label, _ in self.reviewers) or "chưa có ai / nobody (bantin people add)"


@dataclass
class Outcome:
    """How one version's review ended."""

    status: str  # decided | expired | edited | elsewhere | held
    decision: ReviewDecision | None = None
    reviewer: str = ""
    new_version_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# --- who may approve -------------------------------------------------------------------------------


def _nearest(session, targets: list[str], levels: int) -> list:  # type: ignore[no-untyped-def]
    """Reviewers of the nearest ``levels`` levels (above-or-equal to every target) that have any."""
    everyone = storage.reviewers_for(session, targets)
    beyond = {p.id for p in storage.reviewers_for(session, targets, levels_up=levels)}
    return [p for p in everyone if p.id not in beyond]


def route_for(session, targets: list[str], priority: Priority, level: int) -> Route:  # type: ignore[no-untyped-def]
    """Normal: everyone with authority. Priority: the nearest level, one more per escalation.
    Emergency: the pre-authorised emergency reviewers, then also regular reviewers, one level per escalation."""
    if priority == Priority.emergency:
        people = storage.reviewers_for(session, targets, emergency=True)
        if level > 0:
            people += [p for p in _nearest(session, targets, level) if p.id not in {q.id for q in people}]
    elif priority == Priority.priority:
        people = _nearest(session, targets, level + 1)
    else:
        people = storage.reviewers_for(session, targets)
    rows = tuple((p.id, storage.person_label(p), bool(p.emergency)) for p in people)
    return Route(level=level, emergency_pool=priority == Priority.emergency, reviewers=rows)


def can_widen(session, targets: list[str], priority: Priority, level: int) -> bool:  # type: ignore[no-untyped-def]
    """Whether escalating one more level adds anyone to the form."""
    now = {r[0] for r in route_for(session, targets, priority, level).reviewers}
    wider = {r[0] for r in route_for(session, targets, priority, level + 1).reviewers}
    return bool(wider - now)


# --- the form -------------------------------------------------------------------------------------


def choice(values: tuple[str, ...]) -> Any:
    """A string that must be one of ``values``, with a JSON-schema enum (a form's select, even for one value)."""
    return Annotated[Literal[values], WithJsonSchema({"type": "string", "enum": list(values)})]  # type: ignore[valid-type]


def review_form(route: Route) -> type[RunInput]:
    """The typed input a reviewer fills in: reviewer (a choice), one-time code, decision, comment, edit."""
    labels = tuple(label for _, label, _ in route.reviewers)
    reviewer_type: Any = choice(labels) if labels else str
    return create_model(  # type: ignore[call-overload, no-any-return]
        "ReviewInput",
        __base__=RunInput,
        __doc__="Quyết định của người duyệt / The reviewer's decision.",
        reviewer=(
            reviewer_type,
            Field(
                title="Người duyệt / Reviewer",
                description="Người có thẩm quyền với mọi địa bàn nhận / Someone with authority over every target unit.",
                # A one-label Literal is a bare "const": the list keeps the form a choice with one reviewer too.
                json_schema_extra={"enum": list(labels)} if labels else None,
            ),
        ),
        code=(
            str,
            Field(
                pattern=r"^\s*\d{6}\s*$",
                title="Mã dùng một lần / One-time code",
                description="6 chữ số trong ứng dụng xác thực, dùng một lần / 6 digits from your authenticator app, valid once.",
            ),
        ),
        decision=(
            choice(tuple(DECISION_LABELS.values())),
            Field(
                title="Quyết định / Decision",
                description="duyệt = phát / approve; từ chối = hủy / reject; yêu cầu sửa = trả lại / request changes.",
            ),
        ),
        comment=(
            str,
            Field(
                "",
                title="Nhận xét / Comment",
                description="Bắt buộc khi từ chối hoặc yêu cầu sửa / Required to reject or request changes.",
            ),
        ),
        edited_script=(
            str,
            Field(
                "",
                title="Kịch bản đã sửa (tùy chọn) / Edited radio script (optional)",
                description="Nếu nhập, tạo phiên bản mới và gửi duyệt lại / If given, a new version is made and reviewed again.",
            ),
        ),
    )


# --- the review sheet -----------------------------------------------------------------------------


def hard_breaks(text: str) -> str:
    """Text as markdown that keeps its line breaks in both Prefect UIs (two trailing spaces per line)."""
    safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    paragraphs = re.split(r"\n\s*\n", safe.strip())
    return "\n\n".join(
        "  \n".join(re.sub(r"^(\s*)([#>*+-]|\d+[.)])", r"\1\\\2", line.rstrip()) for line in p.splitlines())
        for p in paragraphs
    )


def sheet_warnings(material: storage.ReviewMaterial) -> list[str]:
    """Key facts the summary dropped, over-length audio, failed language checks."""
    by_kind = {(r.language, r.kind): r for r in material.renditions}
    script = by_kind.get(("vie", RenditionKind.script))
    warnings = []
    if script is not None:
        dropped = dropped_facts(material.job.body, script.text)
        if dropped:
            warnings.append(
                "Kịch bản bỏ mất thông tin chính / The script dropped key facts: "
                + ", ".join(f"“{f}”" for f in dropped)
            )
    target = material.job.target_seconds
    for r in material.renditions:
        if r.kind == RenditionKind.audio and r.duration_s and r.duration_s > target * 1.1:
            warnings.append(
                f"Âm thanh {r.language} dài {r.duration_s:.0f} s, vượt thời lượng mục tiêu {target} s / "
                f"{r.language} audio is {r.duration_s:.0f} s, over the {target} s target"
            )
        if r.kind == RenditionKind.script and r.text.strip():
            report = nlp.check_language(r.text)
            if report.language != r.language and not (r.language != "vie" and report.language == "und"):
                warnings.append(
                    f"Kiểm tra ngôn ngữ thất bại: kịch bản {r.language} được nhận là {report.language} / "
                    f"Language check failed: the {r.language} script reads as {report.language}"
                )
            elif report.missing_diacritics:
                warnings.append(f"Kịch bản {r.language} thiếu dấu / The {r.language} script lacks tone marks")
    return warnings


def dropped_facts(body: str, script: str) -> list[str]:
    """Dates, times, amounts, document and phone numbers, places of the draft that the script does not say."""
    from nlp.entities import find_entities

    def squash(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip().lower()

    said = squash(script)
    facts = [e.text for e in find_entities(body) if e.label != "NUMBER"]
    return list(dict.fromkeys(f for f in facts if squash(f) not in said))[:12]


def review_sheet(
    material: storage.ReviewMaterial,
    *,
    route: Route,
    due_at: datetime | None,
    audio_links: dict[str, str],
    timezone: str,
) -> str:
    """The markdown a reviewer reads: draft, script, spoken text, e-board text, translations, audio, warnings."""
    from zoneinfo import ZoneInfo

    job = material.job
    by_kind = {(r.language, r.kind): r for r in material.renditions}
    due = f"{due_at.astimezone(ZoneInfo(timezone)):%H:%M %d/%m/%Y}" if due_at else "—"
    out = [
        f"## Phiếu duyệt / Review sheet — bản tin #{job.bulletin_id} v{job.version_number} (phiên bản / version {job.version_id})",
        "",
        f"**{hard_breaks(job.title)}**",
        "",
        f"- Mức độ / Priority: {PRIORITY_NAMES[job.priority]} · Lĩnh vực / Category: `{job.category}`",
        f"- Địa bàn nhận / Target units: {', '.join(material.target_names)}",
        f"- Hạn duyệt / Review due: {due} · Cấp duyệt / Review level: {route.level}",
        f"- Người có thể duyệt / Who may approve: {route.listed()}",
        "",
    ]
    warnings = sheet_warnings(material)
    if warnings:
        out += ["### ⚠ Cảnh báo / Warnings", ""] + [f"- {w}" for w in warnings] + [""]
    sections = (
        ("Bản thảo / Draft", job.body),
        ("Kịch bản phát thanh / Radio script", _text(by_kind, RenditionKind.script)),
        (
            "Văn bản giọng đọc sẽ đọc (đã chuẩn hóa) / Spoken (normalized) text",
            _text(by_kind, RenditionKind.spoken),
        ),
        ("Bảng tin điện tử / E-board text", _text(by_kind, RenditionKind.eboard)),
    )
    for title, text in sections:
        out += [f"### {title}", "", hard_breaks(text) if text.strip() else "—", ""]
    out += translation_tables(material)
    out += ["### Âm thanh / Audio", ""]
    audio = [r for r in material.renditions if r.kind == RenditionKind.audio]
    if not audio:
        out += ["—", ""]
    else:
        out += [
            "| Ngôn ngữ / Language | Thời lượng / Duration | Độ to / Loudness | Nghe / Listen |",
            "|---|---:|---:|---|",
        ]
        for r in audio:
            link = audio_links.get(r.sha256)
            play = f"[▶ Nghe / Play]({link})" if link else "—"
            loud = f"{r.loudness_lufs:.1f} LUFS" if r.loudness_lufs is not None else "—"
            out.append(f"| {r.language} | {r.duration_s or 0:.1f} s | {loud} | {play} |")
        out.append("")
    return "\n".join(out)


def _text(by_kind: dict, kind: RenditionKind, language: str = "vie") -> str:
    rendition = by_kind.get((language, kind))
    return rendition.text if rendition is not None else ""


def translation_tables(material: storage.ReviewMaterial) -> list[str]:
    """Each translated script beside its Vietnamese source, paragraph by paragraph."""
    source = next(
        (r.text for r in material.renditions if r.language == "vie" and r.kind == RenditionKind.script), ""
    )
    out: list[str] = []
    for r in material.renditions:
        if r.language == "vie" or r.kind != RenditionKind.script:
            continue
        segments = [s for s in (r.details or {}).get("segments", []) if "source" in s]
        if segments:  # sentence by sentence, with where each translation came from
            from nlp.translate import ORIGIN_LABELS

            name = _language_name(r.language)
            out += [
                f"### Bản dịch / Translation: {r.language}",
                "",
                f"| Tiếng Việt / Vietnamese | {name} | Nguồn / From |",
                "|---|---|---|",
            ]
            for seg in segments:
                origin = ORIGIN_LABELS.get(seg.get("origin", ""), seg.get("origin", ""))
                out.append(f"| {_cell(seg['source'])} | {_cell(seg.get('target') or '')} | {origin} |")
            board = next(
                (
                    b.text
                    for b in material.renditions
                    if b.language == r.language and b.kind == RenditionKind.eboard
                ),
                "",
            )
            out += [
                "",
                f"**Bảng tin điện tử / E-board text ({name}):**",
                "",
                hard_breaks(board) if board else "—",
                "",
            ]
            continue
        left = [p.strip() for p in re.split(r"\n\s*\n|\n", source) if p.strip()]
        right = [p.strip() for p in re.split(r"\n\s*\n|\n", r.text) if p.strip()]
        rows = max(len(left), len(right))
        out += [
            f"### Bản dịch / Translation: {r.language}",
            "",
            f"| Tiếng Việt / Vietnamese | {r.language} |",
            "|---|---|",
        ]
        for i in range(rows):
            cells = [_cell(left[i] if i < len(left) else ""), _cell(right[i] if i < len(right) else "")]
            out.append(f"| {cells[0]} | {cells[1]} |")
        out.append("")
    return out


def _language_name(code: str) -> str:
    """``Tiếng Khmer / Khmer (khm)`` for a registered language, else the code."""
    try:
        return nlp.get_language(code).label()
    except nlp.TextError:  # a code the registry does not list (an old rendition): show it as it is
        return code


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def audio_links_for(
    settings: PipelineSettings, material: storage.ReviewMaterial, expires_at: datetime
) -> dict[str, str]:
    """Signed, expiring gateway links that play each audio rendition in a reviewer's browser."""
    key = settings.secret_key_bytes()
    return {
        r.sha256: storage.review_audio_link(
            settings.public_gateway_url.rstrip("/"),
            version_id=material.job.version_id,
            sha256=r.sha256,
            secret_key=key,
            expires_at=expires_at,
        )
        for r in material.renditions
        if r.kind == RenditionKind.audio and r.sha256
    }


# --- timeouts -------------------------------------------------------------------------------------


def step_delay(settings: PipelineSettings, priority: Priority) -> int | None:
    """Seconds before a waiting review escalates; None for normal bulletins, which expire instead."""
    if priority == Priority.emergency:
        return settings.emergency_review_timeout_seconds
    if priority == Priority.priority:
        return settings.review_escalation_seconds
    return None


def first_due(
    settings: PipelineSettings, session, version_id: int, priority: Priority, final: datetime
) -> datetime:  # type: ignore[no-untyped-def]
    """When the first wait ends: the next broadcast window (normal), else the escalation delay; never after ``final``."""
    now = storage.utcnow()
    delay = step_delay(settings, priority)
    if delay is None:
        window = storage.review_deadline(session, version_id, timezone=settings.timezone, now=now)
        return min(window or final, final)
    return min(now + timedelta(seconds=delay), final)


# --- one version's review -------------------------------------------------------------------------


@task(retries=3, retry_delay_seconds=[2, 10, 30], cache_policy=NO_CACHE)
def distribute(settings: PipelineSettings, version_id: int) -> dict:
    """Schedule an approved version on the devices of its target units."""
    with stages.open_session(settings) as session:
        result = storage.distribute_version(
            session=session, version_id=version_id, timezone=settings.timezone
        )
    notice = storage.announce_distribution(settings.mqtt_url, result)  # composer notice + MQTT "poll now"
    if notice:  # the editor reads the run's log: what could not be scheduled, and why
        get_run_logger().warning(notice)
    return {
        "version_id": version_id,
        "items_created": result.items_created,
        "items_existing": result.items_existing,
        "devices": result.devices,
        "skipped": result.skipped,
        "unplaced": result.unplaced,
        "displaced": result.displaced,
        "moved": result.moved,
        "notice": notice,
    }


def _settled(session, version_id: int, run_id: str | None = None) -> Outcome | None:  # type: ignore[no-untyped-def]
    """The outcome already stored for a version, if its review has ended.

    A run that reruns from the top (a deployment's suspended run) finds its own earlier edit here
    and carries on with the version the edit made.
    """
    request = storage.get_review_request(session, version_id)
    if request is None or request.status == storage.ReviewRequestStatus.waiting:
        return None
    if request.status == storage.ReviewRequestStatus.expired:
        return Outcome("expired")
    review = storage.latest_review(session, version_id)
    if review is None:
        return Outcome("expired")
    if review.decision == ReviewDecision.request_changes and run_id and review.flow_run_id == run_id:
        edited = storage.edited_from(session, version_id)
        if edited is not None:
            return Outcome("edited", review.decision, review.reviewer, new_version_id=edited)
    return Outcome("decided", review.decision, review.reviewer)


def run_is_over(flow_run_id: str) -> bool:
    """Whether a run has ended (or never existed), so that the review it claimed can be taken over."""
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(UUID(flow_run_id))
    except (ValueError, ObjectNotFound):
        return True
    return run.state is None or run.state.is_final()


def _wait(form: type[RunInput], description: str, key: str, timeout_s: int, poll_s: float, suspend: bool):  # type: ignore[no-untyped-def]
    """Pause for the form in-process, or suspend: the run leaves its process, survives restarts and
    reruns from the top once answered (stored decisions and renditions make the rerun cheap)."""
    prepared = form.with_initial_data(description=description)
    if suspend:
        return suspend_flow_run(wait_for_input=prepared, key=key, timeout=None)
    return pause_in_process(prepared, key, max(1, timeout_s), poll_s)


def suspends(priority: Priority) -> bool:
    """A deployment's run suspends for a normal bulletin's long wait; priority and emergency reviews
    stay paused in their process, which wakes them to escalate after minutes."""
    return get_run_context().flow_run.deployment_id is not None and priority == Priority.normal


def notice_text(error: BaseException) -> str:
    """A refusal as reviewers read it: Vietnamese / English."""
    return stages.editor_message(error)


def review_version(
    settings: PipelineSettings, version_id: int, run_id: str, total_s: int, voice: str
) -> Outcome:
    """Claim one version, publish its sheet and wait until a checked decision, an edit, or expiry."""
    from prefect.artifacts import create_markdown_artifact

    logger = get_run_logger()
    with stages.open_session(settings) as session:
        job = storage.production_job(session, version_id)
        kinds = {
            r.kind for r in storage.review_material(session, version_id).renditions if r.language == "vie"
        }
        if RenditionKind.audio not in kinds and storage.get_review_request(session, version_id) is None:
            raise ReviewNotWaiting(
                f"version {version_id} has no speech yet: produce it first (bantin produce {job.bulletin_id})",
                f"phiên bản {version_id} chưa có âm thanh: hãy sản xuất trước (bantin produce {job.bulletin_id})",
            )
        held = (
            _held_for(session, version_id) if storage.get_review_request(session, version_id) is None else ""
        )
        if held:
            raise ReviewHeld(
                f"version {version_id} is not reviewed before every broadcast language is ready: {held[0]}",
                f"phiên bản {version_id} chưa được đưa đi duyệt vì còn thiếu bản ngôn ngữ phát: {held[1]}",
            )
        final = storage.utcnow() + timedelta(seconds=total_s)
        due = first_due(settings, session, version_id, job.priority, final)
        request, created = storage.claim_review(
            session, version_id=version_id, flow_run_id=run_id, due_at=due
        )
        if created:
            storage.append_audit(
                session,
                actor="system",
                action="review_requested",
                bulletin_id=job.bulletin_id,
                version_id=version_id,
                content_hash=storage.version_digest(session, version_id),
                details={"flow_run_id": run_id, "due_at": due.isoformat(), "priority": job.priority.value},
            )
        settled = _settled(session, version_id, run_id)
        if settled is not None:
            return settled
        if not created and request.flow_run_id != run_id:
            owner = request.flow_run_id
            taken = run_is_over(owner) and storage.reclaim_review(
                session, version_id, stale_run_id=owner, flow_run_id=run_id
            )
            if not taken:
                logger.info("version %s is already waiting for review in run %s", version_id, owner)
                return Outcome("elsewhere", detail={"review_run": owner})
            logger.warning("run %s ended undecided; this run takes over version %s", owner, version_id)
            storage.append_audit(
                session,
                actor="system",
                action="review_requested",
                bulletin_id=job.bulletin_id,
                version_id=version_id,
                content_hash=storage.version_digest(session, version_id),
                details={"flow_run_id": run_id, "taken_over_from": owner},
            )
        final = storage.as_utc(request.requested_at) + timedelta(seconds=total_s)  # the same on a rerun
    attempt, notice, hold_until, published = 0, "", None, None
    while True:
        with stages.open_session(settings) as session:
            settled = _settled(session, version_id, run_id)
            if settled is not None:
                return settled
            request = storage.get_review_request(session, version_id)
            due = storage.as_utc(request.due_at) or final
            route = route_for(session, list(job.targets), job.priority, request.level)
            material = storage.review_material(session, version_id)
            digest = storage.version_digest(session, version_id)
        now = storage.utcnow()
        if hold_until is not None:
            due = max(due, hold_until)
        if now >= due:
            outcome = on_timeout(settings, version_id, job.priority, request.level, final)
            if outcome is not None:
                return outcome
            if _level(settings, version_id) == request.level:
                hold_until = final
            else:
                notice = f"Đã chuyển lên cấp trên / Escalated to level {request.level + 1}."
            continue
        links = audio_links_for(settings, material, expires_at=max(due, now + timedelta(hours=24)))
        sheet = review_sheet(material, route=route, due_at=due, audio_links=links, timezone=settings.timezone)
        if published != route.level:  # the sheet again once escalation widens who may approve
            published = route.level
            create_markdown_artifact(
                markdown=sheet, key=f"review-v{version_id}", description="Phiếu duyệt bản tin / Review sheet"
            )
        description = (f"**⚠ {notice}**\n\n" if notice else "") + sheet
        try:
            answer = _wait(
                review_form(route),
                description,
                f"review-v{version_id}-{attempt}",
                int((due - now).total_seconds()) + 1,
                settings.review_poll_seconds,
                suspends(job.priority),
            )
        except FlowPauseTimeout:
            attempt += 1
            continue
        attempt += 1
        try:
            return apply_answer(settings, version_id, run_id, answer, route, digest, voice)
        except (StorageError, nlp.TextError) as refused:
            notice = notice_text(refused)
            logger.warning("Review refused / Từ chối nhận ý kiến duyệt: %s — Who may approve / Người có thể duyệt: %s",
                           notice, route.listed())  # fmt: skip
            notice = f"{notice} — Người có thể duyệt / Who may approve: {route.listed()}"


def _level(settings: PipelineSettings, version_id: int) -> int:
    with stages.open_session(settings) as session:
        return storage.get_review_request(session, version_id).level


def on_timeout(
    settings: PipelineSettings, version_id: int, priority: Priority, level: int, final: datetime
) -> Outcome | None:
    """Expire a normal bulletin at its window (or anything at its final deadline); escalate the others."""
    logger = get_run_logger()
    delay = step_delay(settings, priority)
    now = storage.utcnow()
    with stages.open_session(settings) as session:
        job = storage.production_job(session, version_id)
        if delay is not None and now < final and not can_widen(session, list(job.targets), priority, level):
            return None  # nobody higher to ask: keep waiting until the final deadline
        if delay is None or now >= final:
            storage.expire_review(session, version_id)
            logger.warning(
                "version %s expired unapproved / phiên bản %s hết hạn mà chưa được duyệt",
                version_id,
                version_id,
            )
            return Outcome("expired")
        storage.escalate_review(
            session, version_id, level=level + 1, due_at=min(now + timedelta(seconds=delay), final)
        )
    logger.warning(
        "version %s escalated to level %s / đã chuyển lên cấp %s", version_id, level + 1, level + 1
    )
    return None


def expire_overdue(settings: PipelineSettings) -> list[int]:
    """Expire normal bulletins whose broadcast window began while their review waited (a suspended run
    only looks at its deadline when it runs again); returns the expired version ids."""
    now, expired = storage.utcnow(), []
    with stages.open_session(settings) as session:
        for request in storage.waiting_reviews(session):
            due = storage.as_utc(request.due_at)
            job = storage.production_job(session, request.version_id)
            if due is not None and due <= now and job.priority == Priority.normal:
                storage.expire_review(session, request.version_id)
                expired.append(request.version_id)
    return expired


def apply_answer(
    settings: PipelineSettings,
    version_id: int,
    run_id: str,
    answer: Any,
    route: Route,
    digest: str,
    voice: str,
) -> Outcome:
    """Check the reviewer's input and record it; raises a bilingual error when it must be refused."""
    decision = DECISION_BY_LABEL[answer.decision]
    person_id = _person_id(answer.reviewer)
    if person_id is None or route.label_of(person_id) is None:
        raise storage.NotAuthorised(
            f"{answer.reviewer!r} may not approve this version at this level",
            f"{answer.reviewer!r} không có thẩm quyền duyệt phiên bản này ở cấp hiện tại",
        )
    emergency = route.emergency_pool and any(pid == person_id and em for pid, _, em in route.reviewers)
    edited = answer.edited_script or ""
    script = _checked_script(edited) if edited and decision != ReviewDecision.reject else None
    common = dict(
        version_id=version_id,
        person_ref=person_id,
        code=answer.code.strip(),
        secret_key=settings.secret_key_bytes(),
        flow_run_id=run_id,
        expected_digest=digest,
        emergency=emergency,
    )
    with stages.open_session(settings) as session:
        if script is None:
            review = storage.decide_review(session, decision=decision, comment=answer.comment, **common)
            return Outcome("decided", decision, review.reviewer)
        comment = answer.comment.strip() or "Người duyệt sửa kịch bản / The reviewer edited the script"
        review = storage.decide_review(
            session, decision=ReviewDecision.request_changes, comment=comment, **common
        )
        new = storage.derive_version(
            session, version_id, actor=review.reviewer, reason="edited script", script=script
        )
        new_id = new.id
    return Outcome("edited", ReviewDecision.request_changes, review.reviewer, new_version_id=new_id)


def _person_id(label: str) -> int | None:
    found = PERSON_ID.search(str(label).strip())
    return int(found.group(1)) if found else None


def _checked_script(text: str) -> str:
    """An edited script the voice can read: non-empty Vietnamese with its tone marks (nlp's checks)."""
    try:
        return nlp.validate_draft(text)
    except nlp.TextError as error:
        raise type(error)(
            f"The edited script was not accepted: {error.message_en}",
            f"Kịch bản sửa không được chấp nhận: {error.message_vi}",
        ) from None


def produce_edit(settings: PipelineSettings, version_id: int, voice: str) -> None:
    """Spoken form, e-board text and speech of an edited script (unchanged speech comes from the cache)."""
    from flows.produce import synthesize

    with stages.open_session(settings) as session:
        job = storage.production_job(session, version_id)
        texts = {
            r.kind: r.text
            for r in storage.review_material(session, version_id).renditions
            if r.language == "vie"
        }
        if RenditionKind.spoken not in texts:  # a rerun finds them stored
            text = stages.edited_text(texts[RenditionKind.script], title=job.title)
            stages.save_text(session, version_id, text, kinds=(RenditionKind.spoken, RenditionKind.eboard))
            texts[RenditionKind.spoken] = text.spoken
    synthesize(settings, version_id, texts[RenditionKind.spoken], voice)
    from flows.translate import translate_inline

    translate_inline(settings, version_id, settings)  # each language again, translators waited for here


@flow(name="review-bulletin", log_prints=True)
def review_bulletin(request: ReviewRequestParams) -> dict:
    """One version's review: claim, sheet, wait for a checked decision, edits, expiry, escalation, distribution."""
    settings = PipelineSettings()
    run_id = str(get_run_context().flow_run.id)
    total_s = (request.review_timeout_minutes or 0) * 60 or settings.review_timeout_seconds
    voice = request.voice or settings.default_voice
    version_id, versions = request.version_id, [request.version_id]
    try:
        while True:
            try:
                outcome = review_version(settings, version_id, run_id, total_s, voice)
            except ReviewHeld as held:
                if version_id == request.version_id:
                    raise
                # An edited script whose translation waits for a recorded reading: the next production reviews it.
                outcome = Outcome("held", detail={"held": notice_text(held)})
            if outcome.status != "edited":
                break
            version_id = outcome.new_version_id
            versions.append(version_id)
            produce_edit(settings, version_id, voice)
    except RunCancelled as cancelled:
        # Cancelled from the UI while waiting for a reviewer (or a translator of an edit): the run ends
        # cancelled, the version stays waiting, and the next production asks again.
        return Cancelled(
            message=f"Đã huỷ khi chờ duyệt phiên bản {version_id} / cancelled while version "
            f"{version_id} waited for review ({cancelled})"
        )
    result = {
        "version_id": version_id,
        "versions": versions,
        "status": outcome.status,
        "decision": outcome.decision.value if outcome.decision else None,
        "reviewer": outcome.reviewer,
        **outcome.detail,
    }
    if outcome.decision == ReviewDecision.approve and request.distribute:
        result["distribution"] = distribute(settings, version_id)
    return result


# --- through Prefect's API: list and answer waiting reviews ---------------------------------------


@dataclass(frozen=True)
class PausedReview:
    """A review run waiting for a reviewer on one bulletin version."""

    flow_run_id: UUID
    flow_run_name: str
    version_id: int | None
    pause_key: str = ""


def _paused(run) -> PausedReview | None:  # type: ignore[no-untyped-def]
    if run.state is None or not run.state.is_paused():
        return None
    key = run.state.state_details.pause_key or ""
    found = PAUSE_KEY.match(key)
    return PausedReview(run.id, run.name, int(found.group(1)) if found else None, key)


def paused_reviews() -> list[PausedReview]:
    """Runs waiting for a review, by version."""
    state_filter = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(state=state_filter))
    found = [p for p in map(_paused, runs) if p is not None and p.version_id is not None]
    return sorted(found, key=lambda p: (p.version_id or 0, str(p.flow_run_id)))


def paused_review(flow_run_id: UUID | str) -> PausedReview | None:
    """The review the run waits for now, or None."""
    with get_client(sync_client=True) as client:
        return _paused(client.read_flow_run(UUID(str(flow_run_id))))


def waiting_form(flow_run_id: UUID | str) -> tuple[dict, str]:
    """The JSON schema and the description of the form the run waits on."""
    import json

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(str(flow_run_id)))
        keyset = run.state.state_details.run_input_keyset if run.state and run.state.is_paused() else None
        if not keyset:
            raise ReviewNotWaiting(
                f"run {flow_run_id} is not waiting for a review: `bantin reviews list` shows those that are",
                f"lượt chạy {flow_run_id} không chờ duyệt: `bantin reviews list` liệt kê các lượt đang chờ",
            )
        schema = client.read_flow_run_input(run.id, keyset["schema"])
        try:
            description = client.read_flow_run_input(run.id, keyset["description"])
        except Exception:  # a form without a description
            description = ""
    parsed = json.loads(description) if description.startswith('"') else description
    return json.loads(schema), str(parsed or "")


def reviewer_choice(schema: dict, reviewer: int | str) -> str:
    """The form's label for a reviewer given by id, ``#id``, exact label or exact name."""
    field = schema.get("properties", {}).get("reviewer", {})
    choices = field.get("enum") or ([field["const"]] if "const" in field else [])
    wanted = str(reviewer).strip().lstrip("#")
    for label in choices:
        if label == str(reviewer).strip() or _person_id(label) == (int(wanted) if wanted.isdigit() else None):
            return label
        if label.split(" — ")[0].strip() == str(reviewer).strip():
            return label
    listed = "; ".join(choices) or "nobody / chưa có ai (bantin people add)"
    raise storage.NotAuthorised(
        f"{reviewer!r} is not among those who may approve this version: {listed}",
        f"{reviewer!r} không nằm trong số người có thể duyệt phiên bản này: {listed}",
    )


def submit_review(
    flow_run_id: UUID | str,
    *,
    reviewer: int | str,
    code: str,
    decision: ReviewDecision,
    comment: str = "",
    edited_script: str = "",
) -> None:
    """Answer a waiting review run through Prefect, exactly as the UI form does."""
    if not re.fullmatch(r"\s*\d{6}\s*", code or ""):
        raise storage.CodeRejected(
            "the one-time code has 6 digits: read it from your authenticator app",
            "mã dùng một lần gồm 6 chữ số: hãy đọc mã trong ứng dụng xác thực",
        )
    schema, _ = waiting_form(flow_run_id)
    run_input = {
        "reviewer": reviewer_choice(schema, reviewer),
        "code": code.strip(),
        "decision": DECISION_LABELS[ReviewDecision(decision)],
        "comment": comment,
        "edited_script": edited_script,
    }
    try:
        resume_flow_run(UUID(str(flow_run_id)), run_input=run_input)
    except (RuntimeError, FlowPauseTimeout) as error:
        raise ReviewNotWaiting(
            f"Prefect did not accept the answer: {error}", f"Prefect không nhận ý kiến duyệt: {error}"
        ) from None


@dataclass(frozen=True)
class AnswerResult:
    """What became of an answer: recorded, refused (the run waits again), or an edit now under review."""

    status: str  # decided | waiting | edited | pending
    message_vi: str
    message_en: str


def answer_result(
    settings: PipelineSettings, previous: PausedReview, *, timeout_s: float = 30, poll_s: float = 0.5
) -> AnswerResult:
    """Wait briefly after an answer and read back what the run made of it (storage, then the run's next form)."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        with stages.open_session(settings) as session:
            settled = _settled(session, previous.version_id)
        if settled is not None and settled.status == "decided":
            label = DECISION_LABELS[settled.decision]
            return AnswerResult(
                "decided",
                f"Đã ghi nhận: {label} bởi {settled.reviewer} (phiên bản {previous.version_id})",
                f"Recorded: {settled.decision.value} by {settled.reviewer} (version {previous.version_id})",
            )
        now = paused_review(previous.flow_run_id)
        if now is not None and now.pause_key != previous.pause_key:
            if now.version_id != previous.version_id:
                return AnswerResult(
                    "edited",
                    f"Kịch bản đã sửa thành phiên bản {now.version_id}, đang chờ duyệt lại",
                    f"The edited script became version {now.version_id}, waiting for review again",
                )
            _, description = waiting_form(previous.flow_run_id)
            reason = description.split("\n\n", 1)[0].strip("*⚠ ") if description.startswith("**⚠") else ""
            return AnswerResult(
                "waiting",
                f"Chưa được chấp nhận, lượt chạy vẫn chờ: {reason}",
                f"Not accepted, the run still waits: {reason}",
            )
        if time.monotonic() > deadline:
            return AnswerResult(
                "pending",
                "Đã gửi; lượt chạy chưa xử lý xong, xem lại bằng `bantin reviews list`",
                "Sent; the run has not finished with it yet: check `bantin reviews list`",
            )
        time.sleep(poll_s)
