"""Database engine and sessions: SQLite by default, PostgreSQL in production; Alembic upgrades."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def make_engine(url: str, *, pool_size: int | None = None, pool_timeout: float = 30.0) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout.

    ``pool_size``: a fixed pool of that many connections (no overflow), waited for at most
    ``pool_timeout`` seconds (sqlalchemy's TimeoutError beyond); None keeps SQLAlchemy's defaults.
    """
    parsed = make_url(url)
    on_file = parsed.get_backend_name() != "sqlite" or (parsed.database or ":memory:") != ":memory:"
    pool = (
        {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": pool_timeout}
        if pool_size and on_file
        else {}
    )
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **pool)
    if parsed.database and parsed.database != ":memory:":
        _create_private(Path(parsed.database))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def _create_private(path: Path) -> None:
    """Create the SQLite file readable only by its owner (its -wal and -shm files take the same mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back everything on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str, *, secret_key: bytes | None = None):  # type: ignore[no-untyped-def]
    """An Alembic config pointing at the packaged migrations and ``url`` (``secret_key`` for data migrations)."""
    from alembic.config import Config

    config = Config()
    if secret_key:
        config.attributes["secret_key"] = secret_key
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str, revision: str = "head", *, secret_key: bytes | None = None) -> None:
    """Apply migrations up to ``revision`` (creates the database file, mode 0600, if needed).

    ``secret_key`` lets migration 0008 key the stored device token hashes at once.
    """
    from alembic import command

    engine = make_engine(url)  # creates the SQLite directory and file
    engine.dispose()
    with migration_lock(url):
        command.upgrade(alembic_config(url, secret_key=secret_key), revision)


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Hold the database's set-up lock: a second upgrade (or demo set-up) started at once waits, then finds it done.

    SQLite: an exclusive ``flock`` on ``<file>.lock`` beside the database; PostgreSQL: an advisory
    lock keyed by the current schema, held on a connection of its own outside any transaction.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                key = connection.execute(
                    text("select hashtext('bantin-migrate:' || current_schema())")
                ).scalar()
                connection.execute(text("select pg_advisory_lock(:key)"), {"key": key})
                try:
                    yield
                finally:
                    connection.execute(text("select pg_advisory_unlock(:key)"), {"key": key})
        finally:
            engine.dispose()
    elif parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        import fcntl

        fd = os.open(f"{parsed.database}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when the descriptor closes, even if the process dies
            yield
        finally:
            os.close(fd)
    else:
        yield


def current_revision(url: str) -> str | None:
    """The migration revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
