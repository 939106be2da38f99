"""The confirmation fast path: a valid batch of a device whose token matches, stored on PostgreSQL
without FastAPI's routing, parameter and dependency machinery (most of a batch's cost in the gateway).

``POST /v1/devices/{id}/confirmations`` is answered here when everything about it is plain: a JSON
body that ``FastConfirmationBatch`` validates straight from its bytes (the route's fields and limits,
with times as aware ISO 8601 text, canonical event ids, the outcome's control characters refused by
a pattern), 1 to MAX_CONFIRMATIONS_PER_BATCH events, every time inside the window, an address and
device not throttled, a keyed token that matches, and events ``storage.record_confirmations_direct``
would store or find stored (no refusal, no id twice in the batch). The answer is the route's: the
same JSON, the same lists.

Anything else goes to the app untouched (the body replayed), whose route answers it with its errors
and messages: a malformed body (422), too many events (413), other forms the route's model takes
(times without offset or as numbers, upper-case ids), an implausible time or a refused event (in
``rejected``), a wrong token (403, counted by the throttle), SQLite, or an error of the database.
One statement stores the batch, so a batch handed on after it failed was not stored in part; should
the database fail after it succeeded (while reading what is stored under ids it did not store), the
route answers the stored events as duplicates: they are stored once either way.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import storage
from gateway.deps import MAX_TOKEN_CHARS, Resources
from gateway.errors import error_response
from gateway.routes import EARLIEST_EVENT, MAX_EVENT_AHEAD
from gateway.schemas import (
    MAX_CONFIRMATIONS_PER_BATCH,
    MAX_DEVICE_ID,
    FastConfirmationBatch,
    FastConfirmationIn,
)

_CONFIRMATIONS_PATH = re.compile(
    rf"^/v1/devices/(?P<device_id>[^/\x00-\x1f\x7f]{{1,{MAX_DEVICE_ID}}})/confirmations$"
)
_BATCH = TypeAdapter(FastConfirmationBatch)
_JSON_TYPES = (b"application/json",)


class HandOn(Exception):
    """The batch is not for the fast path: the route answers it."""


class ConfirmationFastPath:
    """ASGI: plain confirmation batches on PostgreSQL, answered without the route (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not (path := _CONFIRMATIONS_PATH.match(scope["path"]))
        ):
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive)
        if complete:
            try:
                answer = await self._answer(scope, path["device_id"], body)
            except HandOn:
                answer = None
            if answer is not None:
                await answer(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive, complete), send)

    async def _answer(self, scope: Scope, device_id: str, body: bytes) -> Any:
        """The response to a plain batch; HandOn (or None) for anything the route must answer."""
        if scope.get("query_string"):
            raise HandOn
        authorization = content_type = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"content-type":
                content_type = value
        if content_type is not None and content_type.split(b";", 1)[0].strip().lower() not in _JSON_TYPES:
            raise HandOn
        scheme, _, token_bytes = (authorization or b"").partition(b" ")
        token = token_bytes.decode("latin-1").strip()
        if scheme.lower() != b"bearer" or not token or len(token) > MAX_TOKEN_CHARS:
            raise HandOn
        resources: Resources = scope["app"].state.resources
        if resources.engine.dialect.name != "postgresql":
            raise HandOn
        client = scope.get("client")
        if resources.client_failures.retry_after(
            f"client:{client[0] if client else '-'}"
        ) or resources.device_failures.retry_after(f"device:{device_id}"):
            raise HandOn
        try:
            events = _BATCH.validate_json(body)["events"]
        except ValidationError:
            raise HandOn from None
        if not 1 <= len(events) <= MAX_CONFIRMATIONS_PER_BATCH:
            raise HandOn
        now = storage.utcnow()
        direct = _direct_events(events, EARLIEST_EVENT, now + MAX_EVENT_AHEAD)
        try:
            result = await run_in_threadpool(
                storage.record_confirmations_direct,
                resources.engine,
                device_id=device_id,
                token=token,
                secret_key=resources.secret_key,
                events=direct,
                events_json=orjson.dumps(events),
                now=now,
            )
        except storage.ConfirmationRace as exc:  # as the app's handler of storage errors answers it
            return error_response(400, exc.code, exc.message_en, exc.message_vi)
        except Exception:  # a database error: the route answers (see the module's docstring)
            raise HandOn from None
        if result is None:
            raise HandOn
        content = orjson.dumps(
            {
                "accepted": result.accepted,
                "duplicates": result.duplicates,
                "conflicts": result.conflicts,
                "rejected": {},
            }
        )
        return _JSONAnswer(content)


def _direct_events(
    events: list[FastConfirmationIn], earliest: datetime, latest: datetime
) -> list[storage.DirectEvent]:
    """The events with their times read; HandOn when one is not inside the window (the route says why)."""
    parse = datetime.fromisoformat
    direct = []
    try:
        for e in events:
            occurred = parse(e["occurred_at"])
            started = parse(text) if (text := e.get("started_at")) is not None else None
            ended = parse(text) if (text := e.get("ended_at")) is not None else None
            for at in (occurred, started, ended):
                if at is not None and not earliest <= at <= latest:
                    raise HandOn
            for name in ("slot_starts_at", "slot_ends_at"):
                if (text := e.get(name)) is not None and not earliest <= parse(text) <= latest:
                    raise HandOn
            direct.append(
                storage.DirectEvent(
                    e["event_id"],
                    e["item_id"],
                    e["status"],
                    occurred,
                    e.get("duration_s"),
                    e.get("sha256"),
                    started,
                    ended,
                )
            )
    except ValueError:  # a date that does not exist (30 February): the route's model says so
        raise HandOn from None
    return direct


class _JSONAnswer:
    """A 200 with a JSON body, sent as two ASGI messages."""

    __slots__ = ("content",)

    def __init__(self, content: bytes) -> None:
        self.content = content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(self.content)).encode("latin-1")),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.content})


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The request's body; not complete when the client went away first (the app sees that too)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive, complete: bool) -> Receive:
    """A ``receive`` that gives the app the body read already, then the client's later messages."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        if not complete:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
