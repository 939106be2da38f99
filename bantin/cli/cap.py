"""`bantin cap import`: a CAP 1.2 public-warning alert becomes a draft bulletin (emergency when severe)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bantin.cli.common import fail, ready_settings, session_for

cap_app = typer.Typer(help="CAP 1.2 public-warning alerts (Common Alerting Protocol).", no_args_is_help=True)

_KINDS = {
    "stored": ("Đã lưu bản tin", "stored bulletin"),
    "new_version": (
        "Đã lưu phiên bản mới từ bản cập nhật của",
        "stored a new version (CAP Update) of bulletin",
    ),
}


def _when(at, timezone: str) -> str:  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M") if at else "–"


@cap_app.command("import")
def cap_import(
    path: Annotated[Path, typer.Argument(help="The CAP 1.2 alert (XML file).")],
    source_unit: Annotated[
        str | None,
        typer.Option(help="Code of the unit that issues the bulletin (default: the targets' province)."),
    ] = None,
    editor: Annotated[str, typer.Option(help="Who imports it (kept in the audit trail).")] = "CAP import",
) -> None:
    """Turn a CAP 1.2 alert into a draft bulletin: areas to units, severity and urgency to priority."""
    from datetime import UTC, datetime

    from bantin.cap import CapError, import_alert, parse_alert, read_alert

    try:
        alert = parse_alert(read_alert(path))
    except CapError as exc:
        fail(exc)
    settings = ready_settings()
    try:
        with session_for(settings) as session:
            outcome = import_alert(
                session,
                alert,
                now=datetime.now(UTC),
                source_unit=source_unit,
                created_by=editor,
                timezone=settings.timezone,
            )
    except CapError as exc:
        fail(exc)
    _report(outcome, alert.identifier, settings.timezone)


def _report(outcome, identifier: str, timezone: str) -> None:  # type: ignore[no-untyped-def]
    ref = f"#{outcome.bulletin_id}"
    if outcome.kind == "duplicate":
        typer.echo(
            f"Trùng: cảnh báo {identifier} đã được nhập thành bản tin {ref} ({outcome.status}); không lưu gì thêm "
            f"/ duplicate: alert {identifier} was already imported as bulletin {ref} ({outcome.status}); "
            "nothing stored"
        )
        return
    if outcome.kind == "cancel":
        typer.echo(
            f"Cảnh báo {identifier} HỦY bản tin {ref} «{outcome.title}» ({outcome.status}); không phát gì "
            f"/ alert {identifier} CANCELS bulletin {ref} ({outcome.status}); nothing is broadcast"
        )
        for en, vi in outcome.notes:
            typer.echo(f"Cần làm: {vi} / To do: {en}")
        return
    vi, en = _KINDS[outcome.kind]
    typer.echo(f"{vi} {ref} v{outcome.version} / {en} {ref} v{outcome.version}: {outcome.title}")
    typer.echo(f"Mức độ / priority: {outcome.priority} (CAP: {outcome.levels})")
    typer.echo("Địa bàn / targets: " + ", ".join(f"{code} {name}" for code, name in outcome.targets))
    valid = f"{_when(outcome.valid_from, timezone)} → {_when(outcome.valid_until, timezone)} ({timezone})"
    typer.echo(f"Hiệu lực / valid: {valid}")
    for en_note, vi_note in outcome.notes:
        typer.echo(f"Lưu ý: {vi_note} / Note: {en_note}")
    typer.echo(f"Tiếp theo / next: bantin produce {outcome.bulletin_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(cap_app, name="cap")
