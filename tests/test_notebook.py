"""notebooks/evaluation.ipynb runs top to bottom on a database made here, so it never rots."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

import storage
from tests.storage.test_metrics import build_reach_world

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "evaluation.ipynb"


@pytest.fixture
def demo_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir whose SQLite database holds the hand-computed reach fixture (demo-like: villages, two
    bulletins, two languages, e-board, a moved device, ratings)."""
    monkeypatch.setenv("BANTIN_DATA_DIR", str(tmp_path))
    for name in ("BANTIN_DATABASE_URL", "BANTIN_S3_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'bantin.db'}"
    storage.upgrade_database(url)
    engine = storage.make_engine(url)
    build_reach_world(engine)
    engine.dispose()
    return tmp_path


def run_notebook(cwd: Path):  # type: ignore[no-untyped-def]
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return notebook


def outputs(notebook, kind: str) -> list:  # type: ignore[no-untyped-def]
    return [
        o
        for cell in notebook.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if o.output_type == kind
    ]


def test_the_notebook_shows_metrics_and_charts_of_the_database(demo_data: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BANTIN_NOTEBOOK_PERIOD", "month")
    monkeypatch.setenv("BANTIN_NOTEBOOK_YEAR", "2026")
    monkeypatch.setenv("BANTIN_NOTEBOOK_MONTH", "11")
    notebook = run_notebook(demo_data)
    assert outputs(notebook, "error") == []
    text = "".join(o.get("text", "") for o in outputs(notebook, "stream"))
    assert "01/11/2026 – 30/11/2026" in text and "'scheduled': 8" in text and "1/2" in text
    html = "".join(o["data"].get("text/html", "") for o in outputs(notebook, "display_data"))
    assert "Bão số 9" in html and "Xã Một" in html
    images = [o["data"]["image/png"] for o in outputs(notebook, "display_data") if "image/png" in o["data"]]
    assert len(images) == 4 and all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)


def test_the_notebook_reports_an_unknown_unit_clearly(demo_data: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("BANTIN_NOTEBOOK_UNIT", "NOPE")
    with pytest.raises(CellExecutionError, match="unknown administrative unit code 'NOPE'"):
        run_notebook(demo_data)
