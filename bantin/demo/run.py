"""`bantin demo`: the whole job once, on embedded defaults, idempotent on rerun."""

from __future__ import annotations

import json
import threading
import time
from importlib.resources import files

import typer

from bantin.local_run import prepare_prefect
from bantin.local_run import run_production as run_local_production
from bantin.settings import Settings

DEMO_PROVINCE = "Quảng Trị"
DEMO_REVIEWER = "Nguyễn Thị Lan"
DEMO_REVIEWER_UNIT = "44"  # the province: authority over every demo commune
DEMO_REVIEWER_OFFICE = "Phó Chủ tịch UBND tỉnh (demo)"
HOW_TO_REVIEW = (
    "Sản xuất bản tin / Producing bulletins. Mỗi phiên bản chờ duyệt trong một lượt chạy riêng / each version "
    "waits for its review in a run of its own. A real reviewer is added once with `bantin people add NAME "
    "--unit CODE --role reviewer`, which shows a one-time-code secret (QR code) for an authenticator app; "
    "then, in the Prefect UI (`prefect server start`, Runs → the waiting review-bulletin run → Resume, in "
    "the run's ⋮ menu in the V2 UI), they read the review sheet, play the audio, choose their name, type the "
    "6-digit code and choose 'duyệt' (approve), 'từ chối' (reject) or 'yêu cầu sửa' (request changes). "
    "`bantin reviews list` and `bantin reviews submit RUN_ID --decision approve --reviewer NAME` (the code "
    "is asked at a prompt) do the same from a shell. The demo approves as its demo reviewer:"
)


def _say(text: str) -> None:
    typer.echo(f"• {text}")


def load_demo_data(settings: Settings) -> list[str]:
    """Import the demo province, villages, devices and drafts; returns the drafts' external ids."""
    import storage
    from storage import BulletinDraft
    from storage.db import migration_lock

    storage.upgrade_database(settings.resolved_database_url)
    engine = storage.make_engine(settings.resolved_database_url)
    demo = files("bantin.demo")
    # a second demo started at once waits here, then finds the province and drafts already there
    with migration_lock(settings.resolved_database_url), storage.session_scope(engine) as session:
        units = storage.import_province(session=session, province=DEMO_PROVINCE)
        _say(f"Tỉnh / Province {units.province_name}: {units.communes} xã/phường, {units.added} mới / new")
        rows = storage.parse_records(demo.joinpath("devices.json").read_text(encoding="utf-8"), "json")
        devices = storage.import_records(session=session, rows=rows)
        _say(
            f"Thôn / Villages +{devices.villages_added}, thiết bị / devices +{devices.devices_added} "
            f"({len(rows) - devices.villages_added - devices.villages_updated} in file)"
        )
        ids = []
        for raw in json.loads(demo.joinpath("drafts.json").read_text(encoding="utf-8")):
            bulletin, version, created = storage.save_draft(
                session=session, draft=BulletinDraft.model_validate(raw)
            )
            ids.append(str(bulletin.id))
            _say(
                f"Bản tin / Draft #{bulletin.id} v{version.number} {'mới / new' if created else 'đã có / unchanged'}: "
                f"{bulletin.title}"
            )
    engine.dispose()
    return ids


def demo_reviewer(settings: Settings) -> tuple[int, str]:
    """The demo's provincial reviewer (added once) and a one-time-code secret for it; returns (id, secret).

    The secret is shown only when it is made, so a rerun re-issues it (the old one stops working),
    as an officer who lost their authenticator would.
    """
    import storage
    from storage.db import migration_lock

    engine = storage.make_engine(settings.resolved_database_url)
    key = settings.secret_key_bytes()
    with migration_lock(settings.resolved_database_url), storage.session_scope(engine) as session:
        try:
            person, secret = storage.reissue_secret(session, DEMO_REVIEWER, secret_key=key, actor="demo")
        except storage.UnknownPerson:
            person, secret = storage.add_person(
                session,
                name=DEMO_REVIEWER,
                unit_code=DEMO_REVIEWER_UNIT,
                role="reviewer",
                office=DEMO_REVIEWER_OFFICE,
                emergency=True,  # pre-authorised: the demo has an emergency bulletin
                secret_key=key,
                actor="demo",
            )
        person_id = person.id
    engine.dispose()
    return person_id, secret or ""


