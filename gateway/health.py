"""``/healthz`` (liveness, answered by the event loop even when every worker is busy) and ``/readyz``.

Both check the database on a thread of their own, bounded by ``CHECK_TIMEOUT_S``: a saturated or
unreachable database never makes them hang. ``/healthz`` is 200 while the process runs (its
``database`` field says what the check saw); ``/readyz`` is 503 with ``Retry-After`` unless the
database answered.
"""

from __future__ import annotations

from typing import Literal

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from gateway.deps import Resources
from gateway.errors import error_response

# Longest a health check waits for the database.
CHECK_TIMEOUT_S = 2.0
# Threads for database checks, apart from the request threads (an abandoned check keeps one until it ends).
_CHECK_THREADS = 2

health_router = APIRouter()


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"
    database: Literal["ok", "busy", "unreachable"] = "ok"


def _select_one(resources: Resources) -> None:
    with resources.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


async def database_state(request: Request) -> Literal["ok", "busy", "unreachable"]:
    """ "ok" when the database answered within CHECK_TIMEOUT_S, "busy" when it did not, else "unreachable"."""
    resources: Resources = request.app.state.resources
    limiter = getattr(request.app.state, "health_limiter", None)
    if limiter is None:  # made in the serving event loop, on first use
        limiter = request.app.state.health_limiter = anyio.CapacityLimiter(_CHECK_THREADS)
    try:
        with anyio.fail_after(CHECK_TIMEOUT_S):
            await anyio.to_thread.run_sync(_select_one, resources, limiter=limiter, abandon_on_cancel=True)
    except TimeoutError:
        return "busy"
    except Exception:
        return "unreachable"
    return "ok"


@health_router.get("/healthz", response_model=HealthOut)
async def healthz(request: Request) -> HealthOut:
    """Liveness (always 200 while the process runs) and what a bounded database check saw."""
    return HealthOut(database=await database_state(request))


@health_router.get(
    "/readyz", response_model=HealthOut, responses={503: {"description": "Database not ready."}}
)
async def readyz(request: Request) -> HealthOut | JSONResponse:
    """Readiness: 200 when the database answered within the check's bound, else 503 with Retry-After."""
    state = await database_state(request)
    if state != "ok":
        return error_response(
            503,
            f"database_{state}",
            f"the database is {state}; this gateway cannot serve devices now — retry in a few seconds",
            "cơ sở dữ liệu đang bận hoặc không kết nối được; cổng thiết bị chưa phục vụ được — hãy thử lại sau vài giây",
            headers={"Retry-After": "5"},
        )
    return HealthOut()
