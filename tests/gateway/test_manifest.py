"""Signed manifests: content, order, signature, device binding, ETag."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.signing import (
    ManifestRejected,
    canonical_json,
    load_or_create_key,
    public_key_pem,
    verify_manifest,
)
from tests.gateway.conftest import BOTH_DATABASES, auth


def public_key(client) -> bytes:  # type: ignore[no-untyped-def]
    return client.get("/v1/keys/manifest").json()["public_key_pem"].encode()


@BOTH_DATABASES
def test_manifest_lists_approved_items_with_emergency_first(world, client):
    normal = world.publish("Lịch tiêm chủng", targets=["V-A"])
    urgent = world.publish("Bão số 3 đổ bộ", targets=["V-A"], priority="emergency")
    world.publish("Tin cho thôn khác", targets=["V-B"])

    response = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1"))

    assert response.status_code == 200
    manifest = verify_manifest(response.json(), public_key_pem=public_key(client), device_id="loa-a1")
    assert [i["bulletin_id"] for i in manifest["items"]] == [urgent, normal]
    first = manifest["items"][0]
    assert first["priority"] == "emergency" and first["kind"] == "audio"
    assert first["audio_url"] == f"/v1/audio/{first['sha256']}.mp3"
    assert first["audio_key"] == f"audio/{first['sha256']}.mp3"
    assert first["title"] == "Bão số 3 đổ bộ"


def test_eboard_gets_text_items(world, client):
    world.publish("Lịch cắt điện", targets=["V-A"], eboard_text="Cắt điện 8h-11h ngày 5/12")

    response = client.get("/v1/devices/bang-a1/manifest", headers=auth(world, "bang-a1"))

    manifest = verify_manifest(response.json(), public_key_pem=public_key(client), device_id="bang-a1")
    [item] = manifest["items"]
    assert item["kind"] == "eboard" and item["text"] == "Cắt điện 8h-11h ngày 5/12"
    assert item["audio_url"] is None


def test_manifest_is_canonical_json_bound_to_device_with_expiry(world, client):
    world.publish("Thông báo", targets=["V-A"])

    signed = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1")).json()

    manifest = json.loads(signed["manifest"])
    assert canonical_json(manifest) == signed["manifest"].encode("utf-8")
    assert manifest["device_id"] == "loa-a1"
    issued = datetime.fromisoformat(manifest["issued_at"])
    assert datetime.fromisoformat(manifest["expires_at"]) > issued
    assert signed["key_id"] == client.get("/v1/keys/manifest").json()["key_id"]


def test_changed_byte_breaks_the_signature(world, client):
    world.publish("Thông báo họp dân", targets=["V-A"])
    signed = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1")).json()
    key = public_key(client)

    tampered = dict(signed, manifest=signed["manifest"].replace("họp dân", "họp dâm"))
    with pytest.raises(ManifestRejected) as caught:
        verify_manifest(tampered, public_key_pem=key, device_id="loa-a1")
    assert caught.value.reason == "signature"

    raw = bytearray(base64.b64decode(signed["signature"]))
    raw[0] ^= 1
    with pytest.raises(ManifestRejected):
        verify_manifest(
            dict(signed, signature=base64.b64encode(raw).decode()), public_key_pem=key, device_id="loa-a1"
        )


def test_manifest_replayed_to_another_device_or_late_is_refused(world, client):
    world.publish("Thông báo", targets=["V-A"])
    signed = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1")).json()
    key = public_key(client)

    with pytest.raises(ManifestRejected) as other:
        verify_manifest(signed, public_key_pem=key, device_id="loa-a2")
    assert other.value.reason == "device"
    later = datetime.now(UTC) + timedelta(days=2)
    with pytest.raises(ManifestRejected) as expired:
        verify_manifest(signed, public_key_pem=key, device_id="loa-a1", now=later)
    assert expired.value.reason == "expired"


def test_unchanged_manifest_answers_304_and_changes_after_new_bulletin(world, client):
    world.publish("Thông báo một", targets=["V-A"])
    first = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1"))
    etag = first.headers["ETag"]

    again = client.get(
        "/v1/devices/loa-a1/manifest", headers={**auth(world, "loa-a1"), "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b""

    world.publish("Thông báo hai", targets=["V-A"])
    changed = client.get(
        "/v1/devices/loa-a1/manifest", headers={**auth(world, "loa-a1"), "If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_signing_key_is_created_once_with_owner_only_permissions(world, client):
    key_path = world.settings.data_dir / "keys" / "manifest-ed25519.pem"
    assert not key_path.exists()

    first = client.get("/v1/keys/manifest").json()

    assert key_path.exists() and (key_path.stat().st_mode & 0o777) == 0o600
    assert client.get("/v1/keys/manifest").json() == first


def test_signing_key_path_overrides_the_data_dir(world, tmp_path):
    key_path = tmp_path / "secrets" / "gateway.pem"
    with TestClient(create_app(world.settings, signing_key_path=key_path)) as client:
        world.publish("Thông báo", targets=["V-A"])
        signed = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1")).json()

    pem = public_key_pem(load_or_create_key(key_path).public_key())
    assert verify_manifest(signed, public_key_pem=pem, device_id="loa-a1")["device_id"] == "loa-a1"
    assert not (world.settings.data_dir / "keys").exists()
