"""Production flow: text and speech for each draft, a reviewer's approval, then distribution."""

from __future__ import annotations

import os
from datetime import timedelta

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.input import RunInput
from pydantic import BaseModel, Field
from sqlmodel import col, select

import nlp
import storage
import tts
from flows import stages
from flows.settings import PipelineSettings
from storage import Bulletin, BulletinStatus, Priority, RenditionKind, ReviewDecision

READY = (BulletinStatus.draft, BulletinStatus.produced, BulletinStatus.pending_review)


class ProduceRequest(BaseModel):
    """What to produce: the Prefect UI shows this as the run form."""

    bulletins: list[str] = Field(
        default_factory=list,
        description="Bulletin ids or external ids; empty means every draft waiting for production.",
    )
    voice: str = Field("", description="Voice name (bantin voices); empty means the configured default.")
    distribute: bool = Field(True, description="Distribute to devices as soon as a reviewer approves.")
    review_timeout_minutes: int | None = Field(
        None, ge=1, description="How long to wait for each review; empty means the configured default."
    )


class ReviewInput(RunInput):
    """A reviewer's decision, typed into the paused run's form in the Prefect UI."""

    decision: ReviewDecision = Field(description="approve, reject or request_changes")
    reviewer: str = Field(min_length=1, description="Name of the reviewer (lãnh đạo phụ trách)")
    comment: str = Field("", description="Reason or requested changes")


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
        version = session.get(storage.BulletinVersion, version_id)
        bulletin = session.get(Bulletin, version.bulletin_id)
        places = stages.village_names(session, storage.target_codes(session, bulletin.id))
        text = stages.prepare_text(
            version.body,
            title=bulletin.title,
            target_seconds=bulletin.target_seconds,
            voice=voice,
            places=places,
            model_dir=settings.summarizer_model_dir,
        )
        stages.save_text(session, version_id, text)
    return {"version_id": version_id, "spoken": text.spoken, "reused": False}


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=transient, cache_policy=NO_CACHE)
def synthesize(settings: PipelineSettings, version_id: int, spoken: str, voice: str) -> dict:
    """Synthesize and master one rendition; audio is content-addressed, so a rerun reuses it."""
    audio = stages.render_audio(
        stages.object_store(settings), spoken, language="vie", voice=voice, models_dir=settings.tts_models_dir
    )
    with stages.open_session(settings) as session:
        stages.save_audio(session, version_id, audio, spoken)
        storage.set_status(
            session=session,
            bulletin_id=session.get(storage.BulletinVersion, version_id).bulletin_id,
            status=BulletinStatus.pending_review,
        )
    return stages.as_dict(audio)


@task(retries=3, retry_delay_seconds=[2, 10, 30], cache_policy=NO_CACHE)
def distribute(settings: PipelineSettings, version_id: int) -> dict:
    """Schedule an approved version on the devices of its target units."""
    with stages.open_session(settings) as session:
        result = storage.distribute_version(
            session=session, version_id=version_id, timezone=settings.timezone
        )
    return {
        "version_id": version_id,
        "items_created": result.items_created,
        "items_existing": result.items_existing,
        "devices": result.devices,
        "skipped": result.skipped,
    }


def pending_versions(settings: PipelineSettings, wanted: list[str]) -> list[tuple[int, int, Priority]]:
    """(bulletin id, latest version id, priority) of the bulletins to produce, emergencies first."""
    with stages.open_session(settings) as session:
        if wanted:
            bulletins = [storage.get_bulletin(session, ref) for ref in wanted]
        else:
            bulletins = list(session.exec(select(Bulletin).where(col(Bulletin.status).in_(READY))).all())
        found = [(b.id, storage.latest_version(session, b.id).id, b.priority) for b in bulletins]
    order = {Priority.emergency: 0, Priority.priority: 1, Priority.normal: 2}
    return sorted(found, key=lambda row: (order[row[2]], row[0]))


def await_review(
    settings: PipelineSettings, version_id: int, timeout_s: int
) -> tuple[ReviewDecision | None, str]:
    """The version's review: an earlier decision if there is one, else wait for a reviewer's input.

    A run started from a deployment suspends (it survives restarts and reruns from the top, where
    stored renditions and this earlier decision make the rerun cheap); a run started in-process pauses.
    """
    with stages.open_session(settings) as session:
        earlier = storage.latest_review(session, version_id)
        if earlier is not None:
            return earlier.decision, earlier.reviewer
        description = stages.review_summary(session, version_id)
    flow_run = get_run_context().flow_run
    form = ReviewInput.with_initial_data(description=description)
    try:
        if flow_run.deployment_id is not None:
            answer = suspend_flow_run(wait_for_input=form, timeout=timeout_s, key=f"review-{version_id}")
        else:
            answer = pause_flow_run(
                wait_for_input=form, timeout=timeout_s, poll_interval=2, key=f"review-{version_id}"
            )
    except FlowPauseTimeout:
        return None, f"no review within {timedelta(seconds=timeout_s)}"
    with stages.open_session(settings) as session:
        stages.apply_review(
            session,
            version_id,
            decision=answer.decision,
            reviewer=answer.reviewer,
            comment=answer.comment,
            flow_run_id=str(flow_run.id),
        )
    return answer.decision, answer.reviewer


@flow(name="produce-bulletins", log_prints=True)
def produce_bulletins(request: ProduceRequest) -> dict:
    """Produce text and speech for drafts, wait for each review, distribute what is approved."""
    logger = get_run_logger()
    settings = PipelineSettings()
    voice = request.voice or settings.default_voice
    timeout_s = (request.review_timeout_minutes or 0) * 60 or settings.review_timeout_seconds
    versions = pending_versions(settings, request.bulletins)
    texts = {v: prepare_text.submit(settings, v, voice) for _, v, _ in versions}
    audio = {}
    for version_id, future in texts.items():
        text = future.result(raise_on_failure=False)
        if not isinstance(text, BaseException):
            audio[version_id] = synthesize.submit(settings, version_id, text["spoken"], voice)
    outcome: dict[str, dict] = {}
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
        decision, by = await_review(settings, version_id, timeout_s)
        row["decision"], row["reviewer"] = (decision.value if decision else None), by
        if decision == ReviewDecision.approve and request.distribute:
            row["distribution"] = distribute(settings, version_id)
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
