"""Prefect's environment for the embedded default: an ephemeral server whose files live in the data dir."""

from __future__ import annotations

import os
from pathlib import Path

EMBEDDED_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_UI_V2_ENABLED": "false",
    # Run logs go to the API at INFO (the run's page shows them); the terminal shows warnings only.
    "PREFECT_LOGGING_LEVEL": "INFO",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
}


def configure_prefect(data_dir: Path) -> None:
    """Set Prefect defaults before prefect is imported; explicit environment variables win.

    Without PREFECT_API_URL, Prefect runs an ephemeral server on SQLite; its home goes into the
    data dir so that one directory holds everything the embedded default writes.
    """
    for name, value in EMBEDDED_DEFAULTS.items():
        os.environ.setdefault(name, value)
    if not os.environ.get("PREFECT_API_URL"):
        home = (Path(data_dir) / "prefect").resolve()
        home.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("PREFECT_HOME", str(home))


def ensure_prefect_api() -> None:
    """Reach the Prefect API once from this thread, so the ephemeral server starts exactly once.

    Threads that call the API at the same moment on a cold start would each start a server
    against the same database; warming up first avoids that race.
    """
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.api_healthcheck()
