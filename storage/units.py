"""Administrative units: import provinces and communes, add villages, walk the hierarchy."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlmodel import Session, select

from storage.errors import UnknownUnit
from storage.models import AdminLevel, AdminUnit

_PREFIXES = ("thanh pho ", "tinh ")


@dataclass(frozen=True)
class UnitImport:
    """What an import of one province did."""

    province_code: str
    province_name: str
    added: int
    updated: int
    communes: int


def fold(name: str) -> str:
    """Lower-case, without diacritics or administrative prefixes, for matching names."""
    text = unicodedata.normalize("NFD", name.strip().lower()).replace("đ", "d")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = " ".join(text.replace("-", " ").split())
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def find_province(query: str):  # type: ignore[no-untyped-def]
    """The ``vietnam_provinces`` province matching a name or GSO code."""
    from vietnam_provinces import Province

    provinces = list(Province.iter_all())
    wanted = fold(query)
    for province in provinces:
        if fold(province.name) == wanted or f"{province.code.value:02d}" == query.strip().zfill(2):
            return province
    close = [p.name for p in provinces if wanted and wanted in fold(p.name)] or [p.name for p in provinces]
    raise UnknownUnit(
        f"unknown province {query!r}; known provinces include: {', '.join(close[:12])}",
        f"không tìm thấy tỉnh/thành phố {query!r}; có thể là: {', '.join(close[:12])}",
    )


def _upsert(session: Session, unit: AdminUnit) -> bool:
    """Insert or update a unit; True when it was new."""
    existing = session.get(AdminUnit, unit.code)
    if existing is None:
        session.add(unit)
        return True
    existing.name, existing.level = unit.name, unit.level
    existing.division_type, existing.parent_code = unit.division_type, unit.parent_code
    session.add(existing)
    return False


def import_province(*, session: Session, province: str) -> UnitImport:
    """Import a province and all its communes and wards from ``vietnam-provinces`` (idempotent)."""
    from vietnam_provinces import Ward

    found = find_province(province)
    code = f"{found.code.value:02d}"
    new = [
        _upsert(
            session,
            AdminUnit(
                code=code, name=found.name, level=AdminLevel.province, division_type=found.division_type.value
            ),
        )
    ]
    session.flush()
    for ward in Ward.iter_by_province(found.code):
        unit = AdminUnit(
            code=f"{ward.code.value:05d}",
            name=ward.name,
            level=AdminLevel.commune,
            division_type=ward.division_type.value,
            parent_code=code,
        )
        new.append(_upsert(session, unit))
    session.flush()
    added = sum(new)
    return UnitImport(code, found.name, added, len(new) - added, len(new) - 1)


def get_unit(session: Session, code: str) -> AdminUnit:
    """The unit with ``code`` or UnknownUnit."""
    unit = session.get(AdminUnit, code)
    if unit is None:
        raise UnknownUnit(
            f"unknown administrative unit code {code!r}; import the province first "
            "(bantin units import --province NAME) or check the code",
            f"không có đơn vị hành chính mã {code!r}; hãy nhập tỉnh trước "
            "(bantin units import --province TÊN) hoặc kiểm tra lại mã",
        )
    return unit


def find_units(session: Session, name: str, *, limit: int = 20) -> list[AdminUnit]:
    """Units whose folded name contains the folded query."""
    wanted = fold(name)
    units = session.exec(select(AdminUnit)).all()
    return [u for u in units if wanted in fold(u.name)][:limit]


def descendant_codes(session: Session, codes: list[str]) -> set[str]:
    """The given units and every unit below them (an upper level sees everything below it)."""
    found = set(codes)
    frontier = list(codes)
    while frontier:
        children = session.exec(select(AdminUnit.code).where(AdminUnit.parent_code.in_(frontier))).all()
        frontier = [c for c in children if c not in found]
        found.update(frontier)
    return found


def ancestor_codes(session: Session, code: str) -> list[str]:
    """The unit and its ancestors, nearest first."""
    chain: list[str] = []
    unit = session.get(AdminUnit, code)
    while unit is not None and unit.code not in chain:
        chain.append(unit.code)
        unit = session.get(AdminUnit, unit.parent_code) if unit.parent_code else None
    return chain
