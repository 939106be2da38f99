"""Factories for gateway tests: a real SQLite database, real MP3 audio, devices and approved bulletins."""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import lameenc
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

import storage
from gateway.app import create_app
from gateway.server import serve_in_thread

PROVINCE = "Quảng Trị"


def mp3_tone(freq_hz: float = 440.0, seconds: float = 1.0, rate: int = 16_000) -> bytes:
    """A real MP3 of a sine tone, encoded with LAME."""
    samples = bytearray()
    for n in range(int(seconds * rate)):
        value = int(8000 * math.sin(2 * math.pi * freq_hz * n / rate))
        samples += value.to_bytes(2, "little", signed=True)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return bytes(encoder.encode(bytes(samples)) + encoder.flush())


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database holding one province and its communes, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "bantin.db"
    url = f"sqlite:///{path}"
    storage.upgrade_database(url)
    engine = storage.make_engine(url)
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province=PROVINCE)
    engine.dispose()
    return path


@dataclass
class World:
    """A test deployment: settings, engine, object store, devices with their tokens."""

    settings: storage.StorageSettings
    engine: object
    store: storage.ObjectStore
    communes: list[str]
    tokens: dict[str, str] = field(default_factory=dict)

    def session(self):  # type: ignore[no-untyped-def]
        return storage.session_scope(self.engine)

    def publish(
        self,
        title: str,
        *,
        targets: list[str],
        priority: str = "normal",
        audio: bytes | None = None,
        eboard_text: str | None = None,
        duration_s: float = 1.0,
        distribute_at: datetime | None = None,
    ) -> int:
        """Draft, render, approve and distribute a bulletin; returns its id."""
        with self.session() as session:
            draft = storage.BulletinDraft(
                title=title,
                body=f"{title}. Nội dung bản tin thử nghiệm.",
                priority=storage.Priority(priority),
                source_unit=self.communes[0],
                target_units=targets,
            )
            bulletin, version, _ = storage.save_draft(session=session, draft=draft)
            audio = audio if audio is not None else mp3_tone(300 + 50 * bulletin.id, duration_s)
            storage.save_rendition(
                session=session,
                version_id=version.id,
                language="vie",
                kind=storage.RenditionKind.audio,
                audio_key=storage.put_content(self.store, audio),
                duration_s=duration_s,
            )
            storage.save_rendition(
                session=session,
                version_id=version.id,
                language="vie",
                kind=storage.RenditionKind.eboard,
                text=eboard_text or title,
            )
            storage.record_review(
                session=session,
                version_id=version.id,
                reviewer="tester",
                decision=storage.ReviewDecision.approve,
            )
            storage.distribute_version(session=session, version_id=version.id, now=distribute_at)
            return bulletin.id

    def count(self, model) -> int:  # type: ignore[no-untyped-def]
        with self.session() as session:
            return len(session.exec(select(model)).all())

    def items(self, device_id: str) -> list[int]:
        with self.session() as session:
            query = select(storage.PlaylistItem.id).where(storage.PlaylistItem.device_id == device_id)
            return sorted(session.exec(query).all())


DEVICES = [
    {"id": "loa-a1", "kind": "speaker_cluster", "unit": "V-A", "simulated": "true"},
    {"id": "loa-a2", "kind": "speaker_cluster", "unit": "V-A", "simulated": "true"},
    {"id": "bang-a1", "kind": "eboard", "unit": "V-A", "simulated": "true"},
    {"id": "loa-b1", "kind": "speaker_cluster", "unit": "V-B", "simulated": "true"},
    {"id": "loa-that", "kind": "speaker_cluster", "unit": "V-B"},
]


def seed_world(settings: storage.StorageSettings) -> World:
    """Two villages under two communes, four simulated devices and one real one."""
    engine = storage.make_engine(settings.resolved_database_url)
    with storage.session_scope(engine) as session:
        communes = sorted(
            session.exec(
                select(storage.AdminUnit.code).where(storage.AdminUnit.level == storage.AdminLevel.commune)
            ).all()
        )[:2]
        rows = [
            {"type": "village", "code": "V-A", "name": "Thôn Một", "parent": communes[0]},
            {"type": "village", "code": "V-B", "name": "Thôn Hai", "parent": communes[1]},
            *({"type": "device", **d} for d in DEVICES),
        ]
        imported = storage.import_records(session=session, rows=rows)
    return World(settings, engine, storage.open_object_store(settings), communes, imported.tokens)


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path, template_db: Path) -> World:
    """A seeded deployment on a SQLite file; parametrize indirectly with "postgres" or "s3" (objects in S3)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if getattr(request, "param", "sqlite") == "postgres":
        url = request.getfixturevalue("postgres_url")
        engine = storage.make_engine(url)
        with storage.session_scope(engine) as session:
            storage.import_province(session=session, province=PROVINCE)
        engine.dispose()
    else:
        shutil.copy(template_db, data_dir / "bantin.db")
        url = f"sqlite:///{data_dir / 'bantin.db'}"
    objects: dict[str, str] = {"s3_endpoint": ""}
    if getattr(request, "param", "sqlite") == "s3":
        bucket = f"gw-{tmp_path.name[-20:].lower().replace('_', '-')}-{os.getpid()}"
        objects = {"s3_endpoint": request.getfixturevalue("s3_endpoint"), "s3_bucket": bucket}
        objects |= {"s3_access_key": "any", "s3_secret_key": "any"}
    world = seed_world(storage.StorageSettings(data_dir=data_dir, database_url=url, **objects))
    yield world
    world.engine.dispose()


BOTH_DATABASES = pytest.mark.parametrize(
    "world", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def client(world: World) -> TestClient:
    with TestClient(create_app(world.settings)) as test_client:
        yield test_client


@pytest.fixture
def gateway_url(world: World) -> str:
    """The base URL of the real gateway serving ``world`` over a socket (uvicorn in a thread)."""
    with serve_in_thread(create_app(world.settings)) as url:
        yield url


def auth(world: World, device_id: str, *, as_device: str | None = None) -> dict[str, str]:
    """Headers of ``device_id`` (or of ``as_device`` lying about being ``device_id``)."""
    return {"Authorization": f"Bearer {world.tokens[as_device or device_id]}", "X-Device-Id": device_id}
