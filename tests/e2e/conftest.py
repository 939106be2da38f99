"""A real `prefect server start` process, the served deployments and bantin data for the e2e review tests."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEVICES = REPO / "bantin" / "demo" / "devices.json"
DRAFTS = REPO / "bantin" / "demo" / "drafts.json"
SECRET_KEY = "e2e-review-secret-key-not-for-production"


def wait_until(check: Callable[[], object], *, timeout: float, what: str, every: float = 1.0) -> object:
    """Poll ``check`` until it returns something truthy; fail the test naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            found = check()
            if found:
                return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def stop(process: subprocess.Popen | None) -> None:
    """Stop a process started here and every child it made (its own session), then reap it."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class Stack:
    """One Prefect server (its own home and port), bantin's data dir, and the processes started on them."""

    root: Path
    port: int = field(default_factory=free_port)
    gateway_port: int = field(default_factory=free_port)
    server: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'bantin.db'}"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every process: nothing inherited from BANTIN_ or PREFECT_ settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BANTIN_", "PREFECT_"))}
        env.update(
            PREFECT_HOME=str(self.root / "prefect"),
            PREFECT_API_URL=self.api_url,
            PREFECT_SERVER_API_HOST="127.0.0.1",
            PREFECT_SERVER_API_PORT=str(self.port),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            DO_NOT_TRACK="1",
            BANTIN_DATA_DIR=str(self.data_dir),
            BANTIN_SECRET_KEY=SECRET_KEY,
            BANTIN_REVIEW_POLL_SECONDS="1",
            BANTIN_PUBLIC_GATEWAY_URL=self.gateway_url,
        )
        env.update(extra)
        return env

    def log(self, name: str):  # type: ignore[no-untyped-def]
        return (self.root / f"{name}.log").open("ab")

    def start_server(self, **extra: str) -> None:
        """`prefect server start` on this stack's home and port; returns once the API answers."""
        self.server = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env(**extra),
            cwd=self.root,
            stdout=self.log("server"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(
            self.healthy, timeout=180, what=f"the Prefect server on port {self.port} ({self.root}/server.log)"
        )

    def healthy(self) -> bool:
        if self.server is not None and self.server.poll() is not None:
            pytest.fail(f"the Prefect server exited: {(self.root / 'server.log').read_text()[-3000:]}")
        with urllib.request.urlopen(f"{self.api_url}/health", timeout=5) as response:
            return response.status == 200

    def stop_server(self) -> None:
        stop(self.server)
        self.server = None

    def serve_deployments(self) -> subprocess.Popen:
        """`python -m deployments.serve` from the repository root, as a server without workers runs it."""
        process = subprocess.Popen(
            [sys.executable, "-m", "deployments.serve"],
            env=self.env(),
            cwd=REPO,
            stdout=self.log("serve"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(process)
        return process

    def start_gateway(self) -> None:
        """The device gateway (`uvicorn gateway.app:app`), which also serves reviewers' audio links."""
        self.workers.append(
            subprocess.Popen(
                [
                    str(BIN / "uvicorn"),
                    "gateway.app:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.gateway_port),
                ],
                env=self.env(),
                cwd=REPO,
                stdout=self.log("gateway"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

        def answers() -> bool:
            with urllib.request.urlopen(f"{self.gateway_url}/healthz", timeout=5) as response:
                return response.status == 200

        wait_until(answers, timeout=60, what=f"the gateway on port {self.gateway_port}")

    def stop_workers(self) -> None:
        for process in self.workers:
            stop(process)
        self.workers.clear()

    def close(self) -> None:
        self.stop_workers()
        self.stop_server()

    def logs(self) -> str:
        """The tail of every process log, for a failure message."""
        return "\n".join(
            f"== {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.root.glob("*.log"))
        )


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A fresh stack; every process it started is stopped afterwards, whatever happens."""
    found = Stack(tmp_path)
    found.data_dir.mkdir()
    try:
        yield found
    finally:
        found.close()


@contextlib.contextmanager
def prefect_client_for(stack: Stack):  # type: ignore[no-untyped-def]
    """This test process's Prefect calls go to the stack's server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: stack.api_url}):
        yield


def seed_bantin(stack: Stack, drafts: int = 1) -> tuple[list[int], str, int]:
    """Units, demo devices, a provincial reviewer and drafts; returns (bulletin ids, TOTP secret, person id)."""
    import storage

    storage.upgrade_database(stack.database_url)
    engine = storage.make_engine(stack.database_url)
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        storage.import_records(
            session=session, rows=storage.parse_records(DEVICES.read_text("utf-8"), "json")
        )
        person, secret = storage.add_person(
            session,
            name="Trần Văn Kiểm",
            unit_code="44",
            role="reviewer",
            office="Phó Chủ tịch UBND tỉnh",
            secret_key=SECRET_KEY.encode(),
            actor="e2e",
        )
        # A second provincial reviewer: the form offers a real choice, as it does in practice.
        storage.add_person(
            session,
            name="Lê Thị Hà",
            unit_code="44",
            role="reviewer",
            office="Chánh Văn phòng UBND tỉnh",
            secret_key=SECRET_KEY.encode(),
            actor="e2e",
        )
        # Normal bulletins' reviews suspend in a deployment and expire when their broadcast window starts:
        # the province's one window opens hours from now, whenever the test runs.
        local = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(hours=6)
        session.add(
            storage.BroadcastWindow(
                unit_code="44", name="e2e", starts=clock(local.hour, 0), ends=clock(local.hour, 45)
            )
        )
        ids = []
        for raw in json.loads(DRAFTS.read_text("utf-8"))[:drafts]:
            raw = {**raw, "priority": "normal", "external_id": f"e2e-{raw['external_id']}"}
            bulletin, _, _ = storage.save_draft(
                session=session, draft=storage.BulletinDraft.model_validate(raw)
            )
            ids.append(bulletin.id)
        person_id = person.id
    engine.dispose()
    return ids, secret or "", person_id
