"""Device gateway: the FastAPI app loudspeaker-cluster controllers and e-boards talk to.

Serve it with ``uvicorn gateway.app:app`` (settings from the environment) or build one with
``gateway.app.create_app(settings)``. It imports ``storage`` only.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_API: dict[str, str] = {
    "create_app": "gateway.app",
    "serve_in_thread": "gateway.server",
    "ManifestSigner": "gateway.signing",
    "ManifestRejected": "gateway.signing",
    "canonical_json": "gateway.signing",
    "default_key_path": "gateway.signing",
    "load_or_create_key": "gateway.signing",
    "verify_manifest": "gateway.signing",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
