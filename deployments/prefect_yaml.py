"""deployments/prefect.yaml generated from serve.py's list: `python -m deployments.prefect_yaml` rewrites it."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from prefect.deployments.runner import RunnerDeployment

ROOT = Path(__file__).resolve().parents[1]
YAML_PATH = Path(__file__).with_name("prefect.yaml")
WORK_POOL = "bantin"
HEADER = """\
# Generated from deployments/serve.py by `python -m deployments.prefect_yaml`; edit serve.py, not this file.
# Deployments for a Prefect server with workers (production). `prefect deploy --all` from the
# repository root registers them; `python -m deployments.serve` serves the same set without workers.
"""


class _Dumper(yaml.SafeDumper):
    """Writes shared parameter dicts out in full (no YAML anchors)."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def entrypoint(deployment: RunnerDeployment) -> str:
    """`path/to/module.py:function` of the deployment's flow, relative to the repository root."""
    path, function = str(deployment.entrypoint).rsplit(":", 1)
    # Prefect makes it relative to the working directory when it can, absolute otherwise.
    return f"{(Path.cwd() / path).resolve().relative_to(ROOT).as_posix()}:{function}"


def as_yaml_entry(deployment: RunnerDeployment) -> dict:
    """One deployment as prefect.yaml lists it."""
    entry: dict = {
        "name": deployment.name,
        "entrypoint": entrypoint(deployment),
        "description": deployment.description,
        "tags": list(deployment.tags),
    }
    if deployment.parameters:
        entry["parameters"] = deployment.parameters
    if deployment.schedules:
        entry["schedules"] = [
            {"cron": s.schedule.cron, "timezone": s.schedule.timezone} for s in deployment.schedules
        ]
    entry["work_pool"] = {"name": WORK_POOL}
    return entry


def render(deployments: list[RunnerDeployment]) -> str:
    """The text of prefect.yaml for these deployments."""
    document = {
        "name": "bantin",
        "prefect-version": "3.8.8",
        "pull": [{"prefect.deployments.steps.set_working_directory": {"directory": "{{ $BANTIN_HOME }}"}}],
        "deployments": [as_yaml_entry(d) for d in deployments],
    }
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    return HEADER + "\n" + body


def current() -> str:
    """prefect.yaml as serve.py's deployments make it today."""
    from deployments.serve import build_deployments

    return render(build_deployments())


def main() -> None:
    """Rewrite prefect.yaml; with --check, exit 1 if it differs from serve.py's list."""
    text = current()
    if "--check" in sys.argv[1:]:
        sys.exit(0 if YAML_PATH.read_text(encoding="utf-8") == text else 1)
    YAML_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {YAML_PATH}")


if __name__ == "__main__":
    main()
