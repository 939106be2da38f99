"""A dependency audit that cannot lie.

Runs pip-audit over every pin in constraints.txt (without installing anything) against each
vulnerability service it knows (PyPI's JSON API, then OSV), and decides from what was actually
audited, not from pip-audit's summary line:

* exit 0  - at least one service answered for every pin and found nothing with a fix available;
* exit 1  - a known vulnerability with a fix available (the pins and the fixed versions are printed);
* exit 3  - no vulnerability database could be reached, or nothing could be audited: no verdict.

`--if-reachable` (used by `./run.sh test`, so CI) turns exit 3 into a printed notice and exit 0:
CI fails on a known vulnerability whenever a database is reachable, and says plainly when none was.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("pypi", "osv")
UNREACHABLE = 3


def pins(constraints: Path) -> list[str]:
    """The `name==version` lines of a constraints file (comments and blanks skipped)."""
    lines = []
    for raw in constraints.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if "==" in line:
            lines.append(line)
    return lines


def run_service(service: str, requirements: Path, timeout: float) -> tuple[dict | None, str]:
    """pip-audit's JSON for one service, or None with the reason it gave none."""
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(requirements),
        "--no-deps",
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--vulnerability-service",
        service,
        "--timeout",
        str(int(timeout)),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout * 20)
    except subprocess.TimeoutExpired:
        return None, f"{service}: no answer within {timeout * 20:.0f} s"
    try:
        report = json.loads(done.stdout or "null")
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict):
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"{service}: {reason[:300]}"
    return report, ""


def verdict(report: dict) -> tuple[int, int, list[str]]:
    """(audited, skipped, findings with a fix) from one pip-audit JSON report."""
    audited = skipped = 0
    findings = []
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            skipped += 1
            continue
        audited += 1
        for vuln in dep.get("vulns", []):
            if vuln.get("fix_versions"):
                fixes = ", ".join(vuln["fix_versions"])
                findings.append(f"{dep['name']}=={dep['version']}: {vuln['id']} (fixed in {fixes})")
    return audited, skipped, findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--constraints", type=Path, default=ROOT / "constraints.txt")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per request")
    parser.add_argument(
        "--if-reachable",
        action="store_true",
        help="exit 0 with a notice when no vulnerability database can be reached (CI)",
    )
    args = parser.parse_args(argv)

    wanted = pins(args.constraints)
    if not wanted:
        print(f"audit: no pins in {args.constraints}: nothing to audit", file=sys.stderr)
        return UNREACHABLE
    reasons = []
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text("\n".join(wanted) + "\n", encoding="utf-8")
        for service in SERVICES:
            report, reason = run_service(service, requirements, args.timeout)
            if report is None:
                reasons.append(reason)
                continue
            audited, skipped, findings = verdict(report)
            if audited == 0:
                reasons.append(f"{service}: audited 0 of {len(wanted)} pins ({skipped} skipped)")
                continue
            if findings:
                print(f"audit ({service}): {len(findings)} known vulnerabilities with a fix:")
                for line in findings:
                    print(f"  {line}")
                return 1
            if skipped:
                reasons.append(f"{service}: audited {audited} of {len(wanted)} pins, {skipped} skipped")
                continue
            print(
                f"audit ({service}): {audited} of {len(wanted)} pins audited, none with a known fixable vulnerability"
            )
            return 0
    message = "audit: NO VERDICT - no vulnerability database audited every pin:\n  " + "\n  ".join(reasons)
    print(message, file=sys.stderr)
    if args.if_reachable:
        print(
            "audit: continuing (--if-reachable): this run says nothing about known vulnerabilities",
            file=sys.stderr,
        )
        return 0
    return UNREACHABLE


if __name__ == "__main__":
    sys.exit(main())
