"""Time from a reviewer's submit to the approved audio being in a device's signed manifest; prints JSON.

Embedded defaults: a fresh data dir (SQLite, local objects), Prefect's ephemeral server, production
in this process with each review waiting in its own run (pause, polled every BANTIN_REVIEW_POLL_SECONDS).
N bulletins for a commune are produced and wait for review; then, one at a time, a reviewer submits
an approval with a fresh one-time code (as the UI form does) and the clock runs until the gateway's
manifest for a loudspeaker in that commune lists the audio with its sha256.
Usage: python bench/review_latency.py [--reviews 20]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DRAFT_DIRS = [REPO.parent / "shared" / "data" / "bulletins", REPO / "bench" / "data" / "bulletins_heldout"]
DEVICES = REPO / "bantin" / "demo" / "devices.json"
TARGET = "18904"  # a demo commune with loudspeaker clusters
sys.path = [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent
]  # bench/tts.py shadows tts


def seed(settings, count: int) -> tuple[list[str], list[tuple[int, str]], str]:  # type: ignore[no-untyped-def]
    """Province, demo devices, one provincial reviewer per approval, drafts; (bulletin ids, reviewers, device)."""
    import storage

    storage.upgrade_database(settings.resolved_database_url)
    engine = storage.make_engine(settings.resolved_database_url)
    paths = [p for folder in DRAFT_DIRS for p in sorted(folder.glob("*.json"))][:count]
    if len(paths) < count:
        raise SystemExit(f"only {len(paths)} sample drafts in {DRAFT_DIRS}")
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        tokens = storage.import_records(
            session=session, rows=storage.parse_records(DEVICES.read_text("utf-8"), "json")
        ).tokens
        speaker = next(
            d
            for d in storage.list_devices(session)
            if d.kind == storage.DeviceKind.speaker_cluster and d.unit_code.startswith(f"44-{TARGET}")
        )
        # One code serves one approval per 30-second step, so each approval here is a different reviewer.
        reviewers = []
        for n in range(count):
            person, secret = storage.add_person(
                session,
                name=f"Người duyệt {n + 1}",
                unit_code="44",
                role="reviewer",
                office="UBND tỉnh",
                secret_key=settings.secret_key_bytes(),
                actor="bench",
            )
            reviewers.append((person.id, secret))
        ids = []
        for path in paths:
            raw = json.loads(path.read_text(encoding="utf-8"))
            draft = storage.BulletinDraft(
                title=raw["title"],
                body=raw["body"],
                priority="priority",  # no expiry at a window's start while the bench runs
                source_unit="44",
                target_units=[TARGET],
                target_seconds=30,
                external_id=f"latency-{raw['id']}",
            )
            ids.append(str(storage.save_draft(session=session, draft=draft)[0].id))
    engine.dispose()
    return ids, reviewers, (speaker.id, tokens[speaker.id])


def manifest_audio(client, device_id: str, token: str) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """bulletin id -> audio sha256 in the device's signed manifest now."""
    response = client.get(f"/v1/devices/{device_id}/manifest", headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    items = json.loads(response.json()["manifest"])["items"]
    return {item["bulletin_id"]: item["sha256"] for item in items if item["kind"] == "audio"}


def measure(count: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="bantin-review-latency-"))
    os.environ["BANTIN_DATA_DIR"] = str(data_dir)
    for name in ("BANTIN_DATABASE_URL", "BANTIN_S3_ENDPOINT", "PREFECT_API_URL"):
        os.environ.pop(name, None)
    from bantin.local_run import production_flow
    from bantin.settings import load_settings

    settings = load_settings()
    flow = production_flow(settings)
    import httpx

    import storage
    from flows.produce import ProduceRequest
    from flows.review import paused_reviews, submit_review
    from gateway.app import create_app
    from gateway.server import serve_in_thread

    ids, reviewers, (device_id, token) = seed(settings, count)
    production = threading.Thread(
        target=lambda: flow(ProduceRequest(bulletins=ids)), name="production", daemon=True
    )
    production.start()
    deadline = time.monotonic() + 1800
    while len(waiting := paused_reviews()) < count:
        if time.monotonic() > deadline or not production.is_alive():
            raise SystemExit(f"only {len(waiting)} of {count} reviews are waiting")
        time.sleep(1)
    seconds = []
    with serve_in_thread(create_app(settings)) as base_url, httpx.Client(base_url=base_url) as client:
        for paused, (person_id, secret) in zip(waiting, reviewers, strict=True):
            bulletin = bulletin_of(settings, paused.version_id)
            started = time.perf_counter()
            submit_review(
                paused.flow_run_id,
                reviewer=person_id,
                code=storage.totp_code(secret),
                decision=storage.ReviewDecision.approve,
            )
            while bulletin not in manifest_audio(client, device_id, token):
                if time.perf_counter() - started > 120:
                    raise SystemExit(f"version {paused.version_id} never reached the manifest")
                time.sleep(0.02)
            seconds.append(time.perf_counter() - started)
    production.join(timeout=120)
    ordered = sorted(seconds)
    return {
        "reviews": len(seconds),
        "median_s": round(statistics.median(ordered), 2),
        "p90_s": round(ordered[max(0, round(0.9 * len(ordered)) - 1)], 2),
        "max_s": round(ordered[-1], 2),
        "min_s": round(ordered[0], 2),
        "review_poll_seconds": settings.review_poll_seconds,
        "setup": "embedded defaults: SQLite, local objects, ephemeral Prefect server, in-process production",
        "cpus": os.cpu_count(),
    }


def bulletin_of(settings, version_id: int) -> int:  # type: ignore[no-untyped-def]
    import storage

    engine = storage.make_engine(settings.resolved_database_url)
    with storage.session_scope(engine) as session:
        bulletin_id = storage.production_job(session, version_id).bulletin_id
    engine.dispose()
    return bulletin_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=20)
    args = parser.parse_args()
    with contextlib.redirect_stdout(sys.stderr):  # flow output; stdout is the JSON
        result = measure(args.reviews)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
