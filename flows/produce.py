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
from flows.translate import TranslateRequest, produce_language, translate_bulletin, version_languages
from storage import BulletinStatus, RenditionKind
from storage.translation import missing_renditions

REVIEW_DEPLOYMENT = "review-bulletin/review"
TRANSLATE_DEPLOYMENT = "translate-bulletin/translate"


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


def run_subflow(subflow, request) -> tuple[dict | None, str | None, bool]:  # type: ignore[no-untyped-def]
    """Run a review or translation flow in this thread: (its return value, None, False), or (None, why it
    failed or was cancelled, whether it was cancelled).

    The flow is called for its value, not its state: Prefect's engine hands back what the flow
    returned, in memory. Read from the final state instead, the value made a round trip through the
    API: when Prefect's database was briefly locked under load, the client sent the final state again,
    the server refused the duplicate and answered with its own copy, which has no data (results are
    not persisted), and ``state.result()`` raised MissingResult, failing the whole production.
    """
    from prefect.exceptions import CancelledRun, MissingResult

    try:
        return subflow(request), None, False
    except CancelledRun as cancelled:  # the flow returned a Cancelled state: its message says why
        return None, str(cancelled) or "đã huỷ / cancelled", True
    except MissingResult:  # a flow ended by a state of its own whose data Prefect's API lost
        return (
            None,
            (
                f"không đọc được kết quả của lần chạy {subflow.name} (máy chủ Prefect bận); hãy chạy lại sản xuất "
                f"/ the result of the {subflow.name} run could not be read (Prefect's server was busy); "
                "run the production again"
            ),
            False,
        )
    except Exception as error:
        return None, stages.editor_message(error), False


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
                contextvars.copy_context().run, run_subflow, review_bulletin, params
            )
            for params in requests
        }
        results = {}
        for version_id, future in futures.items():
            value, error, cancelled = future.result()
            if error is None:
                results[version_id] = value
                continue
            results[version_id] = {"status": "failed", "error": error}
            if cancelled:
                logger.warning("review of version %s was cancelled: %s", version_id, error)
            else:
                logger.error("review of version %s failed: %s", version_id, error)
        return results


