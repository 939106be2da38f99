"""The layout DESIGN.md fixes: dependency direction, public surfaces, light imports."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ["nlp", "tts", "storage", "flows"]


def test_dependency_direction_holds() -> None:
    """import-linter: nlp, tts, storage are leaves; flows and gateway sit above; bantin on top."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize("package", PACKAGES)
def test_public_surface_is_honest(package: str) -> None:
    """Every name in a package's __all__ resolves."""
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_cli_help_does_not_import_heavy_engines() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from bantin.cli import app; "
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0, r.output; "
        "heavy = [m for m in ('torch', 'transformers', 'spacy', 'prefect', 'TTS') if m in sys.modules]; "
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_public_name_is_shadowed_by_a_submodule(package: str) -> None:
    """A submodule named like a public function would replace it once imported (nlp.summarize did)."""
    module = importlib.import_module(package)
    shadowed = [name for name in module.__all__ if importlib.util.find_spec(f"{package}.{name}") is not None]
    assert shadowed == []
