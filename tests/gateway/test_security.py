"""Security of the device gateway: throttled sign-ins, keyed token hashes, rotating keys, private files."""

from __future__ import annotations

import hashlib
import stat
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

import storage
from bantin.cli import app as cli_app
from gateway.app import create_app
from gateway.deps import FailureThrottle
from gateway.signing import ManifestRejected, rotate_key, update_key_set, verify_manifest
from tests.gateway.conftest import BOTH_DATABASES, auth
from tests.gateway.test_api import assert_bilingual_error


def wrong(device_id: str) -> dict[str, str]:
    return {"Authorization": "Bearer not-the-token", "X-Device-Id": device_id}


def test_failed_sign_ins_for_one_device_are_throttled_with_retry_after(world, client):
    client.app.state.resources.device_failures = FailureThrottle(burst=3, per_second=0.01)
    url = "/v1/devices/loa-a1/manifest"
    for _ in range(3):
        assert_bilingual_error(client.get(url, headers=wrong("loa-a1")), 403, "device_auth")

    throttled = client.get(url, headers=wrong("loa-a1"))
    with_right_token = client.get(url, headers=auth(world, "loa-a1"))

    assert_bilingual_error(throttled, 429, "too_many_failures")
    assert int(throttled.headers["Retry-After"]) >= 1
    assert with_right_token.status_code == 429  # refused before the token is looked at
    assert client.get("/v1/devices/loa-a2/manifest", headers=auth(world, "loa-a2")).status_code == 200


def test_failed_sign_ins_from_one_address_are_throttled_across_device_ids(world, client):
    client.app.state.resources.client_failures = FailureThrottle(burst=4, per_second=0.01)
    for device_id in ("loa-a1", "loa-a2", "loa-b1", "nobody"):
        client.get(f"/v1/devices/{device_id}/manifest", headers=wrong(device_id))

    answer = client.get("/v1/devices/bang-a1/manifest", headers=wrong("bang-a1"))

    assert_bilingual_error(answer, 429, "too_many_failures")
    assert "Retry-After" in answer.headers
    assert (
        "429"
        in client.get("/openapi.json").json()["paths"]["/v1/devices/{device_id}/manifest"]["get"]["responses"]
    )


def test_a_throttle_bucket_refills_with_time():
    throttle = FailureThrottle(burst=1, per_second=1000.0)
    throttle.failed("k")
    assert throttle.retry_after("other") == 0
    import time

    time.sleep(0.01)
    assert throttle.retry_after("k") == 0


@pytest.mark.parametrize("weak", ["1", "password1234", "a" * 64, "abcdefgh" * 8, "0123456789" * 3])
def test_a_weak_imported_token_is_refused_with_a_clear_message(world, weak):
    rows = [{"type": "device", "id": "loa-new", "unit": "V-A", "token": weak}]
    with pytest.raises(storage.InvalidImport) as raised, world.session() as session:
        storage.import_records(session=session, rows=rows)
    assert "128 bits" in raised.value.message_en and "Chưa nhập gì" in raised.value.message_vi
    with world.session() as session:
        assert session.get(storage.Device, "loa-new") is None


@BOTH_DATABASES
def test_tokens_are_stored_as_a_keyed_hash_and_sign_in_works(world, client):
    strong = "5f0c1b9e7a3d42e8b6c4a1f09d7e3b2c"  # 128 bits, e.g. from a provisioning tool
    key = world.settings.secret_key_bytes()
    rows = [{"type": "device", "id": "loa-new", "unit": "V-A", "token": strong}]
    with world.session() as session:
        storage.import_records(session=session, rows=rows, secret_key=key)
    with world.session() as session:
        stored = session.get(storage.Device, "loa-new").token_hash

    assert stored.startswith("h1$") and hashlib.sha256(strong.encode()).hexdigest() not in stored
    headers = {"Authorization": f"Bearer {strong}"}
    assert client.get("/v1/devices/loa-new/manifest", headers=headers).status_code == 200


@BOTH_DATABASES
def test_an_unkeyed_stored_hash_is_keyed_when_its_device_signs_in(world, client):
    with world.engine.connect() as connection:
        before = connection.execute(text("SELECT token_hash FROM device WHERE id = 'loa-a1'")).scalar_one()
    assert len(before) == 64  # the test world imports without the secret key, as tools without it do

    assert client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1")).status_code == 200

    with world.engine.connect() as connection:
        after = connection.execute(text("SELECT token_hash FROM device WHERE id = 'loa-a1'")).scalar_one()
    assert after.startswith("h1$")
    assert client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1")).status_code == 200
    assert client.get("/v1/devices/loa-a1/manifest", headers=wrong("loa-a1")).status_code == 403


