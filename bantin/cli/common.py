"""Helpers shared by CLI commands: settings, database, and errors shown to editors."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Any, NoReturn

import typer

from bantin.settings import Settings, load_settings


class CommandFailed(Exception):
    """A command's failure told in English and Vietnamese."""

    def __init__(self, message_en: str, message_vi: str) -> None:
        super().__init__(message_en)
        self.message_en, self.message_vi = message_en, message_vi


def fail(error: BaseException, code: int = 2) -> NoReturn:
    """Print an error in Vietnamese then English (no traceback) and exit."""
    vi = getattr(error, "message_vi", None)
    en = getattr(error, "message_en", None) or str(error)
    if vi:
        typer.echo(f"Lỗi: {vi}", err=True)
    typer.echo(f"Error: {en}", err=True)
    raise typer.Exit(code)


def ready_settings() -> Settings:
    """Settings with the data dir created and the database migrated to the newest schema."""
    import storage

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    storage.upgrade_database(settings.resolved_database_url, secret_key=settings.secret_key_bytes())
    return settings


@contextmanager
def session_for(settings: Settings):  # type: ignore[no-untyped-def]
    """A committing session; a storage error becomes a clear message and nothing is written."""
    import storage

    engine = storage.make_engine(settings.resolved_database_url)
    try:
        with storage.session_scope(engine) as session:
            yield session
    except storage.StorageError as exc:
        fail(exc)
    finally:
        engine.dispose()


def failed_everywhere(outcome: dict[str, Any]) -> bool:
    """True when a production run had bulletins and every one of them failed (an error or a failed review)."""
    rows = [row for row in outcome.values() if isinstance(row, dict)]
    return bool(rows) and all(
        row.get("error") or (row.get("review") or {}).get("status") == "failed" for row in rows
    )


def _input_problem(error: BaseException) -> tuple[str, str] | None:
    """(English, Vietnamese) for errors that bad input causes deep inside a library, else None."""
    from sqlalchemy.exc import StatementError

    cause = error.orig if isinstance(error, StatementError) and error.orig is not None else error
    if isinstance(cause, RecursionError):
        return (
            "the input is nested too deeply to read (thousands of brackets); check the file",
            "dữ liệu vào lồng nhau quá sâu nên không đọc được (hàng nghìn dấu ngoặc); hãy kiểm tra tệp",
        )
    if isinstance(cause, OverflowError):
        return (
            f"a date or number is out of range ({cause}); dates are from 2020 on, e.g. 2026-12-03T07:00:00+07:00",
            f"một ngày hoặc một số vượt giới hạn ({cause}); ngày từ năm 2020 trở đi, ví dụ 2026-12-03T07:00:00+07:00",
        )
    if isinstance(error, StatementError):
        return (
            f"a value cannot be stored in the database ({str(cause).splitlines()[0][:200]}); nothing was stored",
            f"một giá trị không lưu được vào cơ sở dữ liệu ({str(cause).splitlines()[0][:200]}); chưa lưu gì",
        )
    return None


def run_guarded(app: Any) -> None:
    """Run the command line; an error from bad input is one bilingual line and exit 2, never a traceback.

    Any other unexpected error is one line and exit 1; BANTIN_DEBUG=1 shows the traceback instead.
    """
    try:
        app()
    except Exception as error:  # the last resort behind every command's own checks
        if os.environ.get("BANTIN_DEBUG"):
            raise
        problem = _input_problem(error)
        if problem is not None:
            typer.echo(f"Lỗi: {problem[1]}", err=True)
            typer.echo(f"Error: {problem[0]}", err=True)
            sys.exit(2)
        message = str(error).splitlines()[0][:300] if str(error) else ""
        typer.echo(f"Lỗi không mong đợi / Unexpected error: {type(error).__name__}: {message}", err=True)
        typer.echo("(BANTIN_DEBUG=1 shows the traceback / hiện chi tiết lỗi)", err=True)
        sys.exit(1)
