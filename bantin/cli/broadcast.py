"""``bantin windows``: broadcast windows (khung giờ phát) and program limits per unit, and a unit's composed day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bantin.cli.common import fail, ready_settings, session_for

windows_app = typer.Typer(
    help="Broadcast windows (khung giờ phát) per unit, inherited by the units below.", no_args_is_help=True
)

UnitArgument = Annotated[str, typer.Argument(help="Unit code (province, commune or village).")]
PRIORITY_VI = {"emergency": "khẩn cấp", "priority": "ưu tiên", "normal": "thường"}


def _languages(text: str | None) -> list[str] | None:
    """``vie,khm`` as registered language codes, in that order."""
    if text is None:
        return None
    import nlp

    try:
        return [nlp.get_language(code).code for code in text.split(",") if code.strip()] or [""]
    except nlp.TextError as exc:
        fail(exc)


def _names(session, code: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Names of a unit and its ancestors, by code."""
    from storage.units import ancestor_codes, get_unit

    return {c: get_unit(session, c).name for c in ancestor_codes(session, code)}


def _describe(found, names: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    """A unit's windows and limits, each marked as its own or inherited (and from where)."""
    from storage.windows import clock

    def source(code: str | None, default: str) -> str:
        if code is None:
            return default
        if code == found.unit_code:
            return "riêng / own"
        return f"kế thừa từ / inherited from {names.get(code, code)} ({code})"

    spans = " ".join(f"{clock(s)}-{clock(e)}" for _, s, e in found.windows)
    limit = (
        f"{found.max_program_minutes} phút / min" if found.max_program_minutes else "không giới hạn / none"
    )
    order = ",".join(found.language_order) or "theo thiết bị / by device"
    return [
        f"  Khung giờ / Windows: {spans} ({source(found.windows_from, 'mặc định / default')})",
        f"  Chương trình tối đa / Max program: {limit} ({source(found.max_from, '-')})",
        f"  Thứ tự ngôn ngữ / Language order: {order} ({source(found.languages_from, '-')})",
    ]


def windows_set(
    unit: UnitArgument,
    windows: Annotated[
        list[str] | None, typer.Argument(help="Daily windows, local time, e.g. 06:00-06:30 17:00-17:30.")
    ] = None,
    max_minutes: Annotated[
        int | None, typer.Option("--max-minutes", help="Longest program in one window, in minutes.")
    ] = None,
    languages: Annotated[
        str | None, typer.Option("--languages", help="Order languages play in, e.g. vie,khm.")
    ] = None,
) -> None:
    """Set a unit's own windows (replacing them) and/or its program limits; units below inherit them."""
    import storage

    order = _languages(languages)
    settings = ready_settings()
    with session_for(settings) as session:
        found = storage.set_unit_broadcast(
            session, unit, list(windows or []), max_minutes=max_minutes, languages=order, actor="cli"
        )
        names = _names(session, found.unit_code)
    typer.echo(f"Đã lưu / Saved: {names[found.unit_code]} ({found.unit_code})")
    typer.echo("\n".join(_describe(found, names)))


def windows_list(
    unit: Annotated[
        str | None, typer.Option("--unit", help="One unit: its windows and where they come from.")
    ] = None,
) -> None:
    """Windows and limits: of one unit (own or inherited), or of every unit that sets its own."""
    import storage
    from storage.windows import clock, default_windows

    settings = ready_settings()
    lines = []
    with session_for(settings) as session:
        if unit:
            codes = [storage.units.get_unit(session, unit.strip()).code]
        else:
            codes = storage.units_with_own_broadcast(session)
            spans = " ".join(f"{clock(s)}-{clock(e)}" for _, s, e in default_windows(session))
            lines.append(f"Mặc định / Default: {spans}")
        for code in codes:
            found = storage.unit_broadcast(session, code)
            names = {
                c: storage.units.get_unit(session, c).name
                for c in storage.units.ancestor_codes(session, code)
            }
            lines.append(f"{names[code]} ({code})")
            lines += _describe(found, names)
    typer.echo("\n".join(lines))


def windows_clear(unit: UnitArgument) -> None:
    """Remove a unit's own windows and limits: it inherits its parent's again."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        found = storage.clear_unit_broadcast(session, unit)
        names = _names(session, found.unit_code)
    typer.echo(f"Đã xoá cài đặt riêng / Own settings removed: {names[found.unit_code]} ({found.unit_code})")
    typer.echo("\n".join(_describe(found, names)))


def _day(text: str | None, timezone: str) -> date:
    if text is None:
        return datetime.now(ZoneInfo(timezone)).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        import storage

        fail(
            storage.InvalidWindow(
                f"date {text!r}: write it as YYYY-MM-DD, e.g. 2026-12-03",
                f"ngày {text!r}: hãy viết theo dạng NNNN-TT-NN, ví dụ 2026-12-03",
            )
        )


def render_day(name: str, code: str, day: date, rows, broadcast, timezone: str) -> str:  # type: ignore[no-untyped-def]
    """The composed day as a table: time, window, priority, bulletin, language, length, where."""
    from storage.windows import clock

    tz = ZoneInfo(timezone)
    spans = " ".join(f"{n} {clock(s)}-{clock(e)}" for n, s, e in broadcast.windows)
    limit = (
        f"; tối đa / max {broadcast.max_program_minutes} phút / min" if broadcast.max_program_minutes else ""
    )
    header = ("Giờ / Time", "Khung / Window", "Ưu tiên / Priority", "Bản tin / Bulletin", "NN / Lang",
              "Dài / Length", "Cụm loa / Clusters", "Nơi / Where")  # fmt: skip
    table = [
        (
            f"{r.starts.astimezone(tz):%H:%M:%S}-{r.ends.astimezone(tz):%H:%M:%S}",
            r.window,
            f"{PRIORITY_VI.get(r.priority, r.priority)} / {r.priority}",
            f"#{r.bulletin_id} {r.title[:48]}",
            r.language,
            f"{r.duration_s:.0f} s",
            str(len(r.devices)),
            ", ".join(r.places)[:60],
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in [header, *table]) for i in range(len(header))]
    lines = [
        f"Lịch phát / Composed day: {name} ({code}) — {day:%d/%m/%Y}",
        f"Khung giờ / Windows: {spans}{limit}",
        "",
        " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
        "-+-".join("-" * w for w in widths),
    ]
    lines += [" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in table]
    if not table:
        lines.append("Không có bản tin nào được xếp lịch / Nothing is scheduled that day.")
    return "\n".join(lines)


def windows_show(
    unit: UnitArgument,
    day: Annotated[
        str | None, typer.Option("--date", help="Local date, YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """The composed day of a unit's loudspeakers: every slot with its bulletin, priority and length."""
    import storage

    settings = ready_settings()
    wanted = _day(day, settings.timezone)
    with session_for(settings) as session:
        found = storage.unit_broadcast(session, unit)
        name = storage.units.get_unit(session, found.unit_code).name
        rows = storage.day_program(session, found.unit_code, wanted)
    typer.echo(render_day(name, found.unit_code, wanted, rows, found, settings.timezone))


def register(app: typer.Typer) -> None:
    windows_app.command("set")(windows_set)
    windows_app.command("list")(windows_list)
    windows_app.command("clear")(windows_clear)
    windows_app.command("show")(windows_show)
    app.add_typer(windows_app, name="windows")
