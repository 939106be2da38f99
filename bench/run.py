"""Run every benchmark and write one JSON file under bench/results/ with the machine's facts.

    python bench/run.py                      # every benchmark (about 80 minutes on 2 cores, most in gateway)
    python bench/run.py --only normalize,translate
    python bench/run.py --skip evaluate,gateway --out bench/results/mine.json

Each benchmark runs as its own process (as a user would run it) and prints JSON; this collects
the last JSON document each printed, its exit code and wall time, and the machine: cores,
memory, load average before and after, Python and package versions, the git commit. A benchmark
that fails or is missing is recorded as such; the others still run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# name -> (script, arguments, time limit in seconds). Order: cheap first.
BENCHMARKS: dict[str, tuple[str, list[str], int]] = {
    "normalize": ("normalize_eval.py", ["--failures", "0"], 900),
    "sentence_split": ("sentence_split_eval.py", [], 600),
    "language_id": ("language_id_eval.py", [], 600),
    "summarize_heldout": ("summarize_eval.py", ["--no-audio", "--data", "bench/data/bulletins_heldout"], 900),
    "summarize_test": ("summarize_eval.py", ["--no-audio", "--data", "bench/data/bulletins_test"], 900),
    "translate": ("translate.py", [], 1200),
    "tts": ("tts.py", ["--limit", "4"], 1800),
    "review_latency": ("review_latency.py", [], 1200),
    "produce": ("produce.py", ["--runner", "threads"], 1800),
    "province": ("produce.py", ["--province", "--runners", "threads,processes,dask"], 3600),
    "evaluate": ("evaluate.py", [], 3600),
    "gateway": ("gateway_load.py", [], 3600),
    "emergency": ("emergency.py", [], 3600),
    "ingest": ("ingest.py", ["--db", "postgres", "--events", "200000", "--devices", "8"], 1800),
}

PACKAGES = (
    "prefect",
    "sqlalchemy",
    "sqlmodel",
    "fastapi",
    "uvicorn",
    "psycopg",
    "torch",
    "transformers",
    "espeakng-loader",
    "prefect-dask",
    "dask",
)


def machine() -> dict:
    """Facts that change what a figure means."""
    memory_gib = None
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "commit": commit or None,
    }


def last_json(text: str) -> object | None:
    """The last JSON document in a benchmark's output (it may log lines before it)."""
    decoder = json.JSONDecoder()
    found = None
    index = 0
    while True:
        start = min((i for i in (text.find("{", index), text.find("[", index)) if i >= 0), default=-1)
        if start < 0:
            return found
        try:
            found, end = decoder.raw_decode(text, start)
            index = end
        except json.JSONDecodeError:
            index = start + 1


def run_one(name: str, script: str, args: list[str], limit: int) -> dict:
    path = HERE / script
    if not path.exists():
        return {"status": "missing", "script": f"bench/{script}"}
    command = [sys.executable, str(path), *args]
    load_before = os.getloadavg()
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired:
        return {
            "status": "timeout",
            "limit_s": limit,
            "command": " ".join(["python", f"bench/{script}", *args]),
        }
    wall = time.perf_counter() - started
    result = last_json(done.stdout)
    entry = {
        "status": "ok" if done.returncode == 0 and result is not None else "failed",
        "command": " ".join(["python", f"bench/{script}", *args]),
        "exit_code": done.returncode,
        "wall_s": round(wall, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "result": result,
    }
    if entry["status"] != "ok":
        entry["stderr_tail"] = done.stderr.strip().splitlines()[-15:]
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run every benchmark; one JSON file with the machine's facts."
    )
    parser.add_argument("--only", help="comma-separated names: " + ", ".join(BENCHMARKS))
    parser.add_argument("--skip", default="", help="comma-separated names to leave out")
    parser.add_argument("--out", type=Path, help="output file (default bench/results/<UTC time>.json)")
    args = parser.parse_args(argv)

    names = list(BENCHMARKS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
    skip = {n.strip() for n in args.skip.split(",") if n.strip()}
    unknown = [n for n in [*names, *skip] if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    names = [n for n in names if n not in skip]

    started = datetime.now(UTC)
    report = {"started": started.isoformat(timespec="seconds"), "machine": machine(), "benchmarks": {}}
    for name in names:
        script, bench_args, limit = BENCHMARKS[name]
        print(f"bench/run.py: {name} ...", file=sys.stderr, flush=True)
        report["benchmarks"][name] = entry = run_one(name, script, bench_args, limit)
        print(
            f"bench/run.py: {name} {entry['status']} ({entry.get('wall_s', '-')} s)",
            file=sys.stderr,
            flush=True,
        )
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")

    out = args.out or HERE / "results" / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {
                "written": str(out.relative_to(ROOT) if out.is_relative_to(ROOT) else out),
                "status": {n: e["status"] for n, e in report["benchmarks"].items()},
            },
            ensure_ascii=False,
        )
    )
    return 0 if all(e["status"] == "ok" for e in report["benchmarks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
