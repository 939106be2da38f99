"""What the gateway benchmarks share: the gateway in its own process, and a small HTTP/1.1 keep-alive client.

The client is deliberately minimal (asyncio streams) so that thousands of simulated devices cost
the load generator little. Like any HTTP client with a pool, it sends an idempotent GET again on a
new connection when a reused keep-alive connection turns out to have been closed by the server
(uvicorn closes idle ones after 5 s) before any byte of the answer came back; those resends are
counted, not hidden.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REQUEST_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``bantin gateway serve --workers N`` in its own process group."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        bantin = Path(sys.executable).with_name("bantin")
        command = [str(bantin), "gateway", "serve", "--port", str(self.port), "--workers", str(workers)]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gateway did not start")

    def stop(self) -> str:
        """Stop the gateway; the end of what it logged (worker restarts show there)."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(OSError, ValueError):
            return self.process.stderr.read().decode(errors="replace")[-1500:]
        return ""


class StaleConnection(ConnectionError):
    """The server had closed this keep-alive connection before the request: nothing of an answer came."""


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """Status, headers (lower-case names; ``_closed`` when the server closed) and body."""
        return await self.request("GET", path, headers)

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        """Any request with an optional body (sent with its Content-Length); answered as ``get``."""
        sent = {**headers, "Content-Length": str(len(body))} if body else headers
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in sent.items()]
        try:
            self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            if not error.partial:
                raise StaleConnection("closed before any answer") from error
            raise
        except (ConnectionResetError, BrokenPipeError) as error:
            raise StaleConnection(str(error)) from error
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        answer = {}
        for line in header_lines:
            if ":" in line:
                key, value = line.split(":", 1)
                answer[key.strip().lower()] = value.strip()
        length = int(answer.get("content-length", "0"))
        body = await self.reader.readexactly(length) if length else b""
        if answer.get("connection", "").lower() == "close":
            self.close()
            answer["_closed"] = "1"
        return int(status_line.split(" ", 2)[1]), answer, body

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Keep-alive connections shared by many devices for one-off GETs.

    ``retry_busy``: a 503 is asked again after its Retry-After (with jitter), as a device does;
    otherwise a 503 is returned to the caller, which counts it."""

    def __init__(
        self, port: int, size: int, *, retry_busy: bool = False, timeout: float = REQUEST_TIMEOUT
    ) -> None:
        self.port, self.size, self.timeout, self.retry_busy = port, size, timeout, retry_busy
        self.idle: list[Connection] = []
        self.available = asyncio.Semaphore(size)
        self.busy_retries = 0
        self.stale_resends = 0

    async def _once(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        async with self.available:
            reused = bool(self.idle)
            conn = self.idle.pop() if reused else await Connection.open(self.port)
            try:
                answer = await asyncio.wait_for(conn.get(path, headers), self.timeout)
            except StaleConnection:
                conn.close()
                if not reused:
                    raise
                self.stale_resends += 1  # a GET is idempotent: send it again on a fresh connection
                conn = await Connection.open(self.port)
                try:
                    answer = await asyncio.wait_for(conn.get(path, headers), self.timeout)
                except BaseException:
                    conn.close()
                    raise
            except BaseException:
                conn.close()
                raise
            if "_closed" not in answer[1]:
                self.idle.append(conn)
            return answer

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        answer = await self._once(path, headers)
        for _ in range(60 if self.retry_busy else 0):
            if answer[0] != 503:
                break
            self.busy_retries += 1
            await asyncio.sleep(float(answer[1].get("retry-after", "1")) * (0.5 + random.random()))
            answer = await self._once(path, headers)
        return answer

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()
