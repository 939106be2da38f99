"""The dependency audit never reports "no known vulnerabilities" when it audited nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "audit.py"


def run_audit(tmp_path: Path, *pins: str, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("# pins\n" + "\n".join(pins) + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--constraints", str(constraints), "--timeout", "5", *extra],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_pin_with_a_known_fixed_vulnerability_is_never_passed(tmp_path: Path) -> None:
    # requests 2.19.0 has CVE-2018-18074 (fixed in 2.20.0): a database that answers must flag it;
    # when none answers, the audit must say it has no verdict, not that all is well.
    done = run_audit(tmp_path, "requests==2.19.0")
    assert done.returncode in (1, 3), done.stdout + done.stderr
    if done.returncode == 1:
        assert "requests==2.19.0" in done.stdout
    else:
        assert "NO VERDICT" in done.stderr
    assert "No known vulnerabilities" not in done.stdout + done.stderr


def test_ci_mode_goes_on_only_when_no_database_answered(tmp_path: Path) -> None:
    done = run_audit(tmp_path, "requests==2.19.0", extra=("--if-reachable",))
    if done.returncode == 0:
        assert "NO VERDICT" in done.stderr and "says nothing about known vulnerabilities" in done.stderr
    else:
        assert done.returncode == 1 and "requests==2.19.0" in done.stdout


def test_an_empty_constraints_file_is_no_verdict(tmp_path: Path) -> None:
    done = run_audit(tmp_path)
    assert done.returncode == 3
    assert "nothing to audit" in done.stderr


def test_verdict_counts_only_what_was_audited() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import audit
    finally:
        sys.path.pop(0)
    report = {
        "dependencies": [
            {"name": "a", "version": "1", "vulns": []},
            {"name": "b", "version": "2", "skip_reason": "Dependency not found on PyPI"},
            {"name": "c", "version": "3", "vulns": [{"id": "PYSEC-1", "fix_versions": ["3.1"]}]},
            {"name": "d", "version": "4", "vulns": [{"id": "PYSEC-2", "fix_versions": []}]},
        ]
    }
    audited, skipped, findings = audit.verdict(report)
    assert (audited, skipped) == (3, 1)
    assert findings == ["c==3: PYSEC-1 (fixed in 3.1)"]
