"""``bantin emergency``: end an emergency everywhere at once, and how often emergencies repeat."""

from __future__ import annotations

from typing import Annotated

import typer

from bantin.cli.common import fail, ready_settings, session_for

emergency_app = typer.Typer(
    help="Emergencies (bản tin khẩn cấp): end one everywhere, set how often they repeat.",
    no_args_is_help=True,
)


def emergency_end(
    bulletin: Annotated[int, typer.Argument(help="The emergency bulletin's number.", min=1)],
    actor: Annotated[str, typer.Option("--by", help="Who ends it, for the audit trail.")] = "cli",
) -> None:
    """Withdraw an emergency from every loudspeaker and e-board now; devices are told at once (MQTT, long-poll)."""
    from storage.emergency import end_emergency
    from storage.notify import publish_poll_now

    settings = ready_settings()
    with session_for(settings) as session:
        ended = end_emergency(session, bulletin, actor=actor)
    if not ended.items:
        typer.echo(
            f"Bản tin {bulletin} ({ended.title}) không còn mục nào đang phát: không có gì để rút / "
            f"Bulletin {bulletin} ({ended.title}) has nothing left on air: nothing to withdraw"
        )
        return
    push = publish_poll_now(settings.mqtt_url, ended.units, reason="emergency_ended", bulletin_id=bulletin)
    typer.echo(
        f"Đã kết thúc khẩn cấp: bản tin {bulletin} ({ended.title}) rút khỏi {len(ended.devices)} thiết bị "
        f"({ended.items} mục) / Emergency ended: bulletin {bulletin} withdrawn from {len(ended.devices)} "
        f"device(s) ({ended.items} item(s))"
    )
    if push.sent:
        typer.echo(f"Đã báo qua MQTT / Told over MQTT: {len(push.sent)} đơn vị / unit(s)")
    if push.warning():
        typer.echo(push.warning(), err=True)


def _every(text: str) -> int | None:
    """``10`` minutes, or ``off``."""
    from storage.emergency import EmergencyError

    if text.strip().lower() in ("off", "tat", "tắt", "0"):
        return None
    try:
        return int(text)
    except ValueError:
        fail(
            EmergencyError(
                f"repeat every {text!r}: give a number of minutes (e.g. 15) or 'off'",
                f"lặp lại mỗi {text!r}: hãy nhập số phút (ví dụ 15) hoặc 'off'",
            )
        )


def emergency_repeat(
    every: Annotated[str, typer.Argument(help="Minutes between repetitions, or 'off'.")],
    unit: Annotated[
        str | None, typer.Option("--unit", help="A unit (and those below it); without it, the default.")
    ] = None,
) -> None:
    """Repeat each emergency every N minutes on loudspeakers until it ends (applies to later emergencies)."""
    from storage.emergency import emergency_repeat_for, set_emergency_repeat

    minutes = _every(every)
    settings = ready_settings()
    with session_for(settings) as session:
        set_emergency_repeat(session, unit.strip() if unit else None, minutes, actor="cli")
        shown, source = emergency_repeat_for(session, unit.strip()) if unit else (minutes, "*")
    where = unit or "mặc định / default"
    if shown:
        typer.echo(
            f"Khẩn cấp lặp lại mỗi {shown} phút tại {where} (đặt ở {source}) / "
            f"Emergencies repeat every {shown} min in {where} (set on {source})"
        )
    else:
        typer.echo(f"Khẩn cấp không lặp lại tại {where} / Emergencies do not repeat in {where}")


def register(app: typer.Typer) -> None:
    emergency_app.command("end")(emergency_end)
    emergency_app.command("repeat")(emergency_repeat)
    app.add_typer(emergency_app, name="emergency")
