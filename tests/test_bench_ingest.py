"""bench/ingest.py at a tiny size: every event stored once, the resent batches only duplicates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_ingest_bench_stores_every_event_once_and_counts_resends_as_duplicates(
    db: str, tmp_path: Path
) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    for name in ("BANTIN_DATA_DIR", "BANTIN_DATABASE_URL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "bench/ingest.py", "--db", db, "--events", "2000", "--devices", "4"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["settings"]["events"] == 2000 and report["settings"]["batch"] == 100
    gateway = report["gateway"]
    assert gateway["http_status"] == {"200": 20}
    assert gateway["events"] == {"accepted": 2000, "duplicates": 0, "conflicts": 0, "rejected": 0}
    assert gateway["events_per_s"] > 0 and gateway["batch_p50_ms"] <= gateway["batch_p99_ms"]
    assert report["resend"]["batches"] == 2 and report["resend"]["only_duplicates"] is True
    assert report["resend"]["events"]["duplicates"] == 200
    assert report["count"] == {
        "rows": 2000,
        "distinct_event_ids": 2000,
        "lost": 0,
        "doubled": 0,
        "unexpected": 0,
    }
    assert report["copy"]["rows"] == 2000 and report["copy"]["indexes_on_copy_table"] >= 3
    assert report["gateway_share_of_copy"] > 0
    assert len(report["load_average"]["before"]) == 3
