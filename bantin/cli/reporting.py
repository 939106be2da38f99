"""Reports for officials: ``bantin status --unit CODE``, ``bantin report annual|monthly``, officer codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bantin.cli.common import fail, ready_settings, session_for

report_app = typer.Typer(
    help="Reports in Vietnamese (HTML with charts) and spreadsheets (XLSX).", no_args_is_help=True
)
export_key_app = typer.Typer(help="API keys of upper-level systems for the export API.", no_args_is_help=True)
officer_app = typer.Typer(help="Officers' sign-in codes for the status pages.", no_args_is_help=True)

UnitOption = Annotated[str | None, typer.Option("--unit", help="Unit code; the report covers it and below.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Directory for the files (default: <data>/reports).")
]


def _local(value: datetime | None, timezone: str) -> str:
    return (
        value.astimezone(ZoneInfo(timezone)).strftime("%H:%M %d/%m/%Y") if value else "chưa bao giờ / never"
    )


def status(
    unit: Annotated[str, typer.Option("--unit", help="Unit code (province, commune or village).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Devices, today's schedule, reviews waiting and recent ratings for everything under a unit."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        found = storage.unit_status(session=session, unit_code=unit, timezone=settings.timezone)
    if as_json:
        typer.echo(json.dumps(found.to_dict(), ensure_ascii=False, indent=2, default=str))
        return
    typer.echo(render_status(found, settings.timezone))


def render_status(found, timezone: str) -> str:  # type: ignore[no-untyped-def]
    """The status as text for a terminal: Vietnamese with English."""
    online = sum(d.online for d in found.devices)
    lines = [
        f"{found.unit_name} ({found.unit_code}) — {_local(found.generated_at, timezone)}",
        "",
        f"Thiết bị / Devices: {online}/{len(found.devices)} trực tuyến / online",
    ]
    for d in found.devices:
        state = "trực tuyến / online" if d.online else "mất kết nối / offline"
        fm = " · FM dự phòng / FM fallback" if d.fm_fallback else ""
        lines.append(
            f"  {d.device_id:<14} {d.unit_name:<24} {state}; lần cuối / last seen {_local(d.last_seen_at, timezone)}"
            f"; còn trống / free storage {d.free_storage}{fm}"
        )
    lines += ["", "Lịch phát hôm nay và ngày mai / Today's and tomorrow's schedule:"]
    lines += [
        f"  {_local(s['starts_at'], timezone)[:5]} {s['window_name']:<10} #{s['bulletin_id']} {s['title']} "
        f"[{s['priority']}] — đã phát / played {s['played']}/{s['devices']}"
        for s in found.schedule
    ] or ["  (không có / none)"]
    lines += ["", "Chờ duyệt / Waiting for review:"]
    lines += [
        f"  #{w['bulletin_id']} v{w['version']} {w['title']} — từ / since {_local(w['requested_at'], timezone)} "
        f"({w['waiting_minutes']} phút / min)"
        for w in found.waiting
    ] or ["  (không có / none)"]
    lines += ["", "Đánh giá 30 ngày / Ratings, last 30 days:"]
    lines += [
        f"  {r['category']}: {r['average_rating'] if r['average_rating'] is not None else '–'}/5 "
        f"({r['feedback']} ý kiến / feedback, {r['comments']} bình luận / comments)"
        for r in found.ratings
    ] or ["  (chưa có / none yet)"]
    return "\n".join(lines)


def _write_report(settings, period, unit: str | None, out: Path | None) -> None:  # type: ignore[no-untyped-def]
    from flows.evaluate import measure, report_files

    with session_for(settings) as session:
        evaluation = measure(session, period, unit)
    directory = out or settings.data_dir / "reports"
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"bao-cao-{period.slug}-{unit or 'all'}"
    written = []
    for name, data in report_files(evaluation).items():
        if name.endswith((".html", ".xlsx")):
            path = directory / f"{stem}.{name.rsplit('.', 1)[1]}"
            path.write_bytes(data)
            written.append(path)
    totals = evaluation.totals
    typer.echo(f"Kỳ báo cáo / Period: {period.label} · {evaluation.unit_label}")
    typer.echo(
        f"Đã phát / Played {totals['played']}/{totals['scheduled']} · đúng giờ / on time {totals['played_on_time']}"
    )
    for path in written:
        typer.echo(f"Đã ghi / Wrote {path}")


@report_app.command("annual")
def report_annual(
    year: Annotated[
        int | None, typer.Option("--year", help="Statistical year: 2026 = 15/12/2025–14/12/2026.")
    ] = None,
    unit: UnitOption = None,
    out: OutOption = None,
) -> None:
    """The annual report (15 December to 14 December, local time) as HTML and XLSX."""
    import storage

    settings = ready_settings()
    today = datetime.now(UTC).astimezone(ZoneInfo(settings.timezone)).date()
    try:
        period = storage.check_period(
            storage.annual_period(year or storage.last_ended_year(today), settings.timezone)
        )
    except storage.StorageError as exc:
        fail(exc)
    _write_report(settings, period, unit, out)


@report_app.command("monthly")
def report_monthly(
    year: Annotated[int, typer.Option("--year", help="Year, e.g. 2026.")],
    month: Annotated[int, typer.Option("--month", help="Month 1–12.")],
    unit: UnitOption = None,
    out: OutOption = None,
) -> None:
    """A calendar month's report as HTML and XLSX."""
    import storage

    settings = ready_settings()
    try:
        period = storage.check_period(storage.monthly_period(year, month, settings.timezone))
    except storage.StorageError as exc:
        fail(exc)
    _write_report(settings, period, unit, out)


@officer_app.command("code")
def officer_code(person: Annotated[str, typer.Argument(help="Officer id (#12) or name.")]) -> None:
    """Issue an officer's sign-in secret for the status pages; shown once, for an authenticator app."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        officer, secret = storage.issue_officer_secret(
            session, person, secret_key=settings.secret_key_bytes()
        )
        uri = storage.totp_uri(officer, secret, issuer="bantin-officer")
    typer.echo(f"Cán bộ / Officer #{officer.id} {officer.name} ({officer.unit_code})")
    typer.echo(f"Mã bí mật / Secret (chỉ hiện một lần / shown once): {secret}")
    typer.echo(uri)


@export_key_app.command("create")
def export_key_create(
    unit: Annotated[str, typer.Option("--unit", help="The unit whose subtree the key may read.")],
    name: Annotated[str, typer.Option("--name", help="The system that will use the key.")],
) -> None:
    """Issue an API key for an upper-level system (shown once)."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        key, token = storage.create_export_key(session, unit_code=unit, name=name)
    typer.echo(f"Khóa / Key #{key.id} cho / for {key.name} — đơn vị / unit {key.unit_code}")
    typer.echo(f"X-API-Key: {token}")
    typer.echo("Chỉ hiện một lần / Shown once.")


@export_key_app.command("revoke")
def export_key_revoke(key_id: Annotated[int, typer.Argument(help="Key number.")]) -> None:
    """Revoke an API key at once."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        key = storage.revoke_export_key(session, key_id)
    typer.echo(f"Đã thu hồi / Revoked key #{key.id} ({key.name})")


def register(app: typer.Typer) -> None:
    app.add_typer(export_key_app, name="export-key")
    app.command()(status)
    app.add_typer(report_app, name="report")
    app.add_typer(officer_app, name="officer")