class OneTimeCodes:
    """The codes an authenticator app shows: each approval takes a 30-second step not used before.

    A code is accepted one step early, so a second approval needs no wait; a third waits for the
    clock, exactly as a reviewer approving several bulletins at once would.
    """

    def __init__(self, secret: str) -> None:
        self.secret, self.last_step = secret, 0

    def next(self, stop: threading.Event) -> str | None:
        from datetime import UTC, datetime

        import storage

        step = max(int(time.time() // 30), self.last_step + 1)
        while step > int(time.time() // 30) + 1:
            if stop.wait(0.5):
                return None
        self.last_step = step
        return storage.totp_code(self.secret, datetime.fromtimestamp(step * 30 + 1, UTC))


class DemoReviewer(threading.Thread):
    """Approves every waiting review through Prefect's API with a fresh one-time code, as a reviewer would."""

    def __init__(self, person_id: int, secret: str) -> None:
        super().__init__(daemon=True, name="demo-reviewer")
        self.person_id, self.codes = person_id, OneTimeCodes(secret)
        self.stop = threading.Event()
        self.approved: list[int | None] = []
        self.errors: list[str] = []

    def run(self) -> None:
        from flows.review import paused_reviews, submit_review
        from storage import ReviewDecision

        answered: set[tuple[str, str]] = set()  # a refused answer makes a new form (a new pause key)
        while not self.stop.is_set():
            try:
                for paused in paused_reviews():
                    if (str(paused.flow_run_id), paused.pause_key) in answered:
                        continue
                    code = self.codes.next(self.stop)
                    if code is None:
                        return
                    answered.add((str(paused.flow_run_id), paused.pause_key))
                    submit_review(
                        paused.flow_run_id,
                        reviewer=self.person_id,
                        code=code,
                        decision=ReviewDecision.approve,
                        comment="Đồng ý phát / Approved for broadcast (demo)",
                    )
                    self.approved.append(paused.version_id)
                    _say(
                        f"Duyệt / Approved version {paused.version_id} as {DEMO_REVIEWER} "
                        f"with one-time code {code} (run {paused.flow_run_id})"
                    )
            except Exception as exc:  # keep polling through a transient API error
                self.errors.append(repr(exc))
            self.stop.wait(1.0)


def run_production(settings: Settings, bulletin_ids: list[str]) -> dict:
    """Run the production flow while the demo reviewer approves each waiting review."""
    reviewer = DemoReviewer(*demo_reviewer(settings))
    reviewer.start()
    try:
        return run_local_production(settings, bulletins=bulletin_ids, review_timeout_minutes=10)
    finally:
        reviewer.stop.set()
        reviewer.join(timeout=5)


def run_fleet(settings: Settings, devices: int, seed: int):  # type: ignore[no-untyped-def]
    """Start the gateway locally and let the simulated devices fetch, play and confirm."""
    import storage
    from bantin.simulator import run_fleet as simulate
    from bantin.simulator import simulated_devices
    from gateway.app import create_app
    from gateway.server import serve_in_thread
    from gateway.signing import ManifestSigner, default_key_path

    engine = storage.make_engine(settings.resolved_database_url)
    with storage.session_scope(engine) as session:
        chosen = simulated_devices(session=session, count=devices)
    engine.dispose()
    # The devices trust the key file itself, not whatever a gateway says its key is.
    public_key = ManifestSigner(default_key_path(settings.data_dir)).public_key_pem
    with serve_in_thread(create_app(settings)) as base_url:
        return simulate(base_url, chosen, public_key_pem=public_key, seed=seed)


def run_demo(settings: Settings, *, devices: int = 10, seed: int = 7) -> dict:
    """Province, drafts, production with approval, distribution, devices, evaluation, summary."""
    started = time.monotonic()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    prepare_prefect(settings)
    typer.echo(f"bantin demo — dữ liệu / data dir: {settings.data_dir.resolve()}")
    bulletin_ids = load_demo_data(settings)
    typer.echo(HOW_TO_REVIEW)
    outcome = run_production(settings, bulletin_ids)
    fleet = run_fleet(settings, devices, seed)
    _say(f"Thiết bị / Devices: {fleet}")
    from flows.evaluate import EvaluateRequest, evaluate_reach

    evaluation = evaluate_reach(EvaluateRequest())
    summary = demo_summary(settings, outcome, fleet, evaluation, time.monotonic() - started)
    typer.echo(render_summary(summary))
    return summary


def demo_summary(settings: Settings, outcome: dict, fleet, evaluation: dict, seconds: float) -> dict:  # type: ignore[no-untyped-def]
    """The figures the demo ends with."""
    from sqlmodel import func, select

    import storage

    engine = storage.make_engine(settings.resolved_database_url)
    with storage.session_scope(engine) as session:
        confirmations = session.exec(select(func.count()).select_from(storage.PlaybackConfirmation)).one()
        reached = session.exec(
            select(func.count(func.distinct(storage.PlaybackConfirmation.device_id)))
        ).one()
        approved = session.exec(
            select(func.count())
            .select_from(storage.Review)
            .where(storage.Review.decision == storage.ReviewDecision.approve)
        ).one()
    engine.dispose()
    produced = sum(1 for row in outcome.values() if "audio" in row)
    return {
        "produced": produced,
        "failed": sorted(k for k, row in outcome.items() if "error" in row),
        "approved": approved,
        "devices_reached": reached,
        "confirmations": confirmations,
        "delivery_rate": evaluation["delivery_rate"],
        "totals": evaluation["totals"],
        "report": {
            k: str((settings.objects_dir / v).resolve()) if not settings.s3_endpoint else v
            for k, v in evaluation["report_keys"].items()
        },
        "audio_dir": str((settings.objects_dir / "audio").resolve()),
        "seconds": round(seconds, 1),
    }


def render_summary(summary: dict) -> str:
    """The summary as the demo prints it."""
    lines = [
        "",
        "== Tóm tắt / Summary ==",
        f"Bản tin đã sản xuất / produced:        {summary['produced']}",
        f"Đã duyệt / approved:                   {summary['approved']}",
        f"Thiết bị đã phát / devices reached:    {summary['devices_reached']}",
        f"Xác nhận phát / confirmations:         {summary['confirmations']}",
        f"Tỷ lệ phát / delivery rate:            {summary['delivery_rate']:.0%}",
        f"Âm thanh / audio:                      {summary['audio_dir']}",
        f"Báo cáo / report:                      {summary['report']['markdown']}",
        f"Thời gian / wall time:                 {summary['seconds']} s",
    ]
    if summary["failed"]:
        lines.append(f"Không sản xuất được / not produced:     {', '.join(summary['failed'])}")
    return "\n".join(lines)
