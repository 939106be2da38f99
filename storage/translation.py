"""Translation data: the memory of approved translations, units' broadcast languages, translators' languages."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from storage.errors import InvalidImport, InvalidPerson
from storage.models import (
    AdminLevel,
    AdminUnit,
    Person,
    PersonRole,
    TranslationMemoryEntry,
    TranslatorLanguage,
    UnitLanguages,
    utcnow,
)
from storage.people import common_ancestors, get_person
from storage.units import ancestor_codes, get_unit

SOURCE_LANGUAGE = "vie"
_CODE = re.compile(r"^[a-z]{3}$")


def _codes(languages: list[str]) -> list[str]:
    """ISO 639-3 codes in order, Vietnamese first and always present (Decree 49/2024: Vietnamese and local)."""
    codes = [str(code).strip().lower() for code in languages if str(code).strip()]
    bad = [code for code in codes if not _CODE.match(code)]
    if bad:
        raise InvalidImport(
            f"languages are three-letter ISO 639-3 codes such as vie, khm: got {', '.join(bad)}",
            f"ngôn ngữ là mã ISO 639-3 ba chữ cái như vie, khm: nhận được {', '.join(bad)}",
        )
    return list(dict.fromkeys([SOURCE_LANGUAGE, *codes]))


# --- broadcast languages per unit --------------------------------------------------------------


def set_unit_languages(session: Session, unit_code: str, languages: list[str], *, actor: str) -> list[str]:
    """Set the languages a unit (and the units below it that set none) broadcasts in; returns them."""
    unit = get_unit(session, unit_code.strip())
    codes = _codes(languages)
    row = session.get(UnitLanguages, unit.code) or UnitLanguages(unit_code=unit.code)
    row.languages, row.updated_by, row.updated_at = codes, actor, utcnow()
    session.add(row)
    session.flush()
    return codes


def clear_unit_languages(session: Session, unit_code: str) -> None:
    """Remove a unit's own setting: it inherits its parent's languages again."""
    unit = get_unit(session, unit_code.strip())
    row = session.get(UnitLanguages, unit.code)
    if row is not None:
        session.delete(row)
        session.flush()


def unit_languages(session: Session, unit_code: str) -> tuple[list[str], str | None]:
    """A unit's broadcast languages and the unit they are set on (None: nobody set any, Vietnamese only).

    A unit's own setting wins; a village without one uses the languages of its devices file row; any
    other unit inherits from the nearest ancestor with a setting.
    """
    for code in ancestor_codes(session, get_unit(session, unit_code.strip()).code):
        row = session.get(UnitLanguages, code)
        if row is not None:
            return list(row.languages), code
        unit = session.get(AdminUnit, code)
        if unit is not None and unit.level == AdminLevel.village and unit.languages:
            return _codes(list(unit.languages)), code
    return [SOURCE_LANGUAGE], None


def broadcast_languages(session: Session, unit_codes: list[str]) -> list[str]:
    """Every language a bulletin for ``unit_codes`` is broadcast in: the targets' and those of units below.

    Three statements however many units there are: the targets, then the units below them and the
    units above them, each with its languages and own setting; inheritance is resolved here exactly as
    ``unit_languages`` resolves it for one unit.
    """
    targets = list(dict.fromkeys(code.strip() for code in unit_codes))
    if not targets:
        return [SOURCE_LANGUAGE]
    known = set(session.exec(select(AdminUnit.code).where(col(AdminUnit.code).in_(targets))).all())
    for code in targets:
        if code not in known:
            get_unit(session, code)  # raises UnknownUnit with its bilingual message
    below = _subtree(session, targets, down=True)
    units = {**_subtree(session, targets, down=False), **below}
    resolved: dict[str, list[str]] = {}
    found = [SOURCE_LANGUAGE]
    for code in sorted(below):
        found += _resolved_languages(units, code, resolved)
    return list(dict.fromkeys(found))


# parent code, level, the unit's own languages (devices file), its broadcast-language setting if any
_UnitRow = tuple[str | None, AdminLevel, list[str] | None, list[str] | None]


def _subtree(session: Session, codes: list[str], *, down: bool) -> dict[str, _UnitRow]:
    """The units ``codes`` and every unit below them (``down``) or above them, in one recursive query."""
    walk = select(AdminUnit.code).where(col(AdminUnit.code).in_(codes)).cte("walk", recursive=True)
    if down:
        step = select(AdminUnit.code).where(AdminUnit.parent_code == walk.c.code)
    else:
        step = select(AdminUnit.parent_code).where(
            AdminUnit.code == walk.c.code, col(AdminUnit.parent_code).is_not(None)
        )
    walk = walk.union(step)  # UNION, not UNION ALL: a cycle in the tree ends the walk
    query = (
        select(
            AdminUnit.code,
            AdminUnit.parent_code,
            AdminUnit.level,
            AdminUnit.languages,
            UnitLanguages.languages,
        )
        .join(walk, walk.c.code == AdminUnit.code)
        .outerjoin(UnitLanguages, col(UnitLanguages.unit_code) == AdminUnit.code)
    )
    return {
        code: (parent, level, own, setting) for code, parent, level, own, setting in session.exec(query).all()
    }


def _resolved_languages(units: dict[str, _UnitRow], code: str, resolved: dict[str, list[str]]) -> list[str]:
    """``unit_languages(code)[0]`` from preloaded rows; ``resolved`` remembers every unit on the way."""
    chain: list[str] = []
    languages = [SOURCE_LANGUAGE]
    current: str | None = code
    while current is not None and current in units and current not in chain:
        if current in resolved:
            languages = resolved[current]
            break
        chain.append(current)
        parent, level, own, setting = units[current]
        if setting is not None:
            languages = list(setting)
            break
        if level == AdminLevel.village and own:
            languages = _codes(list(own))
            break
        current = parent
    for step in chain:
        resolved[step] = languages
    return languages


# --- translators -------------------------------------------------------------------------------


def set_translator_languages(session: Session, person_ref: int | str, languages: list[str]) -> Person:
    """Record the languages a translator works in (replacing what was set)."""
    person = get_person(session, person_ref)
    if person.role != PersonRole.translator:
        raise InvalidPerson(
            f"{person.name} (#{person.id}) is a {person.role.value}, not a translator",
            f"{person.name} (#{person.id}) có vai trò {person.role.value}, không phải người dịch",
        )
    codes = [c for c in _codes(languages) if c != SOURCE_LANGUAGE]
    session.exec(delete(TranslatorLanguage).where(col(TranslatorLanguage.person_id) == person.id))  # type: ignore[call-overload]
    for code in codes:
        session.add(TranslatorLanguage(person_id=person.id, language=code))
    session.flush()
    return person


def translator_languages(session: Session, person: Person) -> list[str]:
    """The languages a translator works in: as set, else their unit's broadcast languages (Vietnamese aside)."""
    rows = session.exec(
        select(TranslatorLanguage.language)
        .where(TranslatorLanguage.person_id == person.id)
        .order_by(col(TranslatorLanguage.language))
    ).all()
    if rows:
        return list(rows)
    return [c for c in unit_languages(session, person.unit_code)[0] if c != SOURCE_LANGUAGE]


