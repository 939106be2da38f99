"""Deployments defined once (serve.py, prefect.yaml generated from it), their parameters, the editor's form."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployments.prefect_yaml import YAML_PATH, render
from deployments.serve import build_deployments
from flows.editor import (
    Category,
    DraftRefused,
    EditorDraft,
    PriorityChoice,
    check_broadcast_date,
    check_voice,
    installed_voices,
    store_draft,
    write_bulletin,
)
from flows.evaluate import evaluate_reach
from flows.produce import produce_bulletins
from flows.review import review_bulletin
from flows.settings import PipelineSettings
from flows.translate import translate_bulletin

FLOWS = {
    f.name: f
    for f in (produce_bulletins, write_bulletin, review_bulletin, translate_bulletin, evaluate_reach)
}
TOMORROW = date.today() + timedelta(days=1)
EDITOR_INPUT = {
    "title": "Lịch tiêm chủng tháng 12",
    "body": "Trạm Y tế xã tổ chức tiêm chủng cho trẻ em dưới 5 tuổi vào sáng thứ Bảy.",
    "category": Category.dich_benh_y_te.value,
    "priority": PriorityChoice.normal.value,
    "source_unit": "18904",
    "target_units": ["18904"],
    "broadcast_date": TOMORROW.isoformat(),
}
# What a run form adds to deployments whose parameters are asked for at run time.
RUN_INPUT = {
    "editor": {"draft": EDITOR_INPUT},
    "review": {"request": {"version_id": 1}},
    "translate": {"request": {"version_id": 1, "language": "khm"}},
}
VIETNAMESE = re.compile(r"[^\x00-\x7f]")  # a letter with a diacritic: written in Vietnamese


@pytest.fixture(scope="module")
def deployments() -> dict:
    return {d.name: d for d in build_deployments()}


def test_schedules_run_in_vietnam_time(deployments: dict) -> None:
    assert set(deployments) == {
        "nightly", "on-demand", "emergency", "editor", "review", "translate", "daily", "annual"
    }  # fmt: skip
    schedules = {
        name: [(s.schedule.cron, s.schedule.timezone) for s in (d.schedules or [])]
        for name, d in deployments.items()
    }
    assert schedules["nightly"] == [("0 2 * * *", "Asia/Ho_Chi_Minh")]
    assert schedules["daily"] == [("30 23 * * *", "Asia/Ho_Chi_Minh")]
    assert schedules["annual"] == [("0 6 15 12 *", "Asia/Ho_Chi_Minh")]  # data period starts 15 December
    assert (
        schedules["on-demand"]
        == schedules["emergency"]
        == schedules["editor"]
        == schedules["review"]
        == schedules["translate"]
        == []
    )
    assert {name: d.flow_name for name, d in deployments.items()} == {
        "nightly": "produce-bulletins",
        "on-demand": "produce-bulletins",
        "emergency": "produce-bulletins",
        "editor": "write-bulletin",
        "review": "review-bulletin",
        "translate": "translate-bulletin",
        "daily": "evaluate-reach",
        "annual": "evaluate-reach",
    }


def test_prefect_yaml_is_generated_from_serve_py(deployments: dict) -> None:
    # prefect deploy and python -m deployments.serve register the same deployments with the same parameters.
    assert YAML_PATH.read_text(encoding="utf-8") == render(list(deployments.values())), (
        "deployments/prefect.yaml is stale: run `python -m deployments.prefect_yaml`"
    )


def test_prefect_yaml_entrypoints_name_the_flows() -> None:
    import yaml

    listed = yaml.safe_load(YAML_PATH.read_text(encoding="utf-8"))["deployments"]
    root = YAML_PATH.parents[1]
    for entry in listed:
        path, function = entry["entrypoint"].split(":")
        assert (root / path).is_file() and f"def {function}(" in (root / path).read_text(encoding="utf-8")


def test_every_deployment_parameters_validate_against_its_flow(deployments: dict) -> None:
    for name, deployment in deployments.items():
        flow = FLOWS[deployment.flow_name]
        parameters = {**deployment.parameters, **RUN_INPUT.get(name, {})}
        validated = flow.validate_parameters(parameters)
        assert set(validated) == set(flow.parameters.properties), name
    # Scheduled runs have no one to fill a form: their parameters alone must be complete.
    for name in ("nightly", "daily", "annual"):
        FLOWS[deployments[name].flow_name].validate_parameters(deployments[name].parameters)


def test_a_wrong_parameter_is_refused_by_the_flow(deployments: dict) -> None:
    from prefect.exceptions import ParameterTypeError

    with pytest.raises(ParameterTypeError):
        produce_bulletins.validate_parameters({"request": {"bulletins": "3", "review_timeout_minutes": 0}})
    with pytest.raises(ParameterTypeError):
        evaluate_reach.validate_parameters({"request": {"period": "weekly"}})
    with pytest.raises(ParameterTypeError):
        write_bulletin.validate_parameters({"draft": {**EDITOR_INPUT, "priority": "urgent"}})


def test_every_flow_takes_one_model_the_ui_renders_as_a_form(deployments: dict) -> None:
    for deployment in deployments.values():
        schema = deployment._parameter_openapi_schema.model_dump()
        assert len(schema["properties"]) == 1, deployment.name
        assert schema["definitions"], deployment.name


def test_editor_form_speaks_to_officers_in_vietnamese(deployments: dict) -> None:
    schema = deployments["editor"]._parameter_openapi_schema.model_dump()
    form = schema["definitions"]["EditorDraft"]
    assert form["title"] == "Bản tin mới"
    for name, field in form["properties"].items():
        assert VIETNAMESE.search(field["title"]), name
        assert VIETNAMESE.search(field["description"]), name
    for choice in ("Category", "PriorityChoice"):
        assert VIETNAMESE.search(schema["definitions"][choice]["description"]), choice
    assert "Thời tiết, thiên tai" in schema["definitions"]["Category"]["enum"]
    assert schema["definitions"]["PriorityChoice"]["enum"] == ["Thông thường", "Ưu tiên", "Khẩn cấp"]
    assert set(form["required"]) == {"title", "body", "source_unit", "target_units", "broadcast_date"}


def test_editor_voice_is_a_choice_of_installed_voices(deployments: dict) -> None:
    settings = PipelineSettings()
    voice = deployments["editor"]._parameter_openapi_schema.model_dump()["definitions"]["EditorDraft"][
        "properties"
    ]["voice"]
    assert voice["enum"] == installed_voices(settings) and "espeak-vi-north" in voice["enum"]
    assert voice["default"] == settings.default_voice
    assert check_voice("", settings) == settings.default_voice
    with pytest.raises(DraftRefused) as refused:
        check_voice("mms-khm", settings)
    assert "chưa được cài" in str(refused.value) and "espeak-vi-north" in refused.value.message_en


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "   "}, "title"),
        ({"body": ""}, "body"),
        ({"target_units": []}, "target_units"),
        ({"target_units": ["18904", " "]}, "target_units"),
        ({"category": "thoi_tiet"}, "category"),
        ({"priority": "urgent"}, "priority"),
        ({"broadcast_date": "31/12/2026"}, "broadcast_date"),
        ({"target_seconds": 5}, "target_seconds"),
    ],
)
def test_editor_form_refuses_bad_input(change: dict, field: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as refused:
        EditorDraft.model_validate({**EDITOR_INPUT, **change})
    assert [error["loc"][0] for error in refused.value.errors()] == [field]


def test_a_broadcast_date_in_the_past_is_refused() -> None:
    check_broadcast_date(date(2026, 12, 2), timezone="Asia/Ho_Chi_Minh", today=date(2026, 12, 2))
    with pytest.raises(DraftRefused) as refused:
        check_broadcast_date(date(2026, 12, 1), timezone="Asia/Ho_Chi_Minh", today=date(2026, 12, 2))
    assert "01/12/2026" in refused.value.message_vi and "đã qua" in str(refused.value)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PipelineSettings:
    """Pipeline settings on a fresh SQLite file holding Quảng Trị's communes."""
    import storage

    for name in ("BANTIN_DATABASE_URL", "BANTIN_S3_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BANTIN_DATA_DIR", str(tmp_path))
    settings = PipelineSettings()
    storage.upgrade_database(settings.resolved_database_url)
    engine = storage.make_engine(settings.resolved_database_url)
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
    engine.dispose()
    return settings


