"""``bantin simulate`` and ``bantin gateway serve`` as a user runs them."""

from __future__ import annotations

import json
import socket

import pytest
import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from bantin.cli import fleet
from gateway.app import create_app
from gateway.server import serve_in_thread
from gateway.signing import public_key_pem


@pytest.fixture
def cli(world, monkeypatch):
    monkeypatch.setenv("BANTIN_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("BANTIN_DATABASE_URL", world.settings.resolved_database_url)
    monkeypatch.setenv("BANTIN_S3_ENDPOINT", "")
    monkeypatch.setenv("BANTIN_GATEWAY_URL", "")
    app = typer.Typer()
    app.command("noop")(lambda: None)
    fleet.register(app)
    return lambda *args: CliRunner().invoke(app, list(args))


def test_simulate_starts_a_local_gateway_and_prints_a_json_report(world, cli):
    world.publish("Thông báo tiêm phòng", targets=["V-A"], duration_s=2.0)

    result = cli("simulate", "--devices", "3", "--seed", "1", "--no-faults", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["devices"] == 3 and report["items_played"] == 3 and report["confirmations_accepted"] == 3
    assert report["signature_failures"] == 0


def test_simulate_prints_text_by_default(world, cli):
    world.publish("Thông báo", targets=["V-B"])

    result = cli("simulate", "--devices", "4")

    assert result.exit_code == 0, result.output
    assert "items_played: " in result.stdout and "confirmations_accepted: " in result.stdout


def test_simulate_more_devices_than_registered_is_a_clear_error(cli):
    result = cli("simulate", "--devices", "50")

    assert result.exit_code == 2
    assert (
        "Lỗi:" in result.output
        and "only 4 exist" in result.output
        and "bantin devices import" in result.output
    )


def test_gateway_serve_refuses_an_empty_database(tmp_path, monkeypatch):
    monkeypatch.setenv("BANTIN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BANTIN_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    app = typer.Typer()
    fleet.register(app)

    result = CliRunner().invoke(app, ["gateway", "serve", "--port", "0"])

    assert result.exit_code == 2 and "bantin db upgrade" in result.output


def test_simulate_against_an_unreachable_gateway_reports_errors_and_exits_1(world, cli, tmp_path):
    key = tmp_path / "gateway.pub.pem"
    key.write_bytes(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"

    result = cli(
        "simulate", "-n", "2", "--gateway", closed, "--public-key", str(key), "--no-faults", "--json"
    )

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["manifests_fetched"] == 0 and report["retries"] > 0
    assert len(report["errors"]) == 4  # each device: its heartbeat and its manifest
    assert all("Connection refused" in error for error in report["errors"])


def test_simulate_with_a_key_that_did_not_sign_exits_1(world, cli, tmp_path):
    world.publish("Thông báo", targets=["V-A"])
    key = tmp_path / "other.pub.pem"
    key.write_bytes(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    with serve_in_thread(create_app(world.settings)) as url:
        result = cli(
            "simulate", "-n", "4", "--gateway", url, "--public-key", str(key), "--no-faults", "--json"
        )

    assert result.exit_code == 1
    assert json.loads(result.stdout)["signature_failures"] == 4
