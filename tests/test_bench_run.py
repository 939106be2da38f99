"""bench/run.py: one JSON file with the machine's facts beside each benchmark's figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_run_collects_a_benchmark_and_the_machine(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--only", "language_id", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["machine"]["cores"] >= 1 and report["machine"]["packages"]["prefect"]
    entry = report["benchmarks"]["language_id"]
    assert entry["status"] == "ok" and isinstance(entry["result"], dict)
    assert entry["command"] == "python bench/language_id_eval.py"


def test_unknown_benchmark_names_the_known_ones(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--only", "nope", "--out", str(tmp_path / "x.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "unknown benchmark(s) nope" in done.stderr and "normalize" in done.stderr
    assert not (tmp_path / "x.json").exists()
