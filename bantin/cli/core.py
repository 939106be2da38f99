"""Core commands: database, units, devices, bulletins, production, reviews, evaluation, demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

import bantin
from bantin.cli.common import CommandFailed, fail, failed_everywhere, ready_settings, session_for
from bantin.prefect_env import configure_prefect
from bantin.settings import load_settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
units_app = typer.Typer(help="Administrative units (provinces, communes, villages).", no_args_is_help=True)
devices_app = typer.Typer(help="Loudspeaker clusters and e-boards.", no_args_is_help=True)
bulletins_app = typer.Typer(help="Bulletin drafts.", no_args_is_help=True)
reviews_app = typer.Typer(help="Reviews of produced bulletins (through Prefect).", no_args_is_help=True)
audio_app = typer.Typer(help="Recorded audio for languages without a voice.", no_args_is_help=True)


def version() -> None:
    """Print the bantin version."""
    typer.echo(bantin.__version__)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (creates the SQLite file on first use)."""
    import storage

    settings = load_settings()
    storage.upgrade_database(settings.resolved_database_url, secret_key=settings.secret_key_bytes())
    typer.echo(f"database at revision {storage.current_revision(settings.resolved_database_url)}")


@units_app.command("import")
def units_import(
    province: Annotated[str, typer.Option(help="Province name or GSO code, e.g. 'Quảng Trị'.")],
) -> None:
    """Import a province and its communes from the vietnam-provinces package."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        result = storage.import_province(session=session, province=province)
    typer.echo(
        f"{result.province_name} ({result.province_code}): {result.communes} communes/wards, "
        f"{result.added} added, {result.updated} updated"
    )


@units_app.command("list")
def units_list(
    parent: Annotated[str | None, typer.Option(help="Only units directly below this code.")] = None,
    name: Annotated[str | None, typer.Option(help="Only units whose name contains this.")] = None,
) -> None:
    """List administrative units."""
    from sqlmodel import select

    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        query = select(storage.AdminUnit).order_by(storage.AdminUnit.code)
        if parent:
            query = query.where(storage.AdminUnit.parent_code == parent)
        units = storage.find_units(session, name, limit=10_000) if name else session.exec(query).all()
        for unit in units:
            typer.echo(f"{unit.code}\t{unit.level.value}\t{unit.name}\t{unit.parent_code or ''}")


def _board_url(value: str) -> str:
    """Checked before anything is written: a bad URL must not cost a device its token."""
    if value and not value.startswith(("http://", "https://")):
        raise typer.BadParameter(
            f"phải bắt đầu bằng http:// hoặc https:// / must start with http:// or https://: {value!r}"
        )
    return value


BoardUrlOption = Annotated[
    str,
    typer.Option(
        "--board-url",
        callback=_board_url,
        help="Gateway base URL as e-boards reach it: also print each e-board's login link "
        "(opened once by a kiosk browser that cannot send the token header).",
    ),
]


@devices_app.command("import")
def devices_import(
    path: Annotated[Path, typer.Argument(help="CSV or JSON file of villages and devices.")],
    board_url: BoardUrlOption = "",
) -> None:
    """Create or update villages and devices; prints tokens of new devices once."""
    import storage

    if not path.is_file():
        fail(FileNotFoundError(f"no such file: {path}"))
    fmt = "json" if path.suffix.lower() == ".json" else "csv"
    try:
        rows = storage.parse_records(path.read_text(encoding="utf-8"), fmt)
    except (ValueError, UnicodeDecodeError) as exc:
        fail(ValueError(f"{path}: {exc}"))
    settings = ready_settings()
    with session_for(settings) as session:
        result = storage.import_records(session=session, rows=rows, secret_key=settings.secret_key_bytes())
        boards = {
            device_id
            for device_id in result.tokens
            if session.get(storage.Device, device_id).kind == storage.DeviceKind.eboard
        }
    typer.echo(
        f"villages: {result.villages_added} added, {result.villages_updated} updated; "
        f"devices: {result.devices_added} added, {result.devices_updated} updated"
    )
    for device_id, token in result.tokens.items():
        typer.echo(f"token {device_id} {token}")
        if board_url and device_id in boards:
            typer.echo(f"board-link {device_id} {_board_link(board_url, device_id, token)}")


@devices_app.command("token")
def devices_token(device_id: str, board_url: BoardUrlOption = "") -> None:
    """Issue a new token for a device (the old one, and a board signed in with it, stop working)."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        token = storage.issue_token(
            session=session, device_id=device_id, secret_key=settings.secret_key_bytes()
        )
    typer.echo(token)
    if board_url:
        typer.echo(f"board-link {device_id} {_board_link(board_url, device_id, token)}")


