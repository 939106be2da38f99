"""Bounded admission: at most N database-using requests at once per process, a short wait, then 503.

Requests beyond the limit wait in the event loop (no thread, no connection) for at most
``gateway_queue_seconds``; a full queue or a longer wait is answered at once with 503 and
``Retry-After``. The connection pool has as many connections as the process has worker threads,
and fewer requests are admitted than that, so an admitted request never waits for a connection
while holding a thread: the gateway slows down under overload but cannot wedge.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import deque
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.errors import error_response

# Paths answered without the database (or, for /healthz, with its own bounded check): never queued.
EXEMPT_PATHS = ("/healthz", "/readyz", "/v1/keys/manifest", "/docs", "/redoc", "/openapi.json")
EXEMPT_PREFIXES = ("/v1/board/fonts/",)
EXEMPT_SUFFIXES = ("/board/sw.js", "/board/login")
# How many requests may wait for a turn, per admitted request.
QUEUE_PER_SLOT = 16
RETRY_AFTER_S = 2


def admitted_path(path: str) -> bool:
    """Whether requests to ``path`` go through admission (the routes that use the database)."""
    return not (path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES) or path.endswith(EXEMPT_SUFFIXES))


# Manifest polls are answered in batches (gateway.manifest_batch), which bound their own waiting.
MANIFEST_POLL = re.compile(r"^/v1/devices/[^/]+/manifest$")


def uses_database(scope: Scope) -> bool:
    """Whether a request counts against the admission limit (long-polls wait holding nothing: not counted).

    Manifest polls are not counted either: a poll waits for its batch holding no thread and no
    connection, a batch takes one of each, and the batcher answers 503 itself past the same limits."""
    if not admitted_path(scope["path"]):
        return False
    if scope.get("method") == "GET" and MANIFEST_POLL.match(scope["path"]):
        return False
    query = scope.get("query_string", b"")
    if not query:  # most requests: no long-poll to look for
        return True
    wait = parse_qs(query.decode("latin-1")).get("wait", ["0"])[-1]
    return not (wait.isdigit() and int(wait) > 0)


class AdmissionGate:
    """A counter of requests in flight and a bounded queue of waiters (futures of any event loop)."""

    def __init__(self, capacity: int, queue_seconds: float) -> None:
        self.capacity, self.queue_seconds = capacity, queue_seconds
        self.in_flight = 0
        self.refused = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._lock = threading.Lock()

    async def acquire(self) -> bool:
        """Take a turn; False when none came within the queue wait or the queue is full."""
        with self._lock:
            if self.in_flight < self.capacity and not self._waiters:
                self.in_flight += 1
                return True
            if len(self._waiters) >= self.capacity * QUEUE_PER_SLOT or self.queue_seconds <= 0:
                self.refused += 1
                return False
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(turn)
        try:
            await asyncio.wait_for(turn, self.queue_seconds)
        except TimeoutError:
            self._give_up(turn)
            return False
        except asyncio.CancelledError:  # the client went away or the server stops
            self._give_up(turn)
            raise
        return True

    def release(self) -> None:
        with self._lock:
            while self._waiters:
                turn = self._waiters.popleft()
                if not turn.done():
                    turn.get_loop().call_soon_threadsafe(self._hand_over, turn)
                    return  # the turn passes to that waiter: in_flight stays
            self.in_flight -= 1

    def _hand_over(self, turn: asyncio.Future[None]) -> None:
        if turn.done():  # its wait ended just before: pass the turn on
            self.release()
        else:
            turn.set_result(None)

    def _give_up(self, turn: asyncio.Future[None]) -> None:
        if turn.done() and not turn.cancelled():  # handed a turn, then cancelled: give it back
            self.release()
            return
        turn.cancel()
        with self._lock:
            self.refused += 1
            if turn in self._waiters:
                self._waiters.remove(turn)


class Admission:
    """ASGI middleware: database-using requests go through ``gate``; the rest pass straight on."""

    def __init__(self, app: ASGIApp, gate: AdmissionGate) -> None:
        self.app, self.gate = app, gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not uses_database(scope):
            await self.app(scope, receive, send)
            return
        if not await self.gate.acquire():
            await busy_response(Request(scope))(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.release()


def busy_response(request: Request):  # type: ignore[no-untyped-def]
    """503 with Retry-After: the gateway is at its limit; nothing was done (a page for an e-board's browser)."""
    return error_response(
        503,
        "gateway_busy",
        f"the gateway is serving as many requests as it can; nothing was done — retry in {RETRY_AFTER_S} s "
        "(Retry-After)",
        f"cổng thiết bị đang phục vụ tối đa số yêu cầu; chưa làm gì — hãy thử lại sau {RETRY_AFTER_S} giây",
        headers={"Retry-After": str(RETRY_AFTER_S)},
        request=request,
    )
