"""A production on the Dask task runner, started from the repository root, finishes and distributes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--communes", "2", "--villages", "1", "--bulletins", "2"]

pytest.importorskip("prefect_dask")


def test_a_dask_production_from_the_repository_root_distributes_every_bulletin(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "TMPDIR": str(tmp_path),  # the bench's data dir, Prefect's home and Dask's scratch space
        # Dask's own defaults (workers spill from 60 % of their memory), as a user's `bantin produce` has.
        "DASK_DISTRIBUTED__WORKER__MEMORY__TARGET": "0.6",
        "DASK_DISTRIBUTED__WORKER__MEMORY__SPILL": "0.7",
    }
    for name in ("PREFECT_API_URL", "BANTIN_DATA_DIR", "BANTIN_DATABASE_URL", "PREFECT_HOME"):
        env.pop(name, None)
    # The repository is not on the workers' path (a script run from the checkout, like `bantin`):
    # a worker's spill directory named storage/ used to hide bantin's storage, the workers died over
    # and over and the run never ended.
    proc = subprocess.Popen(
        [sys.executable, "bench/produce.py", "--province", "--runner", "dask", *TINY],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the Dask workers and Prefect's server go with it on a timeout
    )
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail("the Dask production did not end within 5 minutes:\n" + err[-3000:])
    assert proc.returncode == 0, err[-3000:]
    assert "cannot import name" not in err
    report = json.loads(out)
    assert report["task_runner"].startswith("DaskTaskRunner")
    assert report["bulletins"] == report["produced"] == report["approved"] == report["distributed"] == 2
    assert report["task_runs_by_name"]["produce-language"] == 2
