"""Translation data on SQLite and PostgreSQL: unit languages with inheritance, translators, the memory."""

from __future__ import annotations

import json

import pytest

import storage

VILLAGES = {
    "villages": [
        {"code": "44-18904-01", "name": "Bản Ra Mai", "parent": "18904", "languages": ["vie", "khm"]},
        {"code": "44-18904-02", "name": "Thôn Bãi Dinh", "parent": "18904", "languages": ["vie"]},
    ],
    "devices": [],
}


@pytest.fixture
def session(engine):  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        storage.import_records(session=session, rows=storage.parse_records(json.dumps(VILLAGES), "json"))
    with storage.session_scope(engine) as session:
        yield session


def test_units_inherit_broadcast_languages_from_the_nearest_setting(session) -> None:  # type: ignore[no-untyped-def]
    assert storage.unit_languages(session, "18922") == (["vie"], None)
    storage.set_unit_languages(session, "44", ["khm"], actor="test")
    assert storage.unit_languages(session, "18922") == (["vie", "khm"], "44")
    storage.set_unit_languages(session, "18922", ["vie", "tyz", "tyz"], actor="test")
    assert storage.unit_languages(session, "18922") == (["vie", "tyz"], "18922")
    storage.clear_unit_languages(session, "18922")
    assert storage.unit_languages(session, "18922") == (["vie", "khm"], "44")


def test_villages_keep_the_languages_of_the_devices_file(session) -> None:  # type: ignore[no-untyped-def]
    assert storage.unit_languages(session, "44-18904-01") == (["vie", "khm"], "44-18904-01")
    assert storage.broadcast_languages(session, ["18904"]) == ["vie", "khm"]
    assert storage.broadcast_languages(session, ["18922"]) == ["vie"]


def test_bad_language_codes_are_refused_and_nothing_is_set(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(storage.InvalidImport) as err:
        storage.set_unit_languages(session, "18922", ["khmer"], actor="test")
    assert "ISO 639-3" in err.value.message_en and "mã" in err.value.message_vi
    assert storage.unit_languages(session, "18922") == (["vie"], None)


def test_translators_follow_the_units_and_their_languages(session) -> None:  # type: ignore[no-untyped-def]
    storage.set_unit_languages(session, "18904", ["khm"], actor="test")
    commune, _ = storage.add_person(
        session, name="Thạch Sô Phên", unit_code="18904", role="translator", secret_key=b"k"
    )
    province, _ = storage.add_person(
        session, name="Lâm Thị Mỹ", unit_code="44", role="translator", secret_key=b"k"
    )
    storage.set_translator_languages(session, province.id, ["khm", "tyz"])
    assert storage.translator_languages(session, commune) == ["khm"]  # from the unit's languages
    assert [p.id for p in storage.translators_for(session, ["44-18904-01"], "khm")] == [
        commune.id,
        province.id,
    ]
    assert [p.id for p in storage.translators_for(session, ["18904", "18922"], "khm")] == [province.id]
    assert storage.translators_for(session, ["18922"], "hnj") == []
    assert {k: [p.id for p in v] for k, v in storage.translators_by_language(session).items()} == {
        "khm": [commune.id, province.id], "tyz": [province.id]
    }  # fmt: skip
    reviewer, _ = storage.add_person(
        session, name="Người Duyệt", unit_code="44", role="reviewer", secret_key=b"k" * 32
    )
    with pytest.raises(storage.InvalidPerson):
        storage.set_translator_languages(session, reviewer.id, ["khm"])


def test_memory_keeps_one_entry_per_source_the_newer_approval_winning(session) -> None:  # type: ignore[no-untyped-def]
    fields = {"target_language": "khm", "source_text": "Thưa bà con!", "source_key": "thưa bà con"}
    assert storage.memory_stamp(session, "khm") == (0, 0, "")
    first, created = storage.remember_translation(
        session, target_text="ជម្រាប!", target_template="ជម្រាប!", **fields
    )
    again, created_again = storage.remember_translation(
        session, target_text="ជម្រាបបងប្អូន!", target_template="ជម្រាបបងប្អូន!", **fields
    )
    assert created and not created_again and first.id == again.id
    stamp = storage.memory_stamp(session, "khm")
    assert stamp[:2] == (1, first.id)
    storage.remember_translation(session, target_text="ជម្រាបបងប្អូនទាំងអស់!", target_template="x", **fields)
    assert storage.memory_stamp(session, "khm") != stamp  # a replaced translation invalidates cached indexes
    storage.remember_translation(
        session, target_text="x", target_template="x", **(fields | {"target_language": "tyz"})
    )
    assert storage.memory_rows(session, "khm") == [(first.id, "thưa bà con", "x", "human")]
    assert storage.memory_sizes(session) == {"khm": 1, "tyz": 1}
    with pytest.raises(storage.InvalidImport):
        storage.remember_translation(session, target_text=" ", target_template=" ", **fields)
