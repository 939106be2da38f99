"""Two `bantin db upgrade` (and two demo set-ups) started together on one fresh database: one waits for the other."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import storage
from storage.db import alembic_config

BANTIN = str(Path(sys.executable).with_name("bantin"))


def environment(data_dir: Path, database_url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BANTIN_", "PREFECT_"))}
    env["BANTIN_DATA_DIR"] = str(data_dir)
    if database_url:
        env["BANTIN_DATABASE_URL"] = database_url
    return env


def run_together(
    commands: list[list[str]], env: dict[str, str], cwd: Path
) -> list[subprocess.CompletedProcess]:
    """Start every command at once and wait for all of them."""
    procs = [
        subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for cmd in commands
    ]
    results = []
    for cmd, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(cmd, proc.returncode, out, err))
    return results


def assert_both_succeeded(results: list[subprocess.CompletedProcess]) -> None:
    for result in results:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        assert "already exists" not in result.stderr and "Traceback" not in result.stderr, result.stderr[
            -3000:
        ]


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_two_db_upgrades_on_a_fresh_sqlite_data_dir_both_succeed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    results = run_together([[BANTIN, "db", "upgrade"]] * 2, environment(data_dir), tmp_path)

    assert_both_succeeded(results)
    url = f"sqlite:///{data_dir / 'bantin.db'}"
    assert storage.current_revision(url) == head_revision()
    assert (data_dir / "bantin.db.lock").stat().st_mode & 0o777 == 0o600


@pytest.fixture
def empty_postgres_url(tmp_path: Path) -> Iterator[str]:
    """An empty schema in the PostgreSQL database ``test`` (no tables yet), dropped afterwards."""
    import psycopg

    from tests.conftest import PG_ADMIN_URL, _postgres_reachable

    if reason := _postgres_reachable():
        if os.environ.get("CI") == "true":  # as the shared postgres_url fixture: required under CI
            pytest.fail(f"{reason} (required when CI=true)")
        pytest.skip(reason)
    schema = f"t_up_{uuid.uuid4().hex[:12]}"
    raw = PG_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.postgres
def test_two_db_upgrades_on_a_fresh_postgres_schema_both_succeed(
    tmp_path: Path, empty_postgres_url: str
) -> None:
    env = environment(tmp_path / "data", empty_postgres_url)

    results = run_together([[BANTIN, "db", "upgrade"]] * 2, env, tmp_path)

    assert_both_succeeded(results)
    assert storage.current_revision(empty_postgres_url) == head_revision()


SET_UP_DEMO = (
    "from bantin.demo.run import demo_reviewer, load_demo_data; from bantin.settings import load_settings; "
    "settings = load_settings(); print(load_demo_data(settings), demo_reviewer(settings)[0])"
)


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_demo_set_ups_at_once_make_one_province_one_reviewer_and_one_set_of_drafts(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    data_dir = tmp_path / "data"
    url = request.getfixturevalue("empty_postgres_url") if database == "postgres" else ""

    results = run_together([[sys.executable, "-c", SET_UP_DEMO]] * 2, environment(data_dir, url), tmp_path)

    assert_both_succeeded(results)
    # both name the same drafts and the same reviewer: nothing was made twice
    assert (
        results[0].stdout.splitlines()[-1] == results[1].stdout.splitlines()[-1] == "['1', '2', '3', '4'] 1"
    )
    engine = storage.make_engine(url or f"sqlite:///{data_dir / 'bantin.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from bulletin").scalar() == 4
        assert connection.exec_driver_sql("select count(*) from person").scalar() == 1
        assert (
            connection.exec_driver_sql("select count(*) from admin_unit where level = 'province'").scalar()
            == 1
        )
    engine.dispose()
