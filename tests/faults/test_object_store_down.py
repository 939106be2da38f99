"""The S3 server stops during synthesis: the task retries, then fails with a clear message; nothing partial, nothing lost."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect import flow
from prefect.client.orchestration import get_client

import storage
from flows import stages
from flows.produce import prepare_text, synthesize
from flows.settings import PipelineSettings
from storage import RenditionKind
from tests.faults.conftest import Seaweed
from tests.flows.conftest import DRAFTS, make_world

pytestmark = pytest.mark.s3


@pytest.fixture(scope="module", autouse=True)
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@flow
def synthesize_one(settings: PipelineSettings, version_id: int) -> dict:
    """The production flow's text and speech tasks for one version (retries as configured, without the waits)."""
    text = prepare_text(settings, version_id, settings.default_voice)
    future = synthesize.with_options(retry_delay_seconds=0).submit(
        settings, version_id, text["spoken"], settings.default_voice
    )
    result = future.result(raise_on_failure=False)
    error = stages.editor_message(result) if isinstance(result, BaseException) else None
    return {"task_run_id": future.task_run_id, "error": error, "audio": None if error else result}


def attempts(task_run_id) -> int:  # type: ignore[no-untyped-def]
    with get_client(sync_client=True) as client:
        return client.read_task_run(task_run_id).run_count


def audio_renditions(world, version_id: int) -> list:  # type: ignore[no-untyped-def]
    with world.session() as session:
        return [r for r in storage.renditions(session, version_id) if r.kind == RenditionKind.audio]


def test_s3_stopped_during_synthesis_retries_then_fails_clearly_and_a_rerun_completes(
    tmp_path: Path, sqlite_url: str, seaweed: Seaweed, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(tmp_path, sqlite_url, monkeypatch)
    for name, value in {
        "endpoint": seaweed.endpoint,
        "bucket": "faults",
        "access_key": "any",
        "secret_key": "any",
    }.items():
        monkeypatch.setenv(f"BANTIN_S3_{name.upper()}", value)
    settings = PipelineSettings()
    bulletin_id = world.submit(DRAFTS[0])
    with world.session() as session:
        [(_, version_id, _)] = storage.versions_to_produce(session, [str(bulletin_id)])
        draft_before = storage.production_job(session, version_id)
    stages.object_store(settings)  # the process has its store open, bucket made, when the server goes away
    seaweed.stop()

    failed = synthesize_one(settings, version_id)

    assert failed["error"] is not None
    assert attempts(failed["task_run_id"]) == 4  # the first try and synthesize's three retries
    message = failed["error"]
    assert "kho lưu trữ đối tượng" in message and "object store" in message
    assert "BANTIN_S3_ENDPOINT" in message and seaweed.endpoint in message
    assert "Traceback" not in message
    assert audio_renditions(world, version_id) == []
    with world.session() as session:  # the draft and its prepared text are all still there
        assert storage.production_job(session, version_id) == draft_before
        kinds = {r.kind for r in storage.renditions(session, version_id)}
    assert {RenditionKind.spoken, RenditionKind.eboard} <= kinds

    seaweed.start()
    client = seaweed.client()
    stored = [o["Key"] for o in client.list_objects_v2(Bucket="faults").get("Contents", [])]
    for key in stored:  # no partial object: every content-addressed object holds exactly its content
        if key.startswith("audio/"):
            body = client.get_object(Bucket="faults", Key=key)["Body"].read()
            assert key == f"audio/{hashlib.sha256(body).hexdigest()}.mp3"

    rerun = synthesize_one(settings, version_id)

    assert rerun["error"] is None
    [audio] = audio_renditions(world, version_id)
    body = client.get_object(Bucket="faults", Key=audio.audio_key)["Body"].read()
    assert audio.audio_key == f"audio/{hashlib.sha256(body).hexdigest()}.mp3"
    assert body[:3] == b"ID3" or (body[0] == 0xFF and body[1] >> 5 == 0b111)  # an MP3 frame