def test_migration_0008_keys_the_stored_token_hashes(tmp_path):
    url = f"sqlite:///{tmp_path / 'bantin.db'}"
    storage.upgrade_database(url, "0007")
    token = "the-token-of-a-device-made-before-0008"
    engine = storage.make_engine(url)
    with engine.begin() as connection:  # rows as revision 0007 holds them, unkeyed sha256 hex
        connection.execute(
            text(
                "INSERT INTO admin_unit (code, name, level, division_type, languages, created_at) "
                "VALUES ('V-A', 'Thôn Một', 'village', 'thôn', '[\"vie\"]', '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO device (id, kind, unit_code, name, languages, token_hash, simulated, created_at) "
                "VALUES ('loa-old', 'speaker_cluster', 'V-A', '', '[\"vie\"]', :hash, 0, '2026-01-01 00:00:00')"
            ),
            {"hash": hashlib.sha256(token.encode()).hexdigest()},
        )
    engine.dispose()
    secret = b"a-server-secret-key-for-this-test"

    storage.upgrade_database(url, "0008", secret_key=secret)

    engine = storage.make_engine(url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM device")).scalar_one()
    assert stored == storage.hash_token(token, secret) and stored.startswith("h1$")
    storage.upgrade_database(url)
    with storage.session_scope(engine) as session:
        device = storage.authenticate_device(
            session=session, device_id="loa-old", token=token, secret_key=secret
        )
        assert device.id == "loa-old"
        with pytest.raises(storage.DeviceAuthError):
            storage.authenticate_device(
                session=session, device_id="loa-old", token=token, secret_key=b"other"
            )
    engine.dispose()


def test_a_device_follows_a_key_rotation_through_the_signed_key_set(world, client):
    world.publish("Thông báo", targets=["V-A"])
    key_path = world.settings.data_dir / "keys" / "manifest-ed25519.pem"
    held = client.get("/v1/keys/manifest").json()["keys"]  # provisioned with the device
    before = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1")).json()
    assert verify_manifest(before, key_set=held, device_id="loa-a1")["key_id"] == before["key_id"]

    new_id, old_id, expires_at = rotate_key(key_path, keep_old=timedelta(days=7))
    client.app.state.resources.signer.RECHECK_SECONDS = 0  # the running gateway looks again at once

    after = client.get("/v1/devices/loa-a1/manifest", headers=auth(world, "loa-a1")).json()
    assert after["key_id"] == new_id != old_id
    with pytest.raises(ManifestRejected) as unknown:
        verify_manifest(after, key_set=held, device_id="loa-a1")
    assert unknown.value.reason == "key"
    published = client.get("/v1/keys/manifest").json()
    updated = update_key_set(held, published)
    assert {k["key_id"] for k in updated} == {new_id, old_id}
    assert verify_manifest(after, key_set=updated, device_id="loa-a1")["key_id"] == new_id
    assert verify_manifest(before, key_set=updated, device_id="loa-a1")["device_id"] == "loa-a1"
    # the old key expires: its manifests and key sets it alone signed are no longer accepted
    later = expires_at + timedelta(minutes=1)
    with pytest.raises(ManifestRejected):
        verify_manifest(before, key_set=updated, device_id="loa-a1", now=later)
    forged = dict(published, signatures=[s for s in published["signatures"] if s["key_id"] == new_id])
    with pytest.raises(ManifestRejected) as untrusted:
        update_key_set(held, forged)
    assert untrusted.value.reason == "key_set"


def test_bantin_keys_rotate_and_list(tmp_path, monkeypatch):
    monkeypatch.setenv("BANTIN_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    first = runner.invoke(cli_app, ["keys", "list"])
    rotated = runner.invoke(cli_app, ["keys", "rotate", "--keep-old-days", "3"])
    listed = runner.invoke(cli_app, ["keys", "list"])

    assert first.exit_code == rotated.exit_code == listed.exit_code == 0
    old_id = first.output.split()[0]
    assert f"old key {old_id} stays valid until" in rotated.output
    assert listed.output.splitlines()[0].endswith("active") and old_id not in listed.output.splitlines()[0]
    assert f"{old_id} retired, valid until" in listed.output
    expiry = datetime.fromisoformat(listed.output.split("valid until ")[1].strip())
    assert timedelta(days=2) < expiry - datetime.now(UTC) <= timedelta(days=3)
    for path in (tmp_path / "keys").rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_database_and_key_files_are_created_private(tmp_path):
    settings = storage.StorageSettings(data_dir=tmp_path / "data")
    storage.upgrade_database(settings.resolved_database_url)
    settings.secret_key_bytes()
    with TestClient(create_app(settings)) as client:
        client.get("/v1/keys/manifest")
        client.get("/healthz")

    files = [
        settings.data_dir / "bantin.db",
        settings.data_dir / "secret.key",
        settings.data_dir / "keys" / "manifest-ed25519.pem",
    ]
    files += [p for p in settings.data_dir.glob("bantin.db-*")]  # WAL and shared-memory files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
