"""``uvicorn gateway.app:app``: importing is free of side effects, serving reads BANTIN_* settings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

from tests.gateway.conftest import auth


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANTIN_")}
    env |= {
        "BANTIN_DATA_DIR": str(world.settings.data_dir),
        "BANTIN_DATABASE_URL": world.settings.database_url,
    }
    return env


def test_importing_the_app_touches_nothing(tmp_path):
    data_dir = tmp_path / "never-made"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANTIN_")} | {
        "BANTIN_DATA_DIR": str(data_dir)
    }
    code = "import gateway.app; gateway.app.app.openapi()"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, env=env, timeout=120)
    assert not data_dir.exists()


def test_uvicorn_serves_the_module_app_from_environment_settings(world, tmp_path):
    world.publish("Thông báo", targets=["V-A"])
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "gateway.app:app", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(cmd, cwd=tmp_path, env=environment(world), stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.2)
        manifest = httpx.get(f"{base}/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert health.json() == {"status": "ok", "database": "ok"}
    assert manifest.status_code == 200 and manifest.json()["algorithm"] == "Ed25519"
    assert (world.settings.data_dir / "keys" / "manifest-ed25519.pem").exists()


def test_public_names_of_the_gateway_package_resolve():
    import gateway

    for name in gateway.__all__:
        assert getattr(gateway, name) is not None, name
