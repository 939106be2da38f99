"""Per-app resources made on first use (engine, object store, signer) and the route dependencies."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import Cookie, Depends, Header, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine
from sqlmodel import Session

import storage
from gateway.errors import GatewayError
from gateway.limits import GatewayLimits
from gateway.schemas import DEVICE_ID_PATTERN, MAX_DEVICE_ID
from gateway.signing import ManifestSigner, default_key_path

# Failed device authentications allowed per client address: a burst, then one per second.
CLIENT_FAILURE_BURST, CLIENT_FAILURES_PER_SECOND = 30, 1.0
# Failed authentications allowed per device id: a burst, then one every ten seconds.
DEVICE_FAILURE_BURST, DEVICE_FAILURES_PER_SECOND = 10, 0.1
# Longest bearer token looked at; anything longer cannot be a device token (401).
MAX_TOKEN_CHARS = 256
# Longest wait of a worker thread for a pooled connection (503 beyond; admission makes it rare).
POOL_TIMEOUT_S = 5.0


class FailureThrottle:
    """Token buckets of failed authentications by key, kept in this process (each worker has its own).

    A key with an empty bucket is refused (429) before its token is even checked, so guessing is
    slowed to the refill rate; buckets refill with time and full ones are forgotten.
    """

    MAX_KEYS = 100_000

    def __init__(self, burst: int, per_second: float) -> None:
        self.burst, self.per_second = burst, per_second
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def _tokens(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.per_second)

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again; 0 when it may try now."""
        with self._lock:
            tokens = self._tokens(key, time.monotonic())
        return 0 if tokens >= 1 else max(1, math.ceil((1 - tokens) / self.per_second))

    def failed(self, key: str) -> None:
        """Take one try from ``key``'s bucket."""
        now = time.monotonic()
        with self._lock:
            self._buckets[key] = (max(0.0, self._tokens(key, now) - 1), now)
            if len(self._buckets) > self.MAX_KEYS:
                full = [k for k in self._buckets if self._tokens(k, now) >= self.burst]
                for k in full:
                    del self._buckets[k]


class Resources:
    """What the routes need; nothing touches the database or the disk until a request asks."""

    def __init__(
        self,
        settings: storage.StorageSettings,
        *,
        signing_key_path: Path | None,
        manifest_ttl: timedelta,
        timezone: str,
        limits: GatewayLimits | None = None,
    ) -> None:
        self.settings = settings
        self.limits = limits or GatewayLimits()
        self.manifest_ttl = manifest_ttl
        self.timezone = timezone
        self.signer = ManifestSigner(signing_key_path or default_key_path(settings.data_dir))
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._store: storage.ObjectStore | None = None
        self._secret_key: bytes | None = None
        self.client_failures = FailureThrottle(CLIENT_FAILURE_BURST, CLIENT_FAILURES_PER_SECOND)
        self.device_failures = FailureThrottle(DEVICE_FAILURE_BURST, DEVICE_FAILURES_PER_SECOND)

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                # One connection per worker thread: a thread never waits for one held by a request
                # between thread hops, because fewer requests than threads are admitted.
                self._engine = storage.make_engine(
                    self.settings.resolved_database_url,
                    pool_size=self.limits.gateway_threads,
                    pool_timeout=POOL_TIMEOUT_S,
                )
            return self._engine

    @property
    def store(self) -> storage.ObjectStore:
        with self._lock:
            if self._store is None:
                self._store = storage.open_object_store(self.settings)
            return self._store

    @property
    def secret_key(self) -> bytes:
        """The settings' secret key (review audio links are signed with a key derived from it)."""
        with self._lock:
            if self._secret_key is None:
                self._secret_key = self.settings.secret_key_bytes()
            return self._secret_key

    def close(self) -> None:
        """Release the database connections (the app can still reopen them)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()


async def get_resources(request: Request) -> Resources:
    """The app's resources (async: FastAPI would run a plain function in a worker thread, a hop per request)."""
    return request.app.state.resources


