"""Device-side commands: ``bantin simulate`` (a simulated fleet) and ``bantin gateway serve``."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, NoReturn

import typer

gateway_app = typer.Typer(
    help="The device gateway that loudspeakers and e-boards talk to.", no_args_is_help=True
)


def fail(message_vi: str, message_en: str) -> NoReturn:
    """Print a bilingual error and exit with code 2."""
    typer.echo(f"Lỗi: {message_vi} / Error: {message_en}", err=True)
    raise typer.Exit(2)


def check_database(url: str) -> None:
    """Exit with advice when the database has no schema yet."""
    import storage

    try:
        revision = storage.current_revision(url)
    except Exception as exc:  # a server that is down or a bad URL: say so, no traceback
        fail(f"không mở được cơ sở dữ liệu ({exc})", f"cannot open the database ({exc})")
    if revision is None:
        fail(
            "cơ sở dữ liệu chưa được khởi tạo: hãy chạy 'bantin db upgrade'",
            "the database has no schema yet: run 'bantin db upgrade'",
        )


def simulate(
    devices: Annotated[
        int, typer.Option("--devices", "-n", min=1, help="How many simulated devices to run.")
    ] = 10,
    gateway: Annotated[
        str,
        typer.Option(
            "--gateway", help="Gateway base URL; empty uses BANTIN_GATEWAY_URL or starts one locally."
        ),
    ] = "",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the injected faults.")] = 0,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="PEM public key that signs manifests (external gateway)."),
    ] = None,
    no_faults: Annotated[bool, typer.Option("--no-faults", help="Inject no faults.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run N simulated loudspeakers and e-boards against the gateway and print what happened.

    Exits 1 when a manifest failed its signature check or no device reached the gateway.
    """
    import storage
    from bantin.settings import load_settings
    from bantin.simulator import FaultConfig, NotEnoughSimulatedDevices, run_fleet, simulated_devices
    from gateway.signing import default_key_path

    settings = load_settings()
    url = settings.resolved_database_url
    check_database(url)
    engine = storage.make_engine(url)
    try:
        with storage.session_scope(engine) as session:
            pairs = simulated_devices(session=session, count=devices)
    except NotEnoughSimulatedDevices as exc:
        fail(exc.message_vi, exc.message_en)
    finally:
        engine.dispose()
    base_url = gateway or settings.gateway_url
    stack_local = not base_url
    with ExitStack() as stack:
        if stack_local:
            from gateway.app import create_app
            from gateway.server import serve_in_thread

            base_url = stack.enter_context(serve_in_thread(create_app(settings)))
        key_pem = trusted_key(public_key, default_key_path(settings.data_dir), base_url, local=stack_local)
        faults = FaultConfig.none() if no_faults else FaultConfig()
        report = run_fleet(base_url, pairs, public_key_pem=key_pem, seed=seed, faults=faults)
    typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if as_json else report.to_text())
    if report.signature_failures or not reached_gateway(report):
        raise typer.Exit(1)


def reached_gateway(report) -> bool:  # type: ignore[no-untyped-def]
    """True when some online device got a manifest (or every device was offline by design)."""
    online = report.devices - report.devices_offline
    return online == 0 or report.manifests_fetched + report.manifests_not_modified > 0


def trusted_key(given: Path | None, key_file: Path, base_url: str, *, local: bool) -> bytes:
    """The key devices trust: --public-key, else the local signing key, else the gateway's (first use)."""
    from bantin.simulator import fetch_public_key
    from gateway.signing import load_or_create_key, public_key_pem

    if given is not None:
        if not given.is_file():
            fail(f"không có tệp khóa {given}", f"no key file {given}")
        return given.read_bytes()
    if local or key_file.exists():
        return public_key_pem(load_or_create_key(key_file).public_key())
    typer.echo(
        f"Note: trusting the manifest key served by {base_url} (pass --public-key to pin it)", err=True
    )
    try:
        return fetch_public_key(base_url)
    except Exception as exc:
        fail(
            f"không lấy được khóa công khai từ {base_url} ({exc})",
            f"cannot fetch the public key from {base_url} ({exc})",
        )


@gateway_app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve gateway.app:app with uvicorn (settings from BANTIN_* variables).

    Every connection has Nagle's algorithm off, with one worker or several; each worker admits at
    most BANTIN_GATEWAY_MAX_REQUESTS database requests at once and answers more with 503 + Retry-After.
    """
    import uvicorn

    from bantin.settings import load_settings
    from gateway.server import NoDelayHTTPProtocol

    check_database(load_settings().resolved_database_url)
    uvicorn.run(
        "gateway.app:app", host=host, port=port, workers=workers, proxy_headers=True, http=NoDelayHTTPProtocol
    )


def register(app: typer.Typer) -> None:
    app.command()(simulate)
    app.add_typer(gateway_app, name="gateway")