def stored_bulletins(settings: PipelineSettings) -> list:
    from sqlmodel import select

    import storage

    engine = storage.make_engine(settings.resolved_database_url)
    with storage.session_scope(engine) as session:
        found = [
            (b.title, b.category, b.priority.value, b.external_id, storage.target_codes(session, b.id))
            for b in session.exec(select(storage.Bulletin)).all()
        ]
    engine.dispose()
    return found


def test_editor_draft_is_stored_with_codes_and_once_per_run(settings: PipelineSettings) -> None:
    draft = EditorDraft.model_validate({**EDITOR_INPUT, "priority": "Ưu tiên"})
    first = store_draft(settings, draft, external_id="prefect-run-1")
    again = store_draft(settings, draft, external_id="prefect-run-1")  # a retried run
    assert first[2] is True and again == (first[0], first[1], False)
    assert stored_bulletins(settings) == [
        ("Lịch tiêm chủng tháng 12", "dich_benh_y_te", "priority", "prefect-run-1", ["18904"])
    ]


def test_editor_draft_with_an_unknown_unit_is_refused_in_both_languages(settings: PipelineSettings) -> None:
    draft = EditorDraft.model_validate({**EDITOR_INPUT, "target_units": ["18904", "99999"]})
    with pytest.raises(DraftRefused) as refused:
        store_draft(settings, draft, external_id="prefect-run-2")
    assert "99999" in refused.value.message_en and "99999" in refused.value.message_vi
    assert str(refused.value).startswith("Lỗi: ") and "/ Error: " in str(refused.value)
    assert stored_bulletins(settings) == []


