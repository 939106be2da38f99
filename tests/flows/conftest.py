"""Flow tests: one Prefect test server for the folder, a data dir with the demo province, reviewers with codes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

import storage

REPO = Path(__file__).resolve().parents[2]
DRAFTS = json.loads((REPO / "bantin" / "demo" / "drafts.json").read_text(encoding="utf-8"))
DEVICES = (REPO / "bantin" / "demo" / "devices.json").read_text(encoding="utf-8")
SECRET_KEY = "flow-tests-secret-key"


@pytest.fixture(scope="session", autouse=True)
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(autouse=True)
def no_run_left_waiting() -> Iterator[None]:
    """Cancel what a test left paused: tests find waiting reviews on the shared server by version id."""
    yield
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.states import Cancelled

    waiting = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
    with get_client(sync_client=True) as client:
        for run in client.read_flow_runs(flow_run_filter=FlowRunFilter(state=waiting)):
            client.set_flow_run_state(
                run.id, Cancelled(message="left waiting by a finished test"), force=True
            )


@dataclass
class Reviewer:
    """A person with review authority and the secret of their authenticator app."""

    id: int
    name: str
    label: str
    secret: str
    last_step: int = -1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def code(self) -> str:
        """A fresh one-time code: the current step's, or the next one's (codes are valid ±1 step), never reused."""
        with self.lock:
            while True:
                now = storage.utcnow()
                step = int(now.timestamp()) // 30
                use = max(step, self.last_step + 1)
                if use <= step + 1:
                    self.last_step = use
                    return storage.totp_code(self.secret, now + timedelta(seconds=30 * (use - step)))
                time.sleep(1)


@dataclass
class World:
    """A data dir with the demo province, villages, devices and reviewers."""

    data_dir: Path
    url: str
    people: dict[str, Reviewer]

    def session(self):  # type: ignore[no-untyped-def]
        return storage.session_scope(_engine(self.url))

    def submit(self, raw: dict) -> int:
        with self.session() as session:
            bulletin, _, _ = storage.save_draft(
                session=session, draft=storage.BulletinDraft.model_validate(raw)
            )
            return bulletin.id


_ENGINES: dict[str, object] = {}


def _engine(url: str):  # type: ignore[no-untyped-def]
    if url not in _ENGINES:
        _ENGINES[url] = storage.make_engine(url)
    return _ENGINES[url]


PEOPLE = (
    # key, name, unit, office, emergency
    ("commune", "Hoàng Thị Duyệt", "18904", "Phó Chủ tịch UBND xã", False),
    ("commune_b", "Lê Văn Bình", "18922", "Chủ tịch UBND xã", False),
    ("province", "Trần Quốc Tỉnh", "44", "Giám đốc Sở Văn hóa", False),
    ("emergency", "Phạm Khẩn", "18904", "Trưởng Công an xã", True),
)


def make_world(data_dir: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("BANTIN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("BANTIN_DATABASE_URL", url)
    monkeypatch.setenv("BANTIN_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("BANTIN_REVIEW_POLL_SECONDS", "0.5")
    monkeypatch.delenv("BANTIN_S3_ENDPOINT", raising=False)
    people = {}
    with storage.session_scope(_engine(url)) as session:
        storage.import_province(session=session, province="Quảng Trị")
        storage.import_records(session=session, rows=storage.parse_records(DEVICES, "json"))
        for key, name, unit, office, emergency in PEOPLE:
            person, secret = storage.add_person(
                session,
                name=name,
                unit_code=unit,
                role="reviewer",
                office=office,
                emergency=emergency,
                secret_key=SECRET_KEY.encode(),
            )
            people[key] = Reviewer(person.id, name, storage.person_label(person), secret)
    return World(data_dir, url, people)


@pytest.fixture
def world(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> World:
    """SQLite world (the embedded default)."""
    return make_world(tmp_path, sqlite_url, monkeypatch)


@pytest.fixture
def any_world(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> World:
    """The same world on a SQLite file and on PostgreSQL."""
    return make_world(tmp_path, db_url, monkeypatch)


def wait_for(
    check: Callable[[], object],
    timeout: float = 120,
    what: str = "condition",
    seen: Callable[[], object] | None = None,
) -> object:
    """Poll until ``check`` returns something truthy (a test helper, not a timing assertion).

    ``seen`` describes what was there instead when it gives up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"gave up waiting for {what}" + (f"; instead: {seen()}" if seen else ""))


def run_state(run_id) -> str:  # type: ignore[no-untyped-def]
    """A run's state as the Prefect API reports it (for failure messages)."""
    from uuid import UUID

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(str(run_id))).state
    if state is None:
        return "no state"
    return (
        f"{state.type.value} {state.name!r} pause_key={state.state_details.pause_key!r} {state.message or ''}"
    )


def paused_for(version_id: int | None = None, bulletin: int | None = None, world: World | None = None):  # type: ignore[no-untyped-def]
    """The paused review run of a version (or of a bulletin's newest version), once it waits."""
    from flows.review import paused_reviews

    def find():  # type: ignore[no-untyped-def]
        wanted = version_id
        if wanted is None and world is not None:
            with world.session() as session:
                wanted = storage.latest_version(session, bulletin).id
        return next((p for p in paused_reviews() if p.version_id == wanted), None)

    return wait_for(find, what=f"a review waiting for version {version_id or bulletin}")


def next_pause(run_id, previous_key: str):  # type: ignore[no-untyped-def]
    """The run's next pause after ``previous_key`` (it waits again after a refused answer)."""
    from flows.review import paused_review

    return wait_for(
        lambda: (p := paused_review(run_id)) is not None and p.pause_key != previous_key and p,
        timeout=300,  # a loaded machine's Prefect server can take minutes over one state change
        what=f"the run to wait again after {previous_key}",
        seen=lambda: run_state(run_id),
    )


class Answerer(threading.Thread):
    """Answers every waiting review with one reviewer's valid code and one decision."""

    def __init__(self, reviewer: Reviewer, decision: str = "approve", comment: str = "") -> None:
        super().__init__(daemon=True)
        self.reviewer, self.decision, self.comment = reviewer, decision, comment
        self.done, self.answered = threading.Event(), []

    def run(self) -> None:
        from flows.review import paused_reviews, submit_review

        seen = set()
        while not self.done.wait(0.3):
            for paused in paused_reviews():
                if paused.pause_key in seen:
                    continue
                seen.add(paused.pause_key)
                submit_review(
                    paused.flow_run_id,
                    reviewer=self.reviewer.id,
                    code=self.reviewer.code(),
                    decision=storage.ReviewDecision(self.decision),
                    comment=self.comment,
                )
                self.answered.append(paused.version_id)

    def __enter__(self) -> Answerer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.join()
