"""Production flow wall time over the sample bulletins, per Prefect task runner; prints JSON.

Each runner gets a fresh data dir, the sample drafts (../shared/data/bulletins) addressed to a demo
commune, and a reviewer thread that approves every pause through Prefect's API, so the figure covers
text, speech, review round trips and distribution. Usage: python bench/produce.py [--runner threads|processes] [--limit N] (one runner per process)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runner", default="threads", choices=["threads", "processes"])
    parser.add_argument("--limit", type=int, default=12)
    args = parser.parse_args()
    with contextlib.redirect_stdout(sys.stderr):  # the reviewer's progress lines; stdout is the JSON
        result = run(args.runner, args.limit)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
