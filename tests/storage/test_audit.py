"""The audit chain on a SQLite file and on PostgreSQL: tampering with rows directly in SQL is found."""

from __future__ import annotations

import itertools
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

import storage
from storage.audit import GENESIS_HASH


def append(engine, count: int, *, bulletin_id: int | None = 7) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    with storage.session_scope(engine) as session:
        for n in range(count):
            event = storage.append_audit(
                session,
                actor=f"Người {n}",
                action="produced",
                bulletin_id=bulletin_id,
                version_id=n + 1,
                content_hash=f"{n:064x}",
                details={"lần": n, "note": "bão số 5"},
            )
            ids.append(event.id)
    return ids


def verify(engine) -> storage.AuditReport:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        return storage.verify_audit(session)


def execute(engine, sql: str, **params: object) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        connection.execute(text(sql), params)


def test_an_untouched_chain_verifies(engine) -> None:  # type: ignore[no-untyped-def]
    assert verify(engine) == storage.AuditReport(ok=True, rows=0)
    ids = append(engine, 5)
    report = verify(engine)
    assert report.ok and report.rows == 5 and report.first_broken_id is None
    assert report.last_id == ids[-1]
    with storage.session_scope(engine) as session:
        events = storage.bulletin_history(session, 7)
    assert [e.id for e in events] == ids
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(events))
    assert report.last_hash == events[-1].row_hash
    assert events[2].details == {"lần": 2, "note": "bão số 5"} and events[2].actor == "Người 2"


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "Kẻ gian"), ("action", "approved"), ("content_hash", "f" * 64), ("details", '{"lần": 99}')],
)
def test_an_edited_field_names_its_row(engine, column: str, value: str) -> None:  # type: ignore[no-untyped-def]
    ids = append(engine, 5)
    execute(engine, f"UPDATE audit_event SET {column} = :value WHERE id = :id", value=value, id=ids[2])
    report = verify(engine)
    assert not report.ok and report.first_broken_id == ids[2]
    assert "edited" in report.reason and "sửa" in report.reason_vi


def test_an_edited_time_names_its_row(engine) -> None:  # type: ignore[no-untyped-def]
    ids = append(engine, 4)
    with storage.session_scope(engine) as session:
        event = session.get(storage.AuditEvent, ids[1])
        event.at = event.at.replace(year=2020)
        session.add(event)
    assert verify(engine).first_broken_id == ids[1]


def test_a_deleted_row_is_named_by_the_row_after_it(engine) -> None:  # type: ignore[no-untyped-def]
    ids = append(engine, 5)
    execute(engine, "DELETE FROM audit_event WHERE id = :id", id=ids[1])
    report = verify(engine)
    assert not report.ok and report.first_broken_id == ids[2]
    assert "deleted" in report.reason and f"row {ids[0]}" in report.reason and "xóa" in report.reason_vi


def test_a_deleted_first_row_is_found(engine) -> None:  # type: ignore[no-untyped-def]
    ids = append(engine, 3)
    execute(engine, "DELETE FROM audit_event WHERE id = :id", id=ids[0])
    assert verify(engine).first_broken_id == ids[1]


def test_reordered_rows_are_found(engine) -> None:  # type: ignore[no-untyped-def]
    ids = append(engine, 5)
    for old, new in ((ids[1], -1), (ids[2], ids[1]), (-1, ids[2])):  # swap rows 2 and 3
        execute(engine, "UPDATE audit_event SET id = :new WHERE id = :old", new=new, old=old)
    report = verify(engine)
    assert not report.ok and report.first_broken_id == ids[1]


def test_a_rehashed_row_still_breaks_the_next_link(engine) -> None:  # type: ignore[no-untyped-def]
    """Whoever edits a row and recomputes its hash breaks the next row's prev_hash instead."""
    ids = append(engine, 4)
    with storage.session_scope(engine) as session:
        event = session.get(storage.AuditEvent, ids[1])
        event.actor = "Kẻ gian"
        event.row_hash = storage.audit.row_digest(event)
        session.add(event)
    assert verify(engine).first_broken_id == ids[2]


def test_an_unknown_action_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session, pytest.raises(ValueError, match="unknown audit action"):
        storage.append_audit(session, actor="x", action="deleted_everything")


def test_concurrent_appenders_keep_one_chain(engine) -> None:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(5):
                append(engine, 2, bulletin_id=None)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    report = verify(engine)
    assert report.ok and report.rows == 30


_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actor=_text, details=st.dictionaries(_text, _json, max_size=5))
def test_any_details_survive_the_database_and_verify(engine, actor: str, details: dict) -> None:  # type: ignore[no-untyped-def]
    """Whatever an event carries (Vietnamese, Khmer, nesting), the stored row hashes to the same value."""
    with storage.session_scope(engine) as session:
        storage.append_audit(session, actor=actor, action="produced", details=details)
    assert verify(engine).ok
