"""``bantin gateway serve --workers 2`` turns Nagle's algorithm off on the connections it accepts.

With several workers uvicorn binds the listening socket itself (``Config.bind_socket``) and each
worker serves it (``Server.run(sockets=[sock])``); asyncio then leaves TCP_NODELAY off, and a
small response waits ~40 ms for the client's delayed ACK. The test runs that same path in-process
with the options the command gives uvicorn, and reads the option on the server's side of the socket.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import typer
import uvicorn
from typer.testing import CliRunner

from bantin.cli import fleet


def serve_like_a_worker(options: dict) -> tuple[uvicorn.Server, socket.socket, threading.Thread]:
    """A uvicorn server on a socket bound the way uvicorn's multi-worker supervisor binds it."""
    config = uvicorn.Config(**{**options, "port": 0, "workers": 1, "log_level": "warning"})
    sock = config.bind_socket()
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    return server, sock, thread


@pytest.fixture
def serve_options(world, monkeypatch) -> dict:
    """What ``bantin gateway serve --workers 2`` hands to uvicorn.run."""
    monkeypatch.setenv("BANTIN_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("BANTIN_DATABASE_URL", world.settings.resolved_database_url)
    monkeypatch.setenv("BANTIN_S3_ENDPOINT", "")
    given: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: given.update(app=app, **kwargs))
    app = typer.Typer()
    app.command("noop")(lambda: None)
    fleet.register(app)
    result = CliRunner().invoke(app, ["gateway", "serve", "--workers", "2", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert given["workers"] == 2
    return given


def test_gateway_serve_with_two_workers_accepts_connections_with_nodelay(serve_options):
    server, sock, thread = serve_like_a_worker(serve_options)
    try:
        with socket.create_connection(sock.getsockname(), timeout=10) as client:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n")
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
            served = [c.transport.get_extra_info("socket") for c in server.server_state.connections]
            assert served, "the server holds the kept-alive connection"
            assert all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in served)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
