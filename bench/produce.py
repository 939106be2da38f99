"""Production flow wall time over the sample bulletins, per Prefect task runner; prints JSON.

Each runner gets a fresh data dir, the sample drafts (../shared/data/bulletins) addressed to a demo
commune, and a reviewer thread that approves every pause through Prefect's API, so the figure covers
text, speech, review round trips and distribution. Usage: python bench/produce.py [--runner threads|processes] [--limit N] (one runner per process)

``--province``: the nightly batch of one province (An Giang: Vietnamese and Khmer). N communes x M
villages, two loudspeakers (vie, khm) and an e-board per village, B drafts cycled from the samples
(distinct titles) for various communes, every tenth for the whole province; Khmer translations come
from the translation memory (filled beforehand with the drafts' sentences) and the Khmer audio is a
recorded reading imported beforehand (Khmer has no voice here). Reviews are answered by a script
(one provincial reviewer per bulletin, so no answer waits for a one-time code's 30-second step).
Prints wall time; the review waits (from each run's Paused state to the script's answer) and the wall
time without them (each review run's end moved earlier by its own wait); the time outside task bodies
(no task body running and no review waiting: Prefect's run set-up and state round trips, the flow
bodies' own queries) and its share of the time not spent only waiting; Prefect task runs by name
(bodies from Prefect's task run start/end times); per version the distribution's time and SQL
statement count (a before_cursor_execute listener around storage.distribute_version).
Usage: python bench/produce.py --province [--runner threads|processes|dask] [--bulletins 20]
[--communes 100] [--villages 3]; --runners threads,processes,dask runs each in its own process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BULLETINS = REPO.parent / "shared" / "data" / "bulletins"
sys.path = [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent
]  # bench/tts.py shadows tts


def run(runner: str, limit: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"bantin-bench-{runner}-"))
    os.environ["BANTIN_DATA_DIR"] = str(data_dir)
    from bantin.demo.run import DemoReviewer, demo_reviewer
    from bantin.local_run import production_flow
    from bantin.settings import load_settings

    settings = load_settings()
    flow = production_flow(settings, runner)
    import storage
    from flows.produce import ProduceRequest

    storage.upgrade_database(settings.resolved_database_url)
    engine = storage.make_engine(settings.resolved_database_url)
    ids = []
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        for path in sorted(BULLETINS.glob("*.json"))[:limit]:
            raw = json.loads(path.read_text(encoding="utf-8"))
            draft = storage.BulletinDraft(
                title=raw["title"],
                body=raw["body"],
                source_unit="44",
                target_units=["18904"],
                target_seconds=raw["target_seconds"],
                external_id=raw["id"],
            )
            ids.append(str(storage.save_draft(session=session, draft=draft)[0].id))
    engine.dispose()
    reviewer = DemoReviewer(*demo_reviewer(settings))
    reviewer.start()
    started = time.perf_counter()
    try:
        outcome = flow(ProduceRequest(bulletins=ids, review_timeout_minutes=10))
    finally:
        reviewer.stop.set()
        reviewer.join()
    seconds = time.perf_counter() - started
    audio = sum(row["audio"]["duration_s"] for row in outcome.values() if "audio" in row)
    return {
        "runner": runner,
        "bulletins": len(ids),
        "produced": sum("audio" in r for r in outcome.values()),
        "wall_seconds": round(seconds, 1),
        "audio_seconds": round(audio, 1),
        "seconds_per_bulletin": round(seconds / max(len(ids), 1), 2),
        "cpus": os.cpu_count(),
    }


# --- --province: one province's nightly batch ------------------------------------------------------

SUBFLOWS = {"review-bulletin", "translate-bulletin"}
PROVINCE = "An Giang"  # 102 communes; Khmer is broadcast beside Vietnamese
SECOND = "khm"
KHMER_WORDS = ["សូមគោរព", "បងប្អូន", "ប្រជាពលរដ្ឋ", "ព្យុះ", "ទំនាប", "កំពុង", "ខ្លាំងឡើង", "ជម្លៀស", "មុនម៉ោង", "ថ្ងៃទី"]


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def union_seconds(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def khmer_line(segment) -> str:  # type: ignore[no-untyped-def]
    """A Khmer stand-in for an approved translation: Khmer words, the source's values and approved
    glossary terms."""
    from nlp.placeholders import mask

    words = iter(KHMER_WORDS * 40)
    text = [next(words)]
    for value in mask(segment.source).values:
        text += [value, next(words)]
    text += [h["target"] for h in segment.glossary if h.get("target")]
    while len(" ".join(text)) < len(segment.source) * 0.9:
        text.append(next(words))
    return " ".join(text) + "។"


def recorded_reading() -> bytes:
    """A reading as a WAV file (eSpeak NG speech stands in for the announcer's voice)."""
    import io
    import wave

    import numpy as np

    from tts.config import SynthesisConfig
    from tts.registry import get_voice

    chunks = list(
        get_voice("espeak-vi-north").synthesize(
            "Bản tin tiếng Khmer do phát thanh viên xã đọc.", SynthesisConfig()
        )
    )
    samples = np.concatenate([c.samples for c in chunks]) * 0.5
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(chunks[0].sample_rate)
        out.writeframes(np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def seed_province(settings, engine, communes: int, villages: int, bulletins: int) -> dict:  # type: ignore[no-untyped-def]
    """Units, devices, reviewers, drafts, the Khmer memory and readings; what was made."""
    from sqlmodel import select

    import nlp
    import storage
    from flows import stages
    from flows.settings import PipelineSettings
    from flows.translate import translate_script

    key = settings.secret_key_bytes()
    samples = sorted(BULLETINS.glob("*.json"))
    with storage.session_scope(engine) as session:
        province = storage.import_province(session=session, province=PROVINCE).province_code
        codes = sorted(
            session.exec(
                select(storage.AdminUnit.code).where(storage.AdminUnit.parent_code == province)
            ).all()
        )
        if len(codes) < communes:
            raise SystemExit(f"{PROVINCE} has {len(codes)} communes, fewer than --communes {communes}")
        codes = codes[:communes]
        rows: dict[str, list] = {"villages": [], "devices": []}
        for commune in codes:
            storage.set_unit_languages(session, commune, ["vie", SECOND], actor="bench")
            for v in range(1, villages + 1):
                village = f"{province}-{commune}-{v:02d}"
                rows["villages"].append({"code": village, "name": f"Ấp {v}", "parent": commune})
                for n in (1, 2):
                    rows["devices"].append(
                        {"id": f"LOA-{village}-{n}", "kind": "speaker_cluster", "unit": village,
                         "languages": ["vie", SECOND]}
                    )  # fmt: skip
                board = ["vie", SECOND] if v % 2 else [SECOND, "vie"]
                rows["devices"].append(
                    {"id": f"BANG-{village}", "kind": "eboard", "unit": village, "languages": board}
                )
        imported = storage.import_records(
            session=session, rows=storage.parse_records(json.dumps(rows), "json"), secret_key=key
        )
        reviewers = []
        for n in range(bulletins + 2):
            person, secret = storage.add_person(
                session, name=f"Người duyệt {n + 1}", unit_code=province, role="reviewer",
                office="UBND tỉnh (bench)", secret_key=key, actor="bench",
            )  # fmt: skip
            reviewers.append((person.id, secret))
        ids, targets = [], {}
        for i in range(bulletins):
            raw = json.loads(samples[i % len(samples)].read_text(encoding="utf-8"))
            if i % 10 == 0:
                target = [province]
            else:
                target = sorted({codes[(i * 7 + j * 13) % len(codes)] for j in range(1 + i % 3)})
            draft = storage.BulletinDraft(
                title=f"{raw['title']} (bản {i + 1})",
                body=raw["body"],
                source_unit=province,
                target_units=target,
                target_seconds=raw["target_seconds"],
                external_id=f"{raw['id']}-{i + 1}",
            )
            bulletin, version, _ = storage.save_draft(session=session, draft=draft)
            ids.append((bulletin.id, version.id))
            targets[bulletin.id] = target
    # The memory: yesterday's translators approved every sentence these drafts' scripts will have.
    pipeline = PipelineSettings()
    sentences = 0
    for _, version_id in ids:
        with storage.session_scope(engine) as session:
            job = storage.production_job(session, version_id)
            places = storage.village_names(session, job.targets)
        text = stages.prepare_text(
            job.body, title=job.title, target_seconds=job.target_seconds, voice=pipeline.default_voice,
            places=places, model_dir=pipeline.summarizer_model_dir,
        )  # fmt: skip
        with storage.session_scope(engine) as session:
            for segment in translate_script(session, text.script, SECOND, pipeline).segments:
                if segment.target is not None:
                    continue
                target = khmer_line(segment)
                entry = nlp.memory_entry(segment.source, target, origin="import")
                storage.remember_translation(
                    session, target_language=SECOND, source_text=segment.source, target_text=target,
                    source_key=entry.key, target_template=entry.target_template, origin=entry.origin,
                )  # fmt: skip
                sentences += 1
        with storage.session_scope(engine) as session:  # every sentence is found again, or no night starts
            left = [s.source for s in translate_script(session, text.script, SECOND, pipeline).needed]
        if left:
            raise SystemExit(f"version {version_id}: the memory does not cover {left}")
    # The Khmer readings, recorded and imported before the night (bantin audio import).
    from bantin.recordings import store_recording

    reading = recorded_reading()
    for bulletin_id, _ in ids:
        store_recording(settings, reading, filename="doc-khmer.wav", bulletin=str(bulletin_id),
                        language=SECOND, actor="bench")  # fmt: skip
    return {
        "province": province,
        "communes": len(codes),
        "villages": imported.villages_added,
        "devices": imported.devices_added,
        "bulletins": [str(b) for b, _ in ids],
        "targets": targets,
        "reviewers": reviewers,
        "memory_sentences": sentences,
    }


class ScriptedReviewers(threading.Thread):
    """Approves each paused review through Prefect's API as it appears, each with a reviewer of its own,
    and records when the run paused (the Paused state's time) and when the answer went in."""

    def __init__(self, reviewers: list[tuple[int, str]]) -> None:
        super().__init__(daemon=True, name="scripted-reviewers")
        self.reviewers, self.next = reviewers, 0
        self.stop = threading.Event()
        self.waits: list[dict] = []
        self.errors: list[str] = []

    def run(self) -> None:
        from datetime import UTC, datetime

        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
        from prefect.client.schemas.objects import StateType

        import storage
        from flows.review import _paused, submit_review
        from storage import ReviewDecision

        answered: set[tuple[str, str]] = set()
        state_filter = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
        while not self.stop.is_set():
            try:
                with get_client(sync_client=True) as client:
                    runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(state=state_filter))
                for run in runs:
                    paused = _paused(run)
                    if paused is None or paused.version_id is None:
                        continue
                    if (str(paused.flow_run_id), paused.pause_key) in answered:
                        continue
                    person_id, secret = self.reviewers[self.next % len(self.reviewers)]
                    self.next += 1
                    try:
                        submit_review(
                            paused.flow_run_id, reviewer=person_id,
                            code=storage.totp_code(secret, datetime.now(UTC)),
                            decision=ReviewDecision.approve, comment="Đồng ý phát (bench)",
                        )  # fmt: skip
                    except Exception as exc:  # answered again at the next poll (by the next reviewer)
                        self.errors.append(f"{paused.flow_run_id}: {exc!r}")
                        continue
                    answered.add((str(paused.flow_run_id), paused.pause_key))
                    self.waits.append(
                        {
                            "version_id": paused.version_id,
                            "flow_run_id": str(paused.flow_run_id),
                            "paused_at": run.state.timestamp.timestamp(),
                            "answered_at": time.time(),
                        }
                    )
            except Exception as exc:  # keep polling through a transient API error
                self.errors.append(repr(exc))
            self.stop.wait(0.5)


class StatementCounter:
    """Times storage.distribute_version and counts the SQL statements it sends (per thread)."""

    def __init__(self) -> None:
        import sqlalchemy
        from sqlalchemy import event

        import storage

        self.local = threading.local()
        self.per_version: list[dict] = []
        self.original = storage.distribute_version

        def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
            if getattr(self.local, "count", None) is not None:
                self.local.count += 1

        event.listen(sqlalchemy.engine.Engine, "before_cursor_execute", count)

        def distribute_version(**kwargs):  # type: ignore[no-untyped-def]
            self.local.count = 0
            started = time.perf_counter()
            try:
                result = self.original(**kwargs)
            finally:
                seconds, statements, self.local.count = time.perf_counter() - started, self.local.count, None
            self.per_version.append(
                {
                    "version_id": kwargs.get("version_id"),
                    "devices": result.devices,
                    "items_created": result.items_created,
                    "unplaced": len(result.unplaced),
                    "skipped": len(result.skipped),
                    "statements": statements,
                    "seconds": round(seconds, 3),
                }
            )
            return result

        storage.distribute_version = distribute_version


def prefect_runs() -> tuple[list, list]:
    """Every flow run and task run of this (fresh) Prefect database."""
    from prefect.client.orchestration import get_client

    flows, tasks = [], []
    with get_client(sync_client=True) as client:
        for reader, out in ((client.read_flow_runs, flows), (client.read_task_runs, tasks)):
            while True:
                page = reader(limit=200, offset=len(out))
                out.extend(page)
                if len(page) < 200:
                    break
    return flows, tasks


def runner_facts(task_runner) -> str:  # type: ignore[no-untyped-def]
    """The task runner's class and its workers (a Dask LocalCluster's defaults: one process per core)."""
    name = type(task_runner).__name__
    if hasattr(task_runner, "cluster_kwargs"):
        from distributed.deploy.utils import nprocesses_nthreads

        kwargs = task_runner.cluster_kwargs or {}
        workers, threads = nprocesses_nthreads(os.cpu_count() or 1)
        workers, threads = kwargs.get("n_workers", workers), kwargs.get("threads_per_worker", threads)
        return (
            f"{name}: LocalCluster, {workers} worker processes x {threads} thread (cluster_kwargs {kwargs})"
        )
    return f"{name}: max_workers {getattr(task_runner, '_max_workers', '?')}"


def run_province(runner: str, bulletins: int, communes: int, villages: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"bantin-bench-province-{runner}-"))
    os.environ["BANTIN_DATA_DIR"] = str(data_dir)
    os.environ["BANTIN_TASK_RUNNER"] = runner
    load_before = loadavg()
    from bantin.local_run import production_flow
    from bantin.settings import load_settings

    settings = load_settings()
    started = time.perf_counter()
    flow = production_flow(settings, runner)  # starts Prefect's ephemeral server
    prefect_startup = time.perf_counter() - started
    import storage
    from flows.produce import ProduceRequest

    storage.upgrade_database(settings.resolved_database_url)
    engine = storage.make_engine(settings.resolved_database_url)
    started = time.perf_counter()
    seeded = seed_province(settings, engine, communes, villages, bulletins)
    seed_seconds = time.perf_counter() - started
    counter = StatementCounter()
    reviewer = ScriptedReviewers(seeded["reviewers"])
    reviewer.start()
    t0, started = time.time(), time.perf_counter()
    try:
        outcome = flow(ProduceRequest(bulletins=seeded["bulletins"], review_timeout_minutes=60))
    finally:
        wall = time.perf_counter() - started
        t1 = time.time()
        reviewer.stop.set()
        reviewer.join()
    load_after = loadavg()
    flows, tasks = prefect_runs()
    with storage.session_scope(engine) as session:
        from sqlmodel import func, select

        distributed = session.exec(
            select(func.count())
            .select_from(storage.Bulletin)
            .where(storage.Bulletin.status == storage.BulletinStatus.distributed)
        ).one()
        items = session.exec(select(func.count()).select_from(storage.PlaylistItem)).one()
    engine.dispose()

    def span(run) -> tuple[float, float] | None:  # type: ignore[no-untyped-def]
        if run.start_time is None or run.end_time is None:
            return None
        return (max(run.start_time.timestamp(), t0), min(run.end_time.timestamp(), t1))

    # A subflow's stand-in task run (review-bulletin) lasts as long as the review, wait included: not a body.
    bodies = [t for t in tasks if t.name.rsplit("-", 1)[0] not in SUBFLOWS]
    task_spans = [s for s in map(span, bodies) if s is not None]
    by_name: dict[str, int] = {}
    for t in tasks:
        name = t.name.rsplit("-", 1)[0]
        by_name[name] = by_name.get(name, 0) + 1
    body_sum = sum(t.total_run_time.total_seconds() for t in bodies)
    waits = [(w["paused_at"], w["answered_at"]) for w in reviewer.waits]
    # Without the waits: each review run would end its wait earlier, the batch when the last of them ends
    # (shifted), plus the production run's own tail after its last review.
    answers = {w["flow_run_id"]: w for w in reviewer.waits}
    ends, shifted = [], []
    for run in flows:
        if str(run.id) in answers and run.end_time is not None:
            w = answers[str(run.id)]
            ends.append(run.end_time.timestamp())
            shifted.append(run.end_time.timestamp() - (w["answered_at"] - w["paused_at"]))
    net = (max(shifted) + (t1 - max(ends)) - t0) if ends else wall
    # Outside task bodies: the moments when no task body ran and no review waited (flow and task run
    # set-up, state round trips, the flow bodies' own queries, review sheets).
    outside = wall - union_seconds(task_spans + waits)
    active = wall - (union_seconds(task_spans + waits) - union_seconds(task_spans))  # not only waiting
    produced = [row for row in outcome.values() if "audio" in row]
    languages = 1 + len({code for row in outcome.values() for code in row.get("languages", {})})
    return {
        "runner": runner,
        "task_runner": runner_facts(flow.task_runner),
        "province": f"{PROVINCE} ({seeded['province']})",
        "communes": seeded["communes"],
        "villages": seeded["villages"],
        "devices": seeded["devices"],
        "bulletins": len(seeded["bulletins"]),
        "languages": languages,
        "produced": len(produced),
        "approved": sum(row.get("decision") == "approve" for row in outcome.values()),
        "distributed": distributed,
        "playlist_items": items,
        "translations": f"{SECOND} from memory ({seeded['memory_sentences']} sentences imported beforehand); "
        f"{SECOND} audio: a recorded reading imported beforehand (no {SECOND} voice here)",
        "reviews": f"answered by a script, one provincial reviewer per bulletin ({len(reviewer.waits)} answers, "
        f"{len(reviewer.errors)} errors)",
        "wall_seconds": round(wall, 1),
        "review_wait": {
            "sum_seconds": round(sum(b - a for a, b in waits), 1),
            "union_seconds": round(union_seconds(waits), 1),
            "max_seconds": round(max((b - a for a, b in waits), default=0.0), 1),
        },
        "wall_without_review_wait_seconds": round(net, 1),
        "task_bodies": {
            "sum_seconds": round(body_sum, 1),
            "union_seconds": round(union_seconds(task_spans), 1),
        },
        "outside_task_bodies_seconds": round(outside, 1),
        "outside_task_bodies_share": round(outside / active, 3) if active > 0 else None,
        "task_runs": len(tasks),
        "task_runs_by_name": dict(sorted(by_name.items())),
        # per bulletin: prepare_text and synthesize (Vietnamese), produce-language per other language; per
        # review: its subflow's task run and distribute. Devices appear nowhere in this.
        "task_runs_expected": len(seeded["bulletins"]) * (2 + languages - 1) + 2 * len(reviewer.waits),
        "task_runs_per_bulletin": round(len(tasks) / max(len(seeded["bulletins"]), 1), 2),
        "flow_runs": len(flows),
        "distribution": sorted(counter.per_version, key=lambda d: d["version_id"] or 0),
        "seed_seconds": round(seed_seconds, 1),
        "prefect_startup_seconds": round(prefect_startup, 1),
        "reviewer_errors": reviewer.errors[:5],
        "reviewer_error_count": len(reviewer.errors),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "cpus": os.cpu_count(),
    }


