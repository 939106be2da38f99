"""A gateway flooded beyond its limits answers 503 with Retry-After at once, keeps answering /healthz,
and serves normally as soon as the flood stops (real uvicorn on loopback, small limits)."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from fastapi.testclient import TestClient

import storage
from gateway.app import create_app
from gateway.limits import GatewayLimits
from gateway.server import serve_in_thread
from tests.gateway.conftest import BOTH_DATABASES, auth

# Small limits make a flood cheap: 2 requests served at once, a few more waiting at most 0.2 s.
SMALL = GatewayLimits(gateway_threads=3, gateway_max_requests=2, gateway_queue_seconds=0.2)
FLOOD = 400
DEVICES = ["loa-a1", "loa-a2", "loa-b1", "loa-that"]
# Generous bound: no answer may take this long (the wedged gateway never answered).
ANSWER_WITHIN_S = 10.0


async def flood(url: str, world, n: int) -> tuple[list[httpx.Response], list[httpx.Response]]:  # type: ignore[no-untyped-def]
    """``n`` manifest polls and heartbeats sent at once, with /healthz asked meanwhile."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=url, timeout=ANSWER_WITHIN_S, limits=limits) as http:

        def one(i: int):  # type: ignore[no-untyped-def]
            device = DEVICES[i % len(DEVICES)]
            if i % 3 == 2:
                return http.post(
                    f"/v1/devices/{device}/heartbeats", json={"status": "ok"}, headers=auth(world, device)
                )
            return http.get(f"/v1/devices/{device}/manifest", headers=auth(world, device))

        async def health() -> list[httpx.Response]:
            # Its own connection per check: a pooled keep-alive socket the server has just closed would
            # fail on the client's side, which says nothing about whether the gateway answers.
            answers = []
            fresh = httpx.Limits(max_keepalive_connections=0)
            async with httpx.AsyncClient(base_url=url, timeout=ANSWER_WITHIN_S, limits=fresh) as checker:
                for _ in range(5):
                    answers.append(await checker.get("/healthz"))
                    await asyncio.sleep(0.02)
            return answers

        *answers, healthz = await asyncio.gather(*(one(i) for i in range(n)), health())
    return answers, healthz


@BOTH_DATABASES
def test_flood_gets_fast_503_with_retry_after_and_the_gateway_recovers_at_once(world):
    world.publish("Lịch tiêm phòng", targets=["V-A", "V-B"])
    app = create_app(world.settings, limits=SMALL)
    with serve_in_thread(app) as url:
        answers, healthz = asyncio.run(flood(url, world, FLOOD))

        statuses = {r.status_code for r in answers}
        assert statuses <= {200, 201, 503}, statuses  # no 500, no timeout (that would have raised)
        busy = [r for r in answers if r.status_code == 503]
        assert busy and len(busy) < FLOOD, "a flood gets some 503s and some answers"
        for response in busy:
            assert int(response.headers["Retry-After"]) >= 1
            body = response.json()
            assert body["error"] == "gateway_busy" and "thử lại" in body["message_vi"]
        assert [r.status_code for r in healthz] == [200] * 5

        # Right after the flood, normal polls and heartbeats are served.
        with httpx.Client(base_url=url, timeout=ANSWER_WITHIN_S) as http:
            first = http.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1"))
            assert first.status_code == 200
            etag = first.headers["ETag"]
            for _ in range(10):
                again = http.get(
                    "/v1/devices/loa-a1/manifest", headers={**auth(world, "loa-a1"), "If-None-Match": etag}
                )
                assert again.status_code == 304
                beat = http.post(
                    "/v1/devices/loa-b1/heartbeats", json={"status": "ok"}, headers=auth(world, "loa-b1")
                )
                assert beat.status_code == 201
            assert http.get("/healthz").json() == {"status": "ok", "database": "ok"}
    # Every heartbeat answered 201 was stored, none answered 503 was.
    stored = sum(r.status_code == 201 for r in answers) + 10
    assert world.count(storage.Heartbeat) == stored


def test_a_second_flood_is_refused_the_same_way_and_nothing_stays_admitted(world):
    app = create_app(world.settings, limits=SMALL)
    with serve_in_thread(app) as url:
        for _ in range(2):
            answers, healthz = asyncio.run(flood(url, world, FLOOD // 2))
            assert {r.status_code for r in answers} <= {200, 201, 503}
            assert all(r.status_code == 200 for r in healthz)
        with httpx.Client(base_url=url, timeout=ANSWER_WITHIN_S) as http:
            # As many requests as may be admitted and queued, one after another: none is refused.
            for _ in range(SMALL.admitted * 5):
                assert (
                    http.get("/v1/devices/loa-a2/manifest", headers=auth(world, "loa-a2")).status_code == 200
                )


def test_an_unreachable_database_leaves_healthz_alive_and_readyz_at_503(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = storage.StorageSettings(
        data_dir=tmp_path, database_url=f"postgresql+psycopg://bantin@127.0.0.1:{port}/none"
    )
    with TestClient(create_app(settings, limits=SMALL)) as client:
        assert client.get("/healthz").json() == {"status": "ok", "database": "unreachable"}
        ready = client.get("/readyz")
        assert ready.status_code == 503 and int(ready.headers["Retry-After"]) >= 1
        assert ready.json()["error"] == "database_unreachable" and ready.json()["message_vi"]


def test_readyz_answers_200_when_the_database_answers(client):
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("path", ["/v1/keys/manifest", "/healthz"])
def test_routes_without_the_database_are_not_queued(world, path):
    closed = GatewayLimits(gateway_threads=2, gateway_max_requests=1, gateway_queue_seconds=0)
    app = create_app(world.settings, limits=closed)
    with TestClient(app) as client:
        app.state.admission.in_flight = app.state.admission.capacity  # every turn taken
        assert client.get(path).status_code == 200
        refused = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1"))
        assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