def translators_for(session: Session, unit_codes: list[str], language: str) -> list[Person]:
    """Active translators into ``language`` whose unit is above-or-equal to every target unit, nearest first."""
    chain = common_ancestors(session, unit_codes)
    if not chain:
        return []
    people = session.exec(
        select(Person).where(
            col(Person.unit_code).in_(chain),
            col(Person.active).is_(True),
            Person.role == PersonRole.translator,
        )
    ).all()
    rank = {code: i for i, code in enumerate(chain)}
    fitting = [p for p in people if language in translator_languages(session, p)]
    return sorted(fitting, key=lambda p: (rank[p.unit_code], p.id))


def translators_by_language(session: Session) -> dict[str, list[Person]]:
    """Every active translator under each language they work in."""
    people = session.exec(
        select(Person)
        .where(col(Person.active).is_(True), Person.role == PersonRole.translator)
        .order_by(col(Person.id))
    ).all()
    out: dict[str, list[Person]] = {}
    for person in people:
        for code in translator_languages(session, person):
            out.setdefault(code, []).append(person)
    return out


# --- translation memory ------------------------------------------------------------------------


def key_hash(source_key: str) -> str:
    """sha256 hex of a memory key (the unique constraint; keys can be long)."""
    return hashlib.sha256(source_key.encode("utf-8")).hexdigest()