def start_translations(jobs: list[tuple[ReviewRequestParams, list[str]]]) -> dict[int, dict]:
    """Versions with languages waiting for a translator: one translate-bulletin run per language.

    From a deployment each is a run of its own deployment (it suspends until the translator answers
    and the last one to finish starts the version's review); in-process the runs go side by side in
    threads, then the version's review starts once every language is ready.
    """
    if not jobs:
        return {}
    logger = get_run_logger()
    if started_from_deployment():
        from prefect.deployments import run_deployment
        from prefect.exceptions import ObjectNotFound

        try:
            started: dict[int, dict] = {}
            for params, languages in jobs:
                runs = {}
                for language in languages:
                    request = TranslateRequest(version_id=params.version_id, language=language, review=params)
                    run = run_deployment(
                        TRANSLATE_DEPLOYMENT,
                        parameters={"request": request.model_dump(mode="json")},
                        timeout=0,
                        as_subflow=False,
                    )
                    runs[language] = str(run.id)
                started[params.version_id] = {"status": "waiting_translator", "translation_runs": runs}
            return started
        except ObjectNotFound:
            logger.warning("no %s deployment: translations run inside this run", TRANSLATE_DEPLOYMENT)

    def chain(params: ReviewRequestParams, languages: list[str]) -> dict:
        with ThreadPoolExecutor(max_workers=len(languages), thread_name_prefix="translate") as pool:
            futures = {
                language: pool.submit(
                    contextvars.copy_context().run,
                    run_subflow,
                    translate_bulletin,
                    TranslateRequest(version_id=params.version_id, language=language),
                )
                for language in languages
            }
            for language, future in futures.items():
                _, error, _ = future.result()
                if error is not None:
                    logger.error(
                        "translation of version %s into %s failed: %s", params.version_id, language, error
                    )
                    return {"status": "failed", "error": error, "language": language}
        with stages.open_session(PipelineSettings()) as session:
            missing = missing_renditions(session, params.version_id)
        if missing:
            return {"status": "waiting", "missing": missing}
        return start_reviews([params])[params.version_id]

    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="translations") as pool:
        futures = {
            params.version_id: pool.submit(contextvars.copy_context().run, chain, params, languages)
            for params, languages in jobs
        }
        return {version_id: future.result() for version_id, future in futures.items()}


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
    audio: dict = {}
    languages: dict[int, dict | None] = {}
    for version_id, future in texts.items():
        text = future.result(raise_on_failure=False)
        if not isinstance(text, BaseException):
            audio[version_id] = synthesize.submit(settings, version_id, text["spoken"], voice)
            with stages.open_session(settings) as session:
                frozen = storage.version_frozen(session, version_id)
            # A version already sent for review keeps what its reviewer sees (languages added later go
            # into the next version).
            languages[version_id] = (
                None
                if frozen
                else {
                    code: produce_language.submit(settings, version_id, code, settings)
                    for code in version_languages(settings, version_id)
                }
            )
    outcome: dict[str, dict] = {}
    reviews, translations = [], []
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
        params = ReviewRequestParams(
            version_id=version_id,
            voice=request.voice,
            distribute=request.distribute,
            review_timeout_minutes=request.review_timeout_minutes,
        )
        if languages[version_id] is None:
            reviews.append(params)
            continue
        row["languages"], needs_translator, failed = {}, [], []
        for code, future in languages[version_id].items():
            made = future.result(raise_on_failure=False)
            if isinstance(made, BaseException):
                failed.append(f"{code}: {stages.editor_message(made)}")
                continue
            row["languages"][code] = {k: v for k, v in made.items() if k != "translation"}
            if made["status"] == "needs_translator":
                needs_translator.append(code)
        if failed:
            row["error"] = "; ".join(failed)
            stages.note_failure(settings, bulletin_id, row["error"])
            logger.error("bulletin %s was not translated: %s", bulletin_id, row["error"])
            continue
        if needs_translator:
            translations.append((params, needs_translator))
            continue
        with stages.open_session(settings) as session:
            missing = missing_renditions(session, version_id)
        if missing:
            row["review"] = {"status": "waiting", "missing": missing}
            logger.warning(
                "bulletin %s waits for %s before its review / bản tin %s chờ %s trước khi duyệt",
                bulletin_id, missing, bulletin_id, missing,
            )  # fmt: skip
            continue
        reviews.append(params)
    by_version = {row["version_id"]: row for row in outcome.values()}
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="start") as pool:
        both = [
            pool.submit(contextvars.copy_context().run, start, jobs)
            for start, jobs in ((start_reviews, reviews), (start_translations, translations))
        ]
        started = {**both[0].result(), **both[1].result()}
    for version_id, review in started.items():
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

        return DaskTaskRunner(cluster_kwargs=dask_cluster_kwargs())
    raise ValueError(f"unknown task runner {name!r}; use threads, processes or dask")


def dask_cluster_kwargs() -> dict:
    """A LocalCluster whose workers keep their data in a plain dict: they never spill to disk.

    A Dask worker puts its local directory (a temporary one) first on ``sys.path`` and spills into
    ``<it>/storage``: an empty directory that Python imports as a namespace package in place of
    bantin's ``storage`` whenever the checkout itself is not on the path (``bantin``, or a script, run
    from the repository root), so every task fails to unpickle ("cannot import name 'RenditionKind'
    from 'storage'"), the workers die and are restarted, and the run hangs. Moving the directory does
    not help (it is always on the path); without a spill buffer it gets no ``storage``. Tasks here
    pass ids, texts and object keys, never data worth spilling.
    """
    return {"data": dict}
