"""The gateway against its own OpenAPI document (schemathesis, real uvicorn on loopback).

Every operation gets generated requests twice: as generated (no credentials: 401/403/404/422) and
as device ``loa-a1`` with its token in the path and headers. No answer is a 5xx, every status is
one the document lists, and bodies and headers match it. Bounded: few examples per operation.

Not checked: that every request valid by the document is accepted and every invalid one refused.
The document is looser than the routes there (``?wait`` has no bounds, an audio name no pattern,
``occurred_at`` also takes a number of seconds), so those checks would report the document, not
the gateway.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

import storage
from gateway.app import create_app
from gateway.limits import GatewayLimits
from gateway.server import serve_in_thread
from tests.gateway.conftest import auth

EXAMPLES = 20
# What the gateway promises: no 5xx, only documented statuses, content types, headers and bodies.
# (Whether a request valid by the document is accepted is not checked here: see the module note.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
DEVICE = "loa-a1"
# Plenty of room: the checks are about answers, not about admission under load.
ROOMY = GatewayLimits(gateway_threads=8, gateway_max_requests=7, gateway_queue_seconds=10)


def gateway_document() -> dict:
    """The gateway's OpenAPI document (making the app touches no file or database)."""
    return create_app(storage.StorageSettings(data_dir=Path("unused")), limits=ROOMY).openapi()


schema = schemathesis.openapi.from_dict(gateway_document())


@pytest.fixture
def served(world):  # type: ignore[no-untyped-def]
    world.publish("Lịch tiêm phòng", targets=["V-A"])
    with serve_in_thread(create_app(world.settings, limits=ROOMY)) as url:
        yield world, url


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_gateway_honours_its_openapi_document(case, served):  # type: ignore[no-untyped-def]
    world, url = served
    case.call_and_validate(base_url=url, checks=CHECKS)
    if "device_id" in (case.path_parameters or {}):
        case.path_parameters["device_id"] = DEVICE
    case.headers = {**(case.headers or {}), **auth(world, DEVICE)}
    case.call_and_validate(base_url=url, checks=CHECKS)
