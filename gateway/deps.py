"""Per-app resources made on first use (engine, object store, signer) and the route dependencies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import Cookie, Depends, Header, Request
from fastapi import Path as PathParam
from sqlalchemy.engine import Engine
from sqlmodel import Session

import storage
from gateway.errors import GatewayError
from gateway.signing import ManifestSigner, default_key_path


class Resources:
    """What the routes need; nothing touches the database or the disk until a request asks."""

    def __init__(
        self,
        settings: storage.StorageSettings,
        *,
        signing_key_path: Path | None,
        manifest_ttl: timedelta,
        timezone: str,
    ) -> None:
        self.settings = settings
        self.manifest_ttl = manifest_ttl
        self.timezone = timezone
        self.signer = ManifestSigner(signing_key_path or default_key_path(settings.data_dir))
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._store: storage.ObjectStore | None = None
        self._secret_key: bytes | None = None

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = storage.make_engine(self.settings.resolved_database_url)
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


def get_resources(request: Request) -> Resources:
    return request.app.state.resources


def get_session(resources: Annotated[Resources, Depends(get_resources)]) -> Iterator[Session]:
    """A session committed before the response is sent, rolled back on any error."""
    with storage.session_scope(resources.engine) as session:
        yield session


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


def current_device(
    session: SessionDep,
    device_id: Annotated[str, PathParam(max_length=64)],
    authorization: Annotated[str | None, Header()] = None,
) -> storage.Device:
    """The device named in the path, if the bearer token is its own (403 otherwise)."""
    return storage.authenticate_device(
        session=session, device_id=device_id, token=bearer_token(authorization)
    )


def header_device(
    session: SessionDep,
    x_device_id: Annotated[str | None, Header(max_length=64)] = None,
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
    return storage.authenticate_device(session=session, device_id=x_device_id, token=token)


# The cookie an e-board's browser gets from its login link (gateway.board.render_board_login).
BOARD_COOKIE = "bantin_board"


def board_device(
    session: SessionDep,
    device_id: Annotated[str, PathParam(max_length=64)],
    authorization: Annotated[str | None, Header()] = None,
    cookie: Annotated[str | None, Cookie(alias=BOARD_COOKIE, max_length=256)] = None,
) -> storage.Device:
    """The device of an e-board page: by its bearer token, or by the cookie its login link set."""
    if authorization is not None:
        return current_device(session, device_id, authorization)
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
    return storage.authenticate_device(session=session, device_id=device_id, token=cookie)


DeviceDep = Annotated[storage.Device, Depends(current_device, scope="function")]
BoardDeviceDep = Annotated[storage.Device, Depends(board_device, scope="function")]
HeaderDeviceDep = Annotated[storage.Device, Depends(header_device, scope="function")]
