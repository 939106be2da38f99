"""The ``bantin`` command line. Each command group lives in its own module with ``register(app)``."""

from __future__ import annotations

from importlib import import_module

import typer

app = typer.Typer(help="bantin: grassroots radio and e-board bulletins.", no_args_is_help=True)


@app.callback()
def _root() -> None:
    """bantin: grassroots radio and e-board bulletins (bản tin) for local government."""


# Modules that add commands; each defines register(app: typer.Typer) -> None.
_COMMAND_MODULES = (
    "bantin.cli.text_normalize",
    "bantin.cli.text_summarize",
    "bantin.cli.speech",
    "bantin.cli.core",
    "bantin.cli.fleet",
    "bantin.cli.people",
    "bantin.cli.translation",
    "bantin.cli.reporting",
    "bantin.cli.keys",
    "bantin.cli.broadcast",
    "bantin.cli.cap",
    "bantin.cli.emergency",
)

for _name in _COMMAND_MODULES:
    import_module(_name).register(app)


def main() -> None:
    from bantin.cli.common import run_guarded

    run_guarded(app)
