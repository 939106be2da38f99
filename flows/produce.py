"""Production flow: text and speech for each draft, a reviewer's approval, then distribution."""

from __future__ import annotations

import contextvars
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from pydantic import BaseModel, Field, StringConstraints

import nlp
import storage
import tts
from flows import stages
from flows.review import ReviewRequestParams, expire_overdue, review_bulletin
from flows.settings import PipelineSettings
from storage import BulletinStatus, RenditionKind

REVIEW_DEPLOYMENT = "review-bulletin/review"


class ProduceRequest(BaseModel):
    """What to produce: the Prefect UI shows this as the run form."""

    bulletins: list[Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"\S")]] = Field(
        default_factory=list,
        description="Bulletin ids or external ids (`bantin bulletins list` shows them); empty means every "
        "draft waiting for production.",
    )
    voice: str = Field("", description="Voice name (bantin voices); empty means the configured default.")
    distribute: bool = Field(True, description="Distribute to devices as soon as a reviewer approves.")
    review_timeout_minutes: int | None = Field(
        None, ge=1, description="How long to wait for each review; empty means the configured default."
    )


def transient(task, task_run, state) -> bool:  # type: ignore[no-untyped-def]
    """Retry I/O and model hiccups, not bad input: the same text would fail again."""
    try:
        state.result()
    except (nlp.TextError, tts.SpeechError, storage.StorageError):
        return False
    except Exception:
        return True
    return False


@task(retries=2, retry_delay_seconds=2, retry_condition_fn=transient, cache_policy=NO_CACHE)
def prepare_text(settings: PipelineSettings, version_id: int, voice: str) -> dict:
    """Summarize and normalize one version; stored renditions make a rerun skip the work."""
    with stages.open_session(settings) as session:
        done = {r.kind: r for r in storage.renditions(session, version_id) if r.language == "vie"}
        if RenditionKind.spoken in done and RenditionKind.eboard in done:
            return {"version_id": version_id, "spoken": done[RenditionKind.spoken].text, "reused": True}
        job = storage.production_job(session, version_id)
        places = storage.village_names(session, job.targets)
    text = stages.prepare_text(
        job.body,
        title=job.title,
        target_seconds=job.target_seconds,
        voice=voice,
        places=places,
        model_dir=settings.summarizer_model_dir,
    )
    with stages.open_session(settings) as session:
        stages.save_text(session, version_id, text)
    return {"version_id": version_id, "spoken": text.spoken, "reused": False}


def stored_audio(session, version_id: int, spoken: str) -> dict | None:  # type: ignore[no-untyped-def]
    """The version's Vietnamese audio if it was already made from this spoken text."""
    for r in storage.renditions(session, version_id):
        if r.language == "vie" and r.kind == RenditionKind.audio and r.text == spoken and r.audio_key:
            return {
                "language": r.language,
                "audio_key": r.audio_key,
                "sha256": (r.details or {}).get("sha256", ""),
                "duration_s": r.duration_s,
                "loudness_lufs": r.loudness_lufs,
                "true_peak_dbtp": r.true_peak_dbtp,
                "engine": r.engine,
                "voice": r.voice,
            }
    return None


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=transient, cache_policy=NO_CACHE)
def synthesize(settings: PipelineSettings, version_id: int, spoken: str, voice: str) -> dict:
    """Synthesize and master one rendition; audio is content-addressed, so a rerun reuses it."""
    with stages.open_session(settings) as session:
        earlier = stored_audio(session, version_id, spoken)
    if earlier is not None:
        return earlier
    audio = stages.render_audio(
        stages.object_store(settings), spoken, language="vie", voice=voice, models_dir=settings.tts_models_dir
    )
    with stages.open_session(settings) as session:
        stages.save_audio(session, version_id, audio, spoken)
        job = storage.production_job(session, version_id)
        storage.set_status(session=session, bulletin_id=job.bulletin_id, status=BulletinStatus.pending_review)
        storage.append_audit(
            session,
            actor="system",
            action="produced",
            bulletin_id=job.bulletin_id,
            version_id=version_id,
            content_hash=storage.version_digest(session, version_id),
            details={"engine": audio.engine, "voice": audio.voice, "duration_s": audio.duration_s},
        )
    return stages.as_dict(audio)


def started_from_deployment() -> bool:
    """True when this run, or a run it is a subflow of (the editor's form), was started from a deployment."""
    from prefect.client.orchestration import get_client

    run = get_run_context().flow_run
    with get_client(sync_client=True) as client:
        while run.deployment_id is None and run.parent_task_run_id is not None:
            run = client.read_flow_run(client.read_task_run(run.parent_task_run_id).flow_run_id)
    return run.deployment_id is not None


