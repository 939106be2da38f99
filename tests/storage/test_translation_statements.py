"""Broadcast languages of a whole province in a fixed number of SQL statements, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

import storage
from storage.models import AdminLevel, AdminUnit


def _province(engine, code: str, communes: int) -> None:  # type: ignore[no-untyped-def]
    """Province ``code``: ``communes`` communes of three villages; the first commune broadcasts in Khmer,
    the last village of the last commune in Tày from its devices file, the province sets nothing."""
    with storage.session_scope(engine) as session:
        session.add(AdminUnit(code=code, name=f"Tỉnh {code}", level=AdminLevel.province))
        session.flush()
        for n in range(communes):
            session.add(
                AdminUnit(code=f"{code}-{n:03d}", name=f"Xã {n}", level=AdminLevel.commune, parent_code=code)
            )
        session.flush()
        villages = [
            {"code": f"{code}-{n:03d}-{v}", "name": f"Thôn {v}", "parent": f"{code}-{n:03d}"}
            for n in range(communes)
            for v in range(3)
        ]
        villages[-1]["languages"] = ["vie", "tyz"]
        rows = storage.parse_records(json.dumps({"villages": villages, "devices": []}), "json")
        storage.import_records(session=session, rows=rows)
        storage.set_unit_languages(session, f"{code}-000", ["khm"], actor="test")


@contextmanager
def counted(engine) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_province_wide_call_costs_the_same_few_statements_for_5_or_50_communes(engine) -> None:  # type: ignore[no-untyped-def]
    _province(engine, "P5", 5)
    _province(engine, "P50", 50)
    found = {}
    for code in ("P5", "P50"):
        with storage.session_scope(engine) as session, counted(engine) as statements:
            found[code] = (storage.broadcast_languages(session, [code]), len(statements))
    assert found["P5"][0] == found["P50"][0] == ["vie", "khm", "tyz"]
    # 50 communes and 150 villages are 180 units more than the small province: not one statement more.
    assert found["P50"][1] == found["P5"][1] <= 5, found
    with storage.session_scope(engine) as session:
        storage.set_unit_languages(session, "P50", ["cja"], actor="test")
    with storage.session_scope(engine) as session, counted(engine) as statements:
        # The province's setting reaches its communes; villages keep the languages of their devices file.
        assert storage.broadcast_languages(session, ["P50-007", " P50-049 "]) == ["vie", "cja", "tyz"]
        assert storage.broadcast_languages(session, ["P50-000-2"]) == ["vie"]
        assert len(statements) <= 10
        try:
            storage.broadcast_languages(session, ["P50-001", "NOPE"])
        except storage.UnknownUnit as err:
            assert "NOPE" in err.message_en and "NOPE" in err.message_vi
        else:
            raise AssertionError("an unknown target unit must be refused")