def run_runners(runners: list[str], args: argparse.Namespace) -> dict:
    """Each runner in its own process, one after another; wall times and speed-ups relative to threads."""
    import signal
    import subprocess

    results = {}
    for runner in runners:
        # A session of its own: a run that overstays is ended with its Prefect server and workers.
        child = subprocess.Popen(
            [sys.executable, __file__, "--province", "--runner", runner, "--bulletins", str(args.bulletins),
             "--communes", str(args.communes), "--villages", str(args.villages)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            out, err = child.communicate(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGTERM)
            out, err = child.communicate()
            results[runner] = {"error": f"no result after {args.timeout} s", "stderr": err[-2000:]}
            continue
        sys.stderr.write(err[-4000:])
        if child.returncode != 0:
            results[runner] = {"error": f"exit {child.returncode}", "stderr": err[-2000:]}
            continue
        results[runner] = json.loads(out)
    base = results.get("threads", {})
    speedups = {}
    for runner, r in results.items():
        if "error" in r or "error" in base or not base:
            continue
        speedups[runner] = {
            "wall": round(base["wall_seconds"] / r["wall_seconds"], 2),
            "without_review_wait": round(
                base["wall_without_review_wait_seconds"] / r["wall_without_review_wait_seconds"], 2
            ),
        }
    return {"runs": results, "speedup_vs_threads": speedups}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runner", default="threads", choices=["threads", "processes", "dask"])
    parser.add_argument("--limit", type=int, default=12)
    parser.add_argument("--province", action="store_true", help="one province's nightly batch")
    parser.add_argument("--runners", default="", help="with --province: e.g. threads,processes,dask")
    parser.add_argument("--bulletins", type=int, default=20)
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--villages", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=1800, help="with --runners: seconds per runner")
    args = parser.parse_args()
    with contextlib.redirect_stdout(sys.stderr):  # the reviewer's progress lines; stdout is the JSON
        if args.province and args.runners:
            result = run_runners([r.strip() for r in args.runners.split(",") if r.strip()], args)
        elif args.province:
            result = run_province(args.runner, args.bulletins, args.communes, args.villages)
        else:
            result = run(args.runner, args.limit)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
