"""Fixtures for storage modules that define ``seed(engine)``: the seeded world on either database,
or on a copy of a SQLite file seeded once per module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

import storage


@pytest.fixture
def world(request: pytest.FixtureRequest, engine: Engine) -> Engine:
    """The module's seeded world on SQLite and on PostgreSQL: for what the database's SQL and JSON decide."""
    return request.module.seed(engine)


@pytest.fixture(scope="module")
def seeded_file(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file seeded once by the module's ``seed``; each test gets its own copy."""
    path = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / "seeded.db"
    storage.upgrade_database(f"sqlite:///{path}")
    engine = storage.make_engine(f"sqlite:///{path}")
    request.module.seed(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def sqlite_world(seeded_file: Path, tmp_path: Path) -> Iterator[Engine]:
    """The module's seeded world on SQLite only: for rules decided in Python, the same on either database."""
    copy = tmp_path / "bantin.db"
    shutil.copyfile(seeded_file, copy)
    engine = storage.make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()
