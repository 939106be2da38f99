"""Helpers shared by CLI commands: settings, database, and errors shown to editors."""

from __future__ import annotations

from contextlib import contextmanager
from typing import NoReturn

import typer

from bantin.settings import Settings, load_settings


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
    storage.upgrade_database(settings.resolved_database_url)
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