def remember_translation(
    session: Session,
    *,
    target_language: str,
    source_text: str,
    target_text: str,
    source_key: str,
    target_template: str,
    origin: str = "human",
    person_id: int | None = None,
    version_id: int | None = None,
) -> tuple[TranslationMemoryEntry, bool]:
    """Store an approved translation (the newer approval of the same source wins); True when it is new."""
    if not source_text.strip() or not target_text.strip() or not source_key.strip():
        raise InvalidImport(
            "a translation memory entry needs a source and a translation",
            "mục bộ nhớ dịch cần câu nguồn và bản dịch",
        )
    code = _codes([target_language])[-1]
    digest = key_hash(source_key)
    query = select(TranslationMemoryEntry).where(
        TranslationMemoryEntry.target_language == code, TranslationMemoryEntry.source_hash == digest
    )
    entry = session.exec(query).first()
    created = entry is None
    entry = entry or TranslationMemoryEntry(target_language=code, source_hash=digest)
    entry.source_text, entry.target_text = source_text, target_text
    entry.source_key, entry.target_template = source_key, target_template
    entry.origin, entry.person_id, entry.version_id = origin, person_id, version_id
    entry.updated_at = utcnow()
    session.add(entry)
    session.flush()
    return entry, created


def memory_rows(session: Session, target_language: str) -> list[tuple[int, str, str, str]]:
    """``(id, source_key, target_template, origin)`` of every entry of a language, oldest first."""
    query = (
        select(
            TranslationMemoryEntry.id,
            TranslationMemoryEntry.source_key,
            TranslationMemoryEntry.target_template,
            TranslationMemoryEntry.origin,
        )
        .where(TranslationMemoryEntry.target_language == target_language)
        .order_by(col(TranslationMemoryEntry.id))
    )
    return [tuple(row) for row in session.exec(query).all()]  # type: ignore[misc]


def memory_stamp(session: Session, target_language: str) -> tuple[int, int, str]:
    """``(count, newest id, newest update)`` of a language's memory: changes whenever the memory does."""
    query = select(
        func.count(), func.max(TranslationMemoryEntry.id), func.max(TranslationMemoryEntry.updated_at)
    ).where(TranslationMemoryEntry.target_language == target_language)
    count, newest, updated = session.exec(query).one()
    return int(count), int(newest or 0), str(updated or "")


def memory_sizes(session: Session) -> dict[str, int]:
    """How many entries the memory holds per target language."""
    query = select(TranslationMemoryEntry.target_language, func.count()).group_by(
        TranslationMemoryEntry.target_language
    )
    return {language: int(count) for language, count in session.exec(query).all()}


# --- a version's renditions per broadcast language -----------------------------------------------

LANGUAGE_KINDS = ("script", "eboard", "audio")


def missing_renditions(session: Session, version_id: int) -> dict[str, list[str]]:
    """Per broadcast language of the version's targets, the kinds (script, eboard, audio) it still lacks.

    Empty when every language is ready: the version may then go to review (review freezes it).
    """
    from storage.bulletins import renditions, target_codes
    from storage.production import get_version

    version = get_version(session, version_id)
    have = {(r.language, r.kind.value) for r in renditions(session, version_id)}
    missing: dict[str, list[str]] = {}
    for language in broadcast_languages(session, target_codes(session, version.bulletin_id)):
        lacking = [kind for kind in LANGUAGE_KINDS if (language, kind) not in have]
        if lacking:
            missing[language] = lacking
    return missing