def start_reviews(requests: list[ReviewRequestParams]) -> dict[int, dict]:
    """One review run per version, none waiting behind another (emergencies are started first).

    From a deployment each review is a run of its own deployment, so it can suspend and survive
    restarts; in-process (bantin produce, tests) the review flows run side by side in threads and
    this waits for all of them.
    """
    if not requests:
        return {}
    logger = get_run_logger()
    if started_from_deployment():
        from prefect.deployments import run_deployment
        from prefect.exceptions import ObjectNotFound

        try:
            started = {}
            for params in requests:
                # Not a subflow: Prefect cannot suspend subflows, and the review must survive restarts.
                run = run_deployment(
                    REVIEW_DEPLOYMENT,
                    parameters={"request": params.model_dump()},
                    timeout=0,
                    as_subflow=False,
                )
                started[params.version_id] = {"status": "started", "review_run": str(run.id)}
            return started
        except ObjectNotFound:
            logger.warning("no %s deployment: reviews run inside this run", REVIEW_DEPLOYMENT)
    with ThreadPoolExecutor(max_workers=len(requests), thread_name_prefix="review") as pool:
        futures = {
            params.version_id: pool.submit(
                contextvars.copy_context().run, review_bulletin, params, return_state=True
            )
            for params in requests
        }
        results = {}
        for version_id, future in futures.items():
            value = future.result().result(raise_on_failure=False)
            if isinstance(value, BaseException):
                results[version_id] = {"status": "failed", "error": stages.editor_message(value)}
                logger.error("review of version %s failed: %s", version_id, results[version_id]["error"])
            else:
                results[version_id] = value
        return results


@flow(name="produce-bulletins", log_prints=True)
def produce_bulletins(request: ProduceRequest) -> dict:
    """Produce text and speech for drafts, then review each version in its own run; approved ones are distributed."""
    logger = get_run_logger()
    settings = PipelineSettings()
    voice = request.voice or settings.default_voice
    for version_id in expire_overdue(settings):
        logger.warning(
            "version %s expired unapproved / phiên bản %s hết hạn mà chưa được duyệt", version_id, version_id
        )
    with stages.open_session(settings) as session:
        try:
            versions = storage.versions_to_produce(session, request.bulletins)
        except storage.UnknownBulletin as error:
            raise storage.UnknownBulletin(
                f"{error.message_en}; `bantin bulletins list` shows the bulletins and their ids",
                f"{error.message_vi}; `bantin bulletins list` liệt kê các bản tin và mã của chúng",
            ) from None
    texts = {v: prepare_text.submit(settings, v, voice) for _, v, _ in versions}
    audio = {}
    for version_id, future in texts.items():
        text = future.result(raise_on_failure=False)
        if not isinstance(text, BaseException):
            audio[version_id] = synthesize.submit(settings, version_id, text["spoken"], voice)
    outcome: dict[str, dict] = {}
    reviews = []
    for bulletin_id, version_id, _ in versions:
        row = outcome.setdefault(str(bulletin_id), {"version_id": version_id})
        result = audio[version_id].result(raise_on_failure=False) if version_id in audio else None
        failure = (
            result if isinstance(result, BaseException) else texts[version_id].result(raise_on_failure=False)
        )
        if isinstance(failure, BaseException):
            row["error"] = stages.editor_message(failure)
            stages.note_failure(settings, bulletin_id, row["error"])
            logger.error("bulletin %s was not produced: %s", bulletin_id, row["error"])
            continue
        row["audio"] = result
        reviews.append(
            ReviewRequestParams(
                version_id=version_id,
                voice=request.voice,
                distribute=request.distribute,
                review_timeout_minutes=request.review_timeout_minutes,
            )
        )
    by_version = {row["version_id"]: row for row in outcome.values()}
    for version_id, review in start_reviews(reviews).items():
        by_version[version_id]["review"] = review
        by_version[version_id]["decision"] = review.get("decision")
        by_version[version_id]["reviewer"] = review.get("reviewer")
        if "distribution" in review:
            by_version[version_id]["distribution"] = review["distribution"]
    return outcome


def task_runner_for(name: str):  # type: ignore[no-untyped-def]
    """The Prefect task runner a setting names: threads, processes or dask."""
    workers = os.cpu_count() or 2
    if name == "threads":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=workers)
    if name == "processes":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=workers)
    if name == "dask":
        from prefect_dask import DaskTaskRunner  # optional: pip install prefect-dask

        return DaskTaskRunner()
    raise ValueError(f"unknown task runner {name!r}; use threads, processes or dask")
