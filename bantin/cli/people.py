"""People and audit commands: who may review for which unit, their one-time codes, the audit chain."""

from __future__ import annotations

import getpass
import io
from typing import Annotated

import typer

from bantin.cli.common import fail, ready_settings, session_for

people_app = typer.Typer(help="People: editors, reviewers, translators, officers.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail (nhật ký kiểm tra).", no_args_is_help=True)

ROLE_HELP = "editor, reviewer, translator or officer"


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def _secret_key(settings) -> bytes:  # type: ignore[no-untyped-def]
    try:
        return settings.secret_key_bytes()
    except (OSError, ValueError) as exc:
        fail(exc)


def _print_secret(person, secret: str) -> None:  # type: ignore[no-untyped-def]
    """The secret, once: an otpauth:// URI and its QR code drawn in the terminal."""
    import segno

    import storage

    uri = storage.totp_uri(person, secret)
    qr = io.StringIO()
    segno.make(uri, error="m").terminal(out=qr, compact=True)
    typer.echo(
        "Mã bí mật chỉ hiện MỘT lần: quét mã QR bằng ứng dụng xác thực (Google Authenticator, Aegis...).\n"
        "The secret is shown ONCE: scan the QR code with an authenticator app."
    )
    typer.echo(qr.getvalue())
    typer.echo(uri)
    typer.echo(f"secret: {secret}")


@people_app.command("add")
def people_add(
    name: Annotated[str, typer.Argument(help="Full name, e.g. 'Nguyễn Văn An'.")],
    unit: Annotated[str, typer.Option(help="Code of the person's unit, e.g. 18904.")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    emergency: Annotated[bool, typer.Option(help="Pre-authorised to approve emergency bulletins.")] = False,
    office: Annotated[str, typer.Option(help="Office, e.g. 'Phó Chủ tịch UBND xã'.")] = "",
) -> None:
    """Add a person; a reviewer's one-time-code secret is printed once (URI and QR code)."""
    import storage

    settings = ready_settings()
    key = _secret_key(settings)
    with session_for(settings) as session:
        person, secret = storage.add_person(
            session,
            name=name,
            unit_code=unit,
            role=role,
            office=office,
            emergency=emergency,
            secret_key=key,
            actor=_actor(),
        )
    typer.echo(f"#{person.id} {storage.person_label(person)}: {person.role.value}, unit {person.unit_code}")
    if secret:
        _print_secret(person, secret)


@people_app.command("list")
def people_list(
    unit: Annotated[str | None, typer.Option(help="Only people of this unit code.")] = None,
    role: Annotated[str | None, typer.Option(help=ROLE_HELP)] = None,
    revoked: Annotated[bool, typer.Option(help="Include revoked people.")] = False,
) -> None:
    """List people (never their secrets)."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        people = storage.list_people(session, unit_code=unit, role=role, include_revoked=revoked)
    if not people:
        typer.echo("Chưa có ai. / Nobody yet: bantin people add NAME --unit CODE --role reviewer")
        return
    for p in people:
        flags = ["emergency" if p.emergency else "", "" if p.active else f"revoked {p.revoked_at:%Y-%m-%d}"]
        extra = ", ".join(f for f in flags if f)
        typer.echo(
            f"#{p.id}\t{p.name}\t{p.role.value}\t{p.unit_code}\t{p.office}" + (f"\t{extra}" if extra else "")
        )


@people_app.command("revoke")
def people_revoke(ref: Annotated[str, typer.Argument(help="Id (12 or #12) or exact name.")]) -> None:
    """Withdraw a person's authority; their one-time codes stop working at once."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        person = storage.revoke_person(session, ref, actor=_actor())
    typer.echo(f"Đã thu hồi / revoked: #{person.id} {person.name}")


@people_app.command("reissue")
def people_reissue(ref: Annotated[str, typer.Argument(help="Id (12 or #12) or exact name.")]) -> None:
    """A new one-time-code secret for a reviewer who lost theirs; the old one stops working."""
    import storage

    settings = ready_settings()
    key = _secret_key(settings)
    with session_for(settings) as session:
        person, secret = storage.reissue_secret(session, ref, secret_key=key, actor=_actor())
    typer.echo(f"#{person.id} {storage.person_label(person)}: mã cũ đã hết hiệu lực / the old secret is dead")
    _print_secret(person, secret)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain; exit 1 naming the first broken row."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        report = storage.verify_audit(session)
    if report.ok:
        typer.echo(f"Nhật ký nguyên vẹn: {report.rows} dòng. / Audit chain intact: {report.rows} rows.")
        if report.last_id is not None:
            typer.echo(
                f"Dòng cuối / last row {report.last_id}: {report.last_hash} "
                "(ghi lại ở nơi khác để phát hiện việc xóa đuôi nhật ký / keep it elsewhere to detect a cut tail)"
            )
        return
    typer.echo(
        f"Lỗi: nhật ký bị can thiệp, dòng hỏng đầu tiên là {report.first_broken_id}: {report.reason_vi}",
        err=True,
    )
    typer.echo(
        f"Error: the audit chain is broken; first broken row: {report.first_broken_id}: {report.reason}",
        err=True,
    )
    raise typer.Exit(1)


@audit_app.command("log")
def audit_log(bulletin: Annotated[str, typer.Option(help="Bulletin id or external id.")]) -> None:
    """Print a bulletin's history: who did what, when, to which content."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        found = storage.get_bulletin(session, bulletin)
        events = storage.bulletin_history(session, found.id)
    typer.echo(f"Bản tin / bulletin {found.id}: {found.title}")
    if not events:
        typer.echo("Chưa có sự kiện nào. / No events yet.")
    for e in events:
        version = f"v{e.version_id}" if e.version_id else "-"
        content = e.content_hash[:12] or "-"
        note = e.details.get("comment") or e.details.get("reason") or ""
        typer.echo(
            f"{e.id}\t{e.at:%Y-%m-%d %H:%M:%S}Z\t{e.action}\t{e.actor}\t{version}\t{content}"
            + (f"\t{note}" if note else "")
        )


def register(app: typer.Typer) -> None:
    app.add_typer(people_app, name="people")
    app.add_typer(audit_app, name="audit")
