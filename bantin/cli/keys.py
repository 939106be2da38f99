"""``bantin keys``: the manifest signing keys — list them, rotate to a new one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from bantin.cli.common import fail

keys_app = typer.Typer(help="Manifest signing keys (Ed25519) of the device gateway.", no_args_is_help=True)

KeyOption = Annotated[
    Path | None,
    typer.Option("--key", help="The active signing key file; default <data dir>/keys/manifest-ed25519.pem."),
]


def _key_path(given: Path | None) -> Path:
    from bantin.settings import load_settings
    from gateway.signing import default_key_path

    return given or default_key_path(load_settings().data_dir)


@keys_app.command("rotate")
def keys_rotate(
    key: KeyOption = None,
    keep_old_days: Annotated[
        int,
        typer.Option(
            min=1,
            max=3650,
            help="How many days the old key stays valid (published and accepted by devices).",
        ),
    ] = 14,
) -> None:
    """Make a new signing key; the old one stays valid for --keep-old-days, then expires.

    A running gateway signs with the new key within a second and publishes both keys at
    GET /v1/keys/manifest; devices take the new key set because the old key signed it.
    """
    from gateway.signing import rotate_key

    path = _key_path(key)
    try:
        new_id, old_id, expires_at = rotate_key(path, keep_old=timedelta(days=keep_old_days))
    except (OSError, ValueError) as exc:
        fail(
            ValueError(
                f"cannot rotate the signing key {path}: {exc}",
            )
        )
    typer.echo(f"new key {new_id} signs manifests from now on")
    typer.echo(f"old key {old_id} stays valid until {expires_at.isoformat(timespec='seconds')}")


@keys_app.command("list")
def keys_list(key: KeyOption = None) -> None:
    """The keys devices may hold now: the active one and the retired ones that have not expired."""
    from gateway.signing import key_id, load_or_create_key, retired_keys

    path = _key_path(key)
    try:
        active = load_or_create_key(path)
    except (OSError, ValueError) as exc:
        fail(ValueError(f"cannot read the signing key {path}: {exc}"))
    typer.echo(f"{key_id(active.public_key())} active")
    for retired in retired_keys(path):
        typer.echo(
            f"{retired.key_id} retired, valid until {retired.expires_at.isoformat(timespec='seconds')}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
