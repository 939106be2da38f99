"""Deployments: nightly production at 02:00 Vietnam time, on-demand and emergency runs, evaluations."""

from __future__ import annotations

from deployments.serve import build_deployments


def test_schedules_run_in_vietnam_time() -> None:
    found = {d.name: d for d in build_deployments()}
    assert set(found) == {"nightly", "editor", "emergency", "daily", "annual"}
    schedules = {
        name: [(s.schedule.cron, s.schedule.timezone) for s in (d.schedules or [])]
        for name, d in found.items()
    }
    assert schedules["nightly"] == [("0 2 * * *", "Asia/Ho_Chi_Minh")]
    assert schedules["annual"] == [("0 6 15 12 *", "Asia/Ho_Chi_Minh")]  # data period starts 15 December
    assert schedules["editor"] == schedules["emergency"] == []
    assert found["nightly"].flow_name == "produce-bulletins" and found["daily"].flow_name == "evaluate-reach"
    assert found["daily"].parameters == {"request": {"period": "day", "on": None}}


def test_every_flow_takes_one_model_the_ui_renders_as_a_form() -> None:
    for deployment in build_deployments():
        schema = deployment._parameter_openapi_schema.model_dump()
        assert list(schema["properties"]) == ["request"]
        assert schema["definitions"], deployment.name