async def get_session(resources: Annotated[Resources, Depends(get_resources)]) -> AsyncIterator[Session]:
    """One session for the whole request (dependencies and route), committed before the response is sent.

    Made in the event loop (a session takes its connection on first use, in the route's thread) and
    committed or rolled back in one thread hop; any error rolls everything back.
    """
    session = Session(resources.engine, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        with anyio.CancelScope(shield=True):  # give the connection back even to a client gone away
            await run_in_threadpool(_close, session, commit=False)
        raise
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(_close, session, commit=True)


def _close(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ResourcesDep = Annotated[Resources, Depends(get_resources)]


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, or 401."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GatewayError(
            401,
            "missing_token",
            "send the device token as 'Authorization: Bearer <token>'",
            "thiếu mã xác thực thiết bị: gửi tiêu đề 'Authorization: Bearer <mã>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def authenticate(request: Request, session: Session, device_id: str, token: str) -> storage.Device:
    """The device if ``token`` is its own; failures are throttled per client address and per device id."""
    resources: Resources = request.app.state.resources
    client = f"client:{request.client.host if request.client else '-'}"
    device = f"device:{device_id}"
    wait = max(resources.client_failures.retry_after(client), resources.device_failures.retry_after(device))
    if wait:
        raise GatewayError(
            429,
            "too_many_failures",
            f"too many failed sign-ins from this address or for device {device_id!r}: wait {wait} s "
            "(Retry-After), then check the device's token (bantin devices token ID issues a new one)",
            f"quá nhiều lần xác thực sai từ địa chỉ này hoặc cho thiết bị {device_id!r}: chờ {wait} giây "
            "rồi kiểm tra mã của thiết bị (lệnh bantin devices token ID cấp mã mới)",
            headers={"Retry-After": str(wait)},
        )
    try:
        if len(token) > MAX_TOKEN_CHARS:
            raise storage.DeviceAuthError(
                f"device {device_id!r} is unknown or its token does not match",
                f"thiết bị {device_id!r} không tồn tại hoặc mã xác thực không khớp",
            )
        return storage.authenticate_device(
            session=session, device_id=device_id, token=token, secret_key=resources.secret_key
        )
    except storage.DeviceAuthError:
        resources.client_failures.failed(client)
        resources.device_failures.failed(device)
        raise


DeviceIdPath = Annotated[str, PathParam(max_length=MAX_DEVICE_ID, pattern=DEVICE_ID_PATTERN)]


def current_device(
    request: Request,
    session: SessionDep,
    device_id: DeviceIdPath,
    authorization: Annotated[str | None, Header()] = None,
) -> storage.Device:
    """The device named in the path, if the bearer token is its own (403 otherwise)."""
    return authenticate(request, session, device_id, bearer_token(authorization))


def header_device(
    request: Request,
    session: SessionDep,
    x_device_id: Annotated[str | None, Header(max_length=MAX_DEVICE_ID, pattern=DEVICE_ID_PATTERN)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> storage.Device:
    """The device named by the ``X-Device-Id`` header, if the bearer token is its own."""
    token = bearer_token(authorization)
    if not x_device_id:
        raise GatewayError(
            401,
            "missing_device_id",
            "send the device id in the 'X-Device-Id' header with the token",
            "thiếu mã thiết bị: gửi tiêu đề 'X-Device-Id' cùng mã xác thực",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return authenticate(request, session, x_device_id, token)


# The cookie an e-board's browser gets from its login link (gateway.board.render_board_login).
BOARD_COOKIE = "bantin_board"


def board_device(
    request: Request,
    session: SessionDep,
    device_id: DeviceIdPath,
    authorization: Annotated[str | None, Header()] = None,
    cookie: Annotated[str | None, Cookie(alias=BOARD_COOKIE, max_length=256)] = None,
) -> storage.Device:
    """The device of an e-board page: by its bearer token, or by the cookie its login link set."""
    if authorization is not None:
        return current_device(request, session, device_id, authorization)
    if not cookie:
        raise GatewayError(
            401,
            "missing_token",
            "this board is not signed in: open its login link once (bantin devices token ID --board-url URL "
            "prints it), or send 'Authorization: Bearer <token>'",
            "bảng tin chưa đăng nhập: mở liên kết đăng nhập của bảng tin một lần (lệnh bantin devices token "
            "ID --board-url URL in ra liên kết), hoặc gửi tiêu đề 'Authorization: Bearer <mã>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return authenticate(request, session, device_id, cookie)


DeviceDep = Annotated[storage.Device, Depends(current_device, scope="function")]
BoardDeviceDep = Annotated[storage.Device, Depends(board_device, scope="function")]
HeaderDeviceDep = Annotated[storage.Device, Depends(header_device, scope="function")]