def test_bantin_produce_refuses_an_unknown_or_empty_bulletin_id(settings: PipelineSettings) -> None:
    from bantin.cli import app

    runner = CliRunner()
    for args in (["produce", "4242"], ["produce", " "]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "bantin bulletins list" in result.output and "Lỗi:" in result.output


@pytest.fixture
def prefect_harness():  # type: ignore[no-untyped-def]
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_editor_run_stores_the_draft_and_produces_it_for_review(
    settings: PipelineSettings, monkeypatch: pytest.MonkeyPatch, prefect_harness: None
) -> None:
    import threading

    import storage
    from flows.review import paused_reviews, submit_review

    monkeypatch.setenv("BANTIN_SECRET_KEY", "deployments-test-key")
    monkeypatch.setenv("BANTIN_REVIEW_POLL_SECONDS", "0.5")
    engine = storage.make_engine(settings.resolved_database_url)
    devices = (Path(__file__).resolve().parents[1] / "bantin" / "demo" / "devices.json").read_text("utf-8")
    with storage.session_scope(engine) as session:
        storage.import_records(session=session, rows=storage.parse_records(devices, "json"))
        person, secret = storage.add_person(
            session,
            name="Hồ Văn Duyệt",
            unit_code="18904",
            role="reviewer",
            secret_key=b"deployments-test-key",
        )
        person_id = person.id
    engine.dispose()
    draft = {**EDITOR_INPUT, "priority": "Ưu tiên"}  # a normal one could expire at a window's start
    outcome: dict = {}
    run = threading.Thread(
        target=lambda: outcome.update(write_bulletin(EditorDraft.model_validate(draft))), daemon=True
    )
    run.start()
    deadline = time.monotonic() + 300
    while not (waiting := paused_reviews()) and run.is_alive():
        assert time.monotonic() < deadline, "no review was started for the editor's bulletin"
        time.sleep(1)
    assert waiting, outcome
    submit_review(
        waiting[0].flow_run_id,
        reviewer=person_id,
        code=storage.totp_code(secret),
        decision=storage.ReviewDecision.approve,
    )
    run.join(timeout=300)
    bulletin = str(outcome["bulletin_id"])
    assert outcome["production"][bulletin]["decision"] == "approve"
    assert outcome["production"][bulletin]["distribution"]["items_created"] > 0
    assert stored_bulletins(settings)[0][:3] == ("Lịch tiêm chủng tháng 12", "dich_benh_y_te", "priority")


def test_produce_form_refuses_a_blank_bulletin_id(deployments: dict) -> None:
    from prefect.exceptions import ParameterTypeError

    schema = deployments["on-demand"]._parameter_openapi_schema.model_dump()
    field = schema["definitions"]["ProduceRequest"]["properties"]["bulletins"]
    assert field["items"]["pattern"] and "bantin bulletins list" in field["description"]
    with pytest.raises(ParameterTypeError):
        produce_bulletins.validate_parameters({"request": {"bulletins": ["3", "  "]}})


def test_produce_run_with_an_unknown_bulletin_names_bantin_bulletins_list(
    settings: PipelineSettings, prefect_harness: None
) -> None:
    from flows.produce import ProduceRequest

    state = produce_bulletins(ProduceRequest(bulletins=["4242"]), return_state=True)
    assert state.is_failed()
    assert "4242" in state.message and "bantin bulletins list" in state.message
