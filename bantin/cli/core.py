"""Core commands: version, database, units, devices, production, simulation, demo."""

from __future__ import annotations

import typer

import bantin


def version() -> None:
    """Print the bantin version."""
    typer.echo(bantin.__version__)


def register(app: typer.Typer) -> None:
    app.command()(version)
