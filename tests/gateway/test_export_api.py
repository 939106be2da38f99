"""Upward export v1: API keys scoped to a subtree, JSON and CSV, documented in OpenAPI."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

import storage
from tests.gateway.conftest import BOTH_DATABASES, World

AIRED = storage.utcnow() - timedelta(days=3)
TODAY = storage.utcnow().astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()


@pytest.fixture
def exported(world: World) -> dict:
    """A bulletin aired three days ago in the first commune, one play confirmed; a key for that commune."""
    bulletin = world.publish("Nạo vét kênh mương", targets=[world.communes[0]], distribute_at=AIRED)
    with world.session() as session:
        item = session.exec(
            select(storage.PlaylistItem).where(storage.PlaylistItem.device_id == "loa-a1")
        ).one()
        storage.record_confirmations(
            session=session,
            device=storage.get_device(session, "loa-a1"),
            events=[
                storage.ConfirmationEvent(
                    uuid.uuid4(),
                    item.id,
                    storage.PlaybackStatus.played,
                    item.starts_at + timedelta(minutes=1),
                    1.0,
                )
            ],
        )
        day = item.starts_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
        _, token = storage.create_export_key(
            session, unit_code=world.communes[0], name="Hệ thống thông tin nguồn tỉnh"
        )
    return {"bulletin": bulletin, "day": day.isoformat(), "token": token}


def get(client: TestClient, path: str, token: str | None, **params):  # type: ignore[no-untyped-def]
    headers = {"X-API-Key": token} if token else {}
    return client.get(f"/export/v1{path}", params=params, headers=headers)


@BOTH_DATABASES
def test_metrics_and_broadcasts_export_as_json(world: World, client: TestClient, exported: dict) -> None:
    response = get(
        client, f"/units/{world.communes[0]}/metrics", exported["token"], period="day", day=exported["day"]
    )
    assert response.status_code == 200 and response.headers["x-schema-version"] == "1"
    body = response.json()
    assert body["schema_version"] == "1" and body["period"]["first"] == exported["day"]
    units = {row["unit_code"]: row for row in body["rows"]}
    assert units[world.communes[0]]["targeted"] == 3 and units[world.communes[0]]["played"] == 1
    assert set(units) == {world.communes[0], "V-A"}
    broadcasts = get(
        client, "/units/V-A/broadcasts", exported["token"], period="day", day=exported["day"]
    ).json()
    assert sum(r["targeted"] for r in broadcasts["rows"]) == 3
    bulletins = get(
        client,
        f"/units/{world.communes[0]}/bulletins",
        exported["token"],
        period="month",
        year=TODAY.year,  # approved today (distributed as if three days ago)
        month=TODAY.month,
    ).json()
    assert [r["bulletin_id"] for r in bulletins["rows"]] == [exported["bulletin"]], bulletins


def test_csv_export_opens_in_a_spreadsheet(world: World, client: TestClient, exported: dict) -> None:
    response = get(
        client,
        f"/units/{world.communes[0]}/broadcasts",
        exported["token"],
        period="day",
        day=exported["day"],
        format="csv",
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert {r["title"] for r in rows} == {"Nạo vét kênh mương"} and sum(int(r["played"]) for r in rows) == 1


def test_keys_are_scoped_to_their_subtree(world: World, client: TestClient, exported: dict) -> None:
    for elsewhere in (world.communes[1], "V-B", "44"):
        response = get(
            client, f"/units/{elsewhere}/metrics", exported["token"], period="day", day=exported["day"]
        )
        assert response.status_code == 403 and "không phải" in response.json()["message_vi"]
    assert (
        get(client, "/units/NOPE/metrics", exported["token"], period="day", day=exported["day"]).status_code
        == 404
    )


def test_missing_wrong_and_revoked_keys_are_refused(world: World, client: TestClient, exported: dict) -> None:
    path = f"/units/{world.communes[0]}/metrics"
    assert get(client, path, None, period="day", day=exported["day"]).status_code == 401
    assert get(client, path, "bte_wrong", period="day", day=exported["day"]).status_code == 401
    with world.session() as session:
        key = storage.authenticate_export_key(session, exported["token"])
        storage.revoke_export_key(session, key.id)
    assert get(client, path, exported["token"], period="day", day=exported["day"]).status_code == 401


def test_bad_periods_are_refused_clearly(world: World, client: TestClient, exported: dict) -> None:
    path = f"/units/{world.communes[0]}/metrics"
    future = get(client, path, exported["token"], period="annual", year=2100)
    assert future.status_code == 400 and "chưa bắt đầu" in future.json()["message_vi"]
    assert get(client, path, exported["token"], period="month", year=2026).status_code == 400  # no month
    assert get(client, path, exported["token"], period="month", year=2026, month=13).status_code == 422


def test_the_export_is_documented_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/export/v1/units/{unit_code}/metrics"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"unit_code", "period", "year", "month", "day", "format", "X-API-Key"} <= names
    assert {"401", "403", "404"} <= set(operation["responses"])
    assert "ExportOut" in spec["components"]["schemas"]
