"""`bantin reviews list` and `bantin reviews submit`: the code from a hidden prompt, the same checks as the form."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bantin.cli import app
from bantin.prefect_env import EMBEDDED_DEFAULTS
from tests.flows.conftest import DRAFTS, World, paused_for
from tests.flows.test_review import Production

runner = CliRunner()


@pytest.fixture(autouse=True)
def restore_prefect_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI sets Prefect's embedded defaults in the environment; put them back afterwards."""
    for name in [*EMBEDDED_DEFAULTS, "PREFECT_HOME"]:
        monkeypatch.delenv(name, raising=False)


def test_reviews_submit_asks_for_the_code_and_reports_what_the_run_did(world: World) -> None:
    commune = world.people["commune"]
    bulletin = world.submit(DRAFTS[2])
    production = Production(bulletin)
    production.start()
    paused = paused_for(bulletin=bulletin, world=world)
    listed = runner.invoke(app, ["reviews", "list"])
    assert (
        listed.exit_code == 0 and str(paused.flow_run_id) in listed.output and commune.label in listed.output
    )

    submit = ["reviews", "submit", str(paused.flow_run_id), "--decision", "duyệt", "--reviewer", commune.name]
    # The code is never a command-line option.
    assert runner.invoke(app, [*submit, "--code", "123456"]).exit_code == 2
    wrong = runner.invoke(app, submit, input="000000\n")
    assert wrong.exit_code == 2, wrong.output
    assert "000000" not in wrong.output  # hidden input
    assert "vẫn chờ" in wrong.output and "still waits" in wrong.output and commune.label in wrong.output
    outsider = runner.invoke(app, [*submit[:-1], "Lê Văn Bình"], input="123456\n")
    assert outsider.exit_code == 2 and "Error:" in outsider.output and "Traceback" not in outsider.output

    paused = paused_for(bulletin=bulletin, world=world)
    good = runner.invoke(app, submit, input=f"{commune.code()}\n")
    assert good.exit_code == 0, good.output
    assert "Recorded: approve" in good.output and commune.name in good.output
    assert production.finish()[str(bulletin)]["distribution"]["items_created"] > 0
    again = runner.invoke(app, submit, input=f"{commune.code()}\n")
    assert again.exit_code == 2 and "not waiting" in again.output