def _board_link(base_url: str, device_id: str, token: str) -> str:
    from gateway.board import board_login_link

    return board_login_link(base_url, device_id, token)


@bulletins_app.command("submit")
def bulletins_submit(
    path: Annotated[Path, typer.Argument(help="JSON file: one draft or a list of drafts.")],
) -> None:
    """Store drafts (idempotent on external_id and content)."""
    from pydantic import ValidationError

    import storage

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        drafts = [
            storage.BulletinDraft.model_validate(d) for d in (data if isinstance(data, list) else [data])
        ]
    except (OSError, ValueError, ValidationError) as exc:
        fail(ValueError(f"{path}: {exc}"))
    settings = ready_settings()
    with session_for(settings) as session:
        for draft in drafts:
            bulletin, version, created = storage.save_draft(session=session, draft=draft)
            typer.echo(
                f"bulletin {bulletin.id} v{version.number} {'stored' if created else 'unchanged'}: {bulletin.title}"
            )


@bulletins_app.command("list")
def bulletins_list() -> None:
    """List bulletins with their status."""
    from sqlmodel import select

    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        for b in session.exec(select(storage.Bulletin).order_by(storage.Bulletin.id)).all():
            note = f"\t{b.production_note}" if b.production_note else ""
            typer.echo(f"{b.id}\t{b.status.value}\t{b.priority.value}\t{b.title}{note}")


def produce(
    bulletin: Annotated[list[str] | None, typer.Argument(help="Bulletin ids; none means all drafts.")] = None,
    voice: Annotated[str, typer.Option(help="Voice name (bantin voices).")] = "",
    review_timeout_minutes: Annotated[int | None, typer.Option(help="Wait this long per review.")] = None,
) -> None:
    """Run the production flow; each review waits in its own run (Prefect UI or `bantin reviews`)."""
    from bantin.local_run import run_production

    settings = ready_settings()
    with session_for(settings) as session:
        refs = _known_bulletins(session, bulletin or [])
    outcome = run_production(
        settings, bulletins=refs, voice=voice, review_timeout_minutes=review_timeout_minutes
    )
    typer.echo(json.dumps(outcome, ensure_ascii=False, indent=2, default=str))
    if failed_everywhere(outcome):
        fail(
            CommandFailed(
                "every bulletin failed (see 'error' above); nothing was produced",
                "mọi bản tin đều lỗi (xem 'error' ở trên); không sản xuất được bản tin nào",
            ),
            code=1,
        )


