"""bench/produce.py --province at a tiny size: the figures are there and every bulletin is distributed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--communes", "2", "--villages", "1", "--bulletins", "2"]


def test_province_bench_distributes_every_bulletin_and_reports_its_figures(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "TMPDIR": str(tmp_path),  # the bench's data dir, Prefect's home included
    }
    for name in ("PREFECT_API_URL", "BANTIN_DATA_DIR", "BANTIN_DATABASE_URL", "PREFECT_HOME"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "bench/produce.py", "--province", "--runner", "threads", *TINY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["communes"] == 2 and report["villages"] == 2 and report["devices"] == 6
    assert report["bulletins"] == report["produced"] == report["approved"] == report["distributed"] == 2
    assert report["languages"] == 2 and "from memory" in report["translations"]
    for figure in ("wall_seconds", "wall_without_review_wait_seconds", "outside_task_bodies_seconds"):
        assert report[figure] >= 0, figure
    assert 0 <= report["outside_task_bodies_share"] <= 1
    assert report["wall_without_review_wait_seconds"] <= report["wall_seconds"]
    assert report["review_wait"]["sum_seconds"] >= 0
    # Task runs follow bulletins and languages: two Vietnamese stages, one per other language, and per
    # review its subflow's task run and distribute.
    assert report["task_runs"] == report["task_runs_expected"] == 2 * (2 + 1) + 2 * 2
    assert report["task_runs_by_name"]["produce-language"] == 2
    assert [d["statements"] > 0 and d["items_created"] > 0 for d in report["distribution"]] == [True, True]
    assert len(report["loadavg_before"]) == 3
