"""Running the production flow in this process: Prefect's environment, one warm-up, the task runner.

Prefect reads its environment when it is first imported, so callers come here before importing
``flows``: the request is built here, after the environment is set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bantin.prefect_env import configure_prefect, ensure_prefect_api
from bantin.settings import Settings

if TYPE_CHECKING:
    from prefect import Flow


def prepare_prefect(settings: Settings) -> None:
    """Prefect set up for these settings and its API answering (an ephemeral server starts once)."""
    configure_prefect(settings.data_dir)
    ensure_prefect_api()


def production_flow(settings: Settings, runner: str | None = None) -> Flow:  # type: ignore[type-arg]
    """The production flow on the task runner the settings (or ``runner``) name, ready to call."""
    prepare_prefect(settings)
    from flows.produce import produce_bulletins, task_runner_for

    return produce_bulletins.with_options(task_runner=task_runner_for(runner or settings.task_runner))


def run_production(settings: Settings, *, runner: str | None = None, **request: Any) -> dict:
    """Produce bulletins in this process; ``request`` holds ProduceRequest's fields (bulletins, voice...)."""
    flow = production_flow(settings, runner)
    from flows.produce import ProduceRequest

    return flow(ProduceRequest(**request))