def _known_bulletins(session, refs: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """The ids as given, once each is a stored bulletin; otherwise an error naming `bantin bulletins list`."""
    import storage

    for ref in refs:
        try:
            if not ref.strip():
                raise storage.UnknownBulletin("a bulletin id is empty", "mã bản tin để trống")
            storage.get_bulletin(session, ref.strip())
        except storage.UnknownBulletin as exc:
            fail(
                storage.UnknownBulletin(
                    f"{exc.message_en}; `bantin bulletins list` shows the bulletins and their ids",
                    f"{exc.message_vi}; `bantin bulletins list` liệt kê các bản tin và mã của chúng",
                )
            )
    return [ref.strip() for ref in refs]


@reviews_app.command("list")
def reviews_list() -> None:
    """Review runs waiting for a reviewer, with who may approve each."""
    settings = load_settings()
    configure_prefect(settings.data_dir)
    from flows.review import paused_reviews, waiting_form

    for paused in paused_reviews():
        schema, _ = waiting_form(paused.flow_run_id)
        who = "; ".join(schema.get("properties", {}).get("reviewer", {}).get("enum") or [])
        typer.echo(f"{paused.flow_run_id}\tversion {paused.version_id}\t{paused.flow_run_name}\t{who}")


_DECISIONS = {
    "approve": "approve",
    "duyệt": "approve",
    "reject": "reject",
    "từ chối": "reject",
    "request_changes": "request_changes",
    "yêu cầu sửa": "request_changes",
}


@reviews_app.command("submit")
def reviews_submit(
    flow_run_id: str,
    decision: Annotated[
        str, typer.Option(help="approve (duyệt), reject (từ chối) or request_changes (yêu cầu sửa)")
    ],
    reviewer: Annotated[str, typer.Option(help="Your name or id (#id), as `bantin reviews list` shows it")],
    comment: Annotated[str, typer.Option(help="Required to reject or request changes")] = "",
    script: Annotated[
        Path | None, typer.Option(help="File with an edited radio script (makes a new version)")
    ] = None,
) -> None:
    """Answer a waiting review like the Prefect UI form; the one-time code is asked for, never an option."""
    from uuid import UUID

    import storage

    choice = _DECISIONS.get(decision.strip().lower())
    if choice is None:
        fail(
            ValueError(
                "quyết định là duyệt, từ chối hoặc yêu cầu sửa / decision is approve, reject or request_changes"
            )
        )
    try:
        run_id = UUID(flow_run_id)
        edited = script.read_text(encoding="utf-8") if script else ""
    except (ValueError, OSError) as exc:
        fail(ValueError(f"{exc}: mã lượt chạy là UUID, tệp kịch bản phải đọc được / the run id is a UUID"))
    settings = load_settings()
    configure_prefect(settings.data_dir)
    from flows.review import AnswerResult, answer_result, paused_review, submit_review

    waiting = paused_review(run_id)
    if waiting is None or waiting.version_id is None:
        fail(ValueError(f"lượt chạy {run_id} không chờ duyệt / run {run_id} is not waiting for a review"))
    code = typer.prompt("Mã dùng một lần / One-time code", hide_input=True)
    try:
        submit_review(
            run_id,
            reviewer=reviewer,
            code=code,
            decision=storage.ReviewDecision(choice),
            comment=comment,
            edited_script=edited,
        )
    except storage.StorageError as exc:
        fail(exc)
    result: AnswerResult = answer_result(settings, waiting)
    if result.status == "waiting":
        fail(storage.StorageError(result.message_en, result.message_vi))
    typer.echo(f"{result.message_vi} / {result.message_en}")


def evaluate(period: Annotated[str, typer.Option(help="all, day or annual")] = "all") -> None:
    """Run the evaluation flow and print the totals."""
    settings = ready_settings()
    configure_prefect(settings.data_dir)
    from flows.evaluate import EvaluateRequest, Period, evaluate_reach

    try:
        request = EvaluateRequest(period=Period(period))
    except ValueError as exc:
        fail(exc)
    result = evaluate_reach(request)
    typer.echo(json.dumps({k: v for k, v in result.items() if k != "groups"}, ensure_ascii=False, indent=2))


@audio_app.command("import")
def audio_import(
    path: Annotated[Path, typer.Argument(help="WAV, MP3, OGG/Opus or M4A recording.")],
    bulletin: Annotated[str, typer.Option(help="Bulletin id or external id.")],
    language: Annotated[str, typer.Option(help="ISO 639-3 code, e.g. khm, hnj.")],
    profile: Annotated[str, typer.Option(help="Mastering profile.")] = "loudspeaker",
) -> None:
    """Master a recorded reading and store it as the bulletin's audio in that language."""
    from bantin.recordings import store_recording

    if not path.is_file():
        fail(FileNotFoundError(f"no such file: {path}"))
    settings = ready_settings()
    try:
        summary = store_recording(
            settings,
            path.read_bytes(),
            filename=path.name,
            bulletin=bulletin,
            language=language,
            profile=profile,
        )
    except ValueError as exc:  # SpeechError and StorageError are ValueErrors with both messages
        fail(exc)
    typer.echo(summary)


def demo(
    devices: Annotated[int, typer.Option(help="How many simulated devices to run.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the simulated faults.")] = 7,
) -> None:
    """The main job end to end on embedded defaults: province, drafts, flows, approval, devices, report."""
    from bantin.demo.run import run_demo

    run_demo(load_settings(), devices=devices, seed=seed)


def register(app: typer.Typer) -> None:
    app.command()(version)
    app.command()(produce)
    app.command()(evaluate)
    app.command()(demo)
    app.add_typer(db_app, name="db")
    app.add_typer(units_app, name="units")
    app.add_typer(devices_app, name="devices")
    app.add_typer(bulletins_app, name="bulletins")
    app.add_typer(reviews_app, name="reviews")
    app.add_typer(audio_app, name="audio")
