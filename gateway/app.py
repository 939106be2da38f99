"""The gateway's ASGI app: ``create_app(settings)``, and ``app`` built from the environment on first use.

``uvicorn gateway.app:app`` serves it. Importing this module reads no settings and touches no
database or file: ``app`` is made when first looked up, and the engine, object store and signing
key on the first request that needs them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import storage
from gateway.admission import Admission, AdmissionGate, admitted_path
from gateway.cap import cap_router
from gateway.deps import Resources
from gateway.errors import error_response, install_error_handlers
from gateway.export_api import export_router
from gateway.health import health_router
from gateway.ingest import ConfirmationFastPath
from gateway.limits import GatewayLimits
from gateway.officer import officer_router
from gateway.public import public_router
from gateway.routes import ManifestFastPath, router, too_large
from gateway.schemas import MAX_BODY_BYTES

# How long a signed manifest may be used; bounds replay of an old manifest.
MANIFEST_TTL = timedelta(hours=24)
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


class BodySizeLimit:
    """Refuse request bodies over ``limit`` bytes with 413 before anything parses them."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in {"POST", "PUT", "PATCH"}:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send, f"{int(declared):,} bytes")
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                await self._refuse(scope, receive, send, f"more than {self.limit:,} bytes")
                return
        body, sent = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, what: str) -> None:
        err = too_large(f"{what}; the limit is {self.limit:,} bytes")
        await error_response(err.status, err.code, err.message_en, err.message_vi)(scope, receive, send)


def create_app(
    settings: storage.StorageSettings,
    *,
    signing_key_path: Path | None = None,
    manifest_ttl: timedelta = MANIFEST_TTL,
    timezone: str | None = None,
    limits: GatewayLimits | None = None,
) -> FastAPI:
    """The device gateway for ``settings``; the signing key defaults to ``<data_dir>/keys/manifest-ed25519.pem``.

    ``limits`` (threads, database requests at once, queue wait): from ``settings`` when it is bantin's
    Settings, else from the environment.
    """
    # bantin's Settings (a StorageSettings) carries the broadcast time zone; plain storage settings do not.
    timezone = timezone or getattr(settings, "timezone", DEFAULT_TIMEZONE)
    if limits is None:
        limits = settings if isinstance(settings, GatewayLimits) else GatewayLimits()
    resources = Resources(
        settings,
        signing_key_path=signing_key_path,
        manifest_ttl=manifest_ttl,
        timezone=timezone,
        limits=limits,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The worker threads of this event loop: as many as the database pool has connections.
        anyio.to_thread.current_default_thread_limiter().total_tokens = limits.gateway_threads
        yield
        resources.close()

    app = FastAPI(
        title="bantin device gateway",
        version="1",
        summary="Signed manifests, audio, playback confirmations and heartbeats for loudspeakers and e-boards.",
        lifespan=lifespan,
    )
    app.state.resources = resources
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(router)
    app.include_router(officer_router)
    app.include_router(public_router)
    app.include_router(export_router)
    app.include_router(cap_router)
    app.state.admission = AdmissionGate(limits.admitted, limits.gateway_queue_seconds)
    # Inside admission: a plain confirmation batch on PostgreSQL skips the route (gateway.ingest).
    app.add_middleware(ConfirmationFastPath)
    app.add_middleware(Admission, gate=app.state.admission)  # inside BodySizeLimit: uploads wait unadmitted
    app.add_middleware(BodySizeLimit)
    # Outermost: a valid manifest poll skips the rest of the stack (routes.ManifestFastPath).
    app.add_middleware(ManifestFastPath)
    document_shared_errors(app)
    return app


def document_shared_errors(app: FastAPI) -> None:
    """Add to the OpenAPI document the errors any route can answer, in the shared JSON body.

    404 where the path names something, 422 where there is input, 503 (busy, with Retry-After) where
    admission applies; errors of HTML pages are documented as JSON and as HTML (for a browser).
    """
    make_document = app.openapi

    def openapi() -> dict[str, Any]:
        cached = app.openapi_schema is not None
        document = make_document()
        if cached or "ErrorBody" not in document.get("components", {}).get("schemas", {}):
            return document
        error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for path, operations in document["paths"].items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                shared = {"404": "Not found."} if "{" in path else {}
                if operation.get("parameters") or operation.get("requestBody"):
                    shared["422"] = "Invalid input."
                if admitted_path(path):
                    shared["503"] = "Busy: retry after `Retry-After` seconds."
                for status, description in shared.items():
                    responses.setdefault(status, {"description": description, "content": error_body})
                pages = any("text/html" in r.get("content", {}) for s, r in responses.items() if s[0] == "2")
                for status, response in responses.items():
                    content = response.get("content")
                    if status[0] in "45" and content is not None:
                        content.update({**error_body, **content})
                        if pages:  # a page's errors are pages for a browser
                            content.setdefault("text/html", {"schema": {"type": "string"}})
        return document

    app.openapi = openapi  # type: ignore[method-assign]


_app: FastAPI | None = None


def __getattr__(name: str) -> Any:
    """``app``: the gateway for the environment's settings (BANTIN_DATA_DIR, BANTIN_DATABASE_URL, BANTIN_S3_*)."""
    global _app
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _app is None:
        _app = create_app(storage.StorageSettings())
    return _app
