"""Broadcast windows and program limits per unit, inherited from the parent unless the unit sets its own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from itertools import pairwise

from sqlmodel import Session, col, delete, select

from storage.errors import StorageError
from storage.models import AdminUnit, BroadcastSetting, BroadcastWindow, utcnow
from storage.units import get_unit

END_OF_DAY = time.max  # "24:00": a window may run to midnight, not past it
_WINDOW = re.compile(r"^\s*(\d{1,2})[:h](\d{2})\s*[-–]\s*(\d{1,2})[:h](\d{2})\s*$")
_LANGUAGE = re.compile(r"^[a-z]{3}$")


class InvalidWindow(StorageError):
    """A broadcast window or program setting that cannot be used; nothing was stored."""

    code = "invalid_window"


@dataclass(frozen=True)
class UnitBroadcast:
    """A unit's windows and program limits, and the unit each is set on (None: the defaults / not set)."""

    unit_code: str
    windows: list[tuple[str, time, time]]
    windows_from: str | None
    max_program_minutes: int | None
    max_from: str | None
    language_order: list[str]
    languages_from: str | None

    @property
    def own(self) -> bool:
        """True when the unit sets anything itself."""
        return self.unit_code in (self.windows_from, self.max_from, self.languages_from)


def clock(moment: time) -> str:
    """HH:MM, with the end of the day as 24:00."""
    return "24:00" if moment == END_OF_DAY else moment.strftime("%H:%M")


def _bad(text: str, en: str, vi: str) -> InvalidWindow:
    return InvalidWindow(f"window {text!r}: {en}", f"khung giờ {text!r}: {vi}")


def parse_window(text: str) -> tuple[time, time]:
    """``06:00-06:30`` as two local times; a window lies within one day (it may end at 24:00)."""
    match = _WINDOW.match(text)
    if match is None:
        raise _bad(
            text,
            "write it as HH:MM-HH:MM, e.g. 06:00-06:30",
            "hãy viết theo dạng GG:PP-GG:PP, ví dụ 06:00-06:30",
        )
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if m1 > 59 or m2 > 59:
        raise _bad(text, "minutes run from 00 to 59", "phút chỉ từ 00 đến 59")
    if h1 > 23 or h2 > 24 or (h2 == 24 and m2):
        raise _bad(
            text,
            "a window lies within one day (00:00 to 24:00); it cannot be longer than a day",
            "khung giờ phải nằm trong một ngày (00:00 đến 24:00), không dài quá một ngày",
        )
    starts, ends = time(h1, m1), END_OF_DAY if h2 == 24 else time(h2, m2)
    if ends == starts:
        raise _bad(text, "it starts and ends at the same time", "giờ bắt đầu trùng giờ kết thúc")
    if ends < starts:
        raise _bad(
            text,
            f"it crosses midnight, which is not supported: set two windows, {clock(starts)}-24:00 and "
            f"00:00-{clock(ends)}",
            f"khung giờ qua nửa đêm chưa được hỗ trợ: hãy đặt hai khung {clock(starts)}-24:00 và 00:00-{clock(ends)}",
        )
    return starts, ends


def _period(moment: time) -> str:
    return (
        "sáng" if moment.hour < 11 else "trưa" if moment.hour < 13 else "chiều" if moment.hour < 18 else "tối"
    )


def name_windows(spans: list[tuple[time, time]]) -> list[tuple[str, time, time]]:
    """Names by time of day (sáng, trưa, chiều, tối); two in one period are told apart by their start."""
    periods = [_period(s) for s, _ in spans]
    return [
        (p if periods.count(p) == 1 else f"{p} {clock(s)}", s, e)
        for p, (s, e) in zip(periods, spans, strict=True)
    ]


def parse_windows(texts: list[str]) -> list[tuple[str, time, time]]:
    """Named windows in time order; overlapping ones are refused."""
    spans = sorted(((*parse_window(t), t) for t in texts), key=lambda s: (s[0], s[1]))
    for (_, ends, first), (starts, _, second) in pairwise(spans):
        if starts < ends:
            raise InvalidWindow(
                f"windows {first!r} and {second!r} overlap: a loudspeaker plays one program at a time",
                f"khung giờ {first!r} và {second!r} chồng lên nhau: mỗi lúc loa chỉ phát một chương trình",
            )
    return name_windows([(s, e) for s, e, _ in spans])


def _max_minutes(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 1440:
        raise InvalidWindow(
            f"maximum program length {value} min: give 1 to 1440 minutes",
            f"độ dài tối đa chương trình {value} phút: hãy nhập từ 1 đến 1440 phút",
        )
    return value


def _languages(codes: list[str] | None) -> list[str] | None:
    if codes is None:
        return None
    cleaned = [c.strip().lower() for c in codes if c.strip()]
    bad = [c for c in cleaned if not _LANGUAGE.match(c)]
    if bad or not cleaned or len(set(cleaned)) != len(cleaned):
        raise InvalidWindow(
            f"language order {','.join(codes)!r}: give distinct ISO 639-3 codes such as vie,khm",
            f"thứ tự ngôn ngữ {','.join(codes)!r}: hãy nhập các mã ISO 639-3 khác nhau như vie,khm",
        )
    return cleaned


def set_unit_broadcast(
    session: Session,
    unit_code: str,
    windows: list[str],
    *,
    max_minutes: int | None = None,
    languages: list[str] | None = None,
    actor: str = "system",
) -> UnitBroadcast:
    """Set a unit's own windows (replacing them) and/or its program limits; everything is checked first."""
    unit = get_unit(session, unit_code.strip())
    named = parse_windows(windows) if windows else None
    max_minutes, order = _max_minutes(max_minutes), _languages(languages)
    if named is None and max_minutes is None and order is None:
        raise InvalidWindow(
            "nothing to set: give windows such as 06:00-06:30, --max-minutes or --languages",
            "không có gì để đặt: hãy nhập khung giờ như 06:00-06:30, --max-minutes hoặc --languages",
        )
    if named is not None:
        session.exec(delete(BroadcastWindow).where(BroadcastWindow.unit_code == unit.code))  # type: ignore[call-overload]
        for name, starts, ends in named:
            session.add(BroadcastWindow(unit_code=unit.code, name=name, starts=starts, ends=ends))
    if max_minutes is not None or order is not None:
        row = session.get(BroadcastSetting, unit.code) or BroadcastSetting(unit_code=unit.code)
        if max_minutes is not None:
            row.max_program_minutes = max_minutes
        if order is not None:
            row.language_order = order
        row.updated_by, row.updated_at = actor, utcnow()
        session.add(row)
    session.flush()
    return unit_broadcast(session, unit.code)


def clear_unit_broadcast(session: Session, unit_code: str) -> UnitBroadcast:
    """Remove a unit's own windows and limits: it inherits its parent's again."""
    unit = get_unit(session, unit_code.strip())
    session.exec(delete(BroadcastWindow).where(BroadcastWindow.unit_code == unit.code))  # type: ignore[call-overload]
    row = session.get(BroadcastSetting, unit.code)
    if row is not None:
        session.delete(row)
    session.flush()
    return unit_broadcast(session, unit.code)


def default_windows(session: Session) -> list[tuple[str, time, time]]:
    """The windows of every unit that neither sets its own nor has an ancestor that does."""
    from storage.playback import ensure_default_windows

    ensure_default_windows(session)
    rows = session.exec(select(BroadcastWindow).where(BroadcastWindow.unit_code.is_(None))).all()  # type: ignore[union-attr]
    return sorted(((w.name, w.starts, w.ends) for w in rows), key=lambda w: w[1])


def unit_broadcast(session: Session, unit_code: str) -> UnitBroadcast:
    """The windows and limits a unit uses: its own, else the nearest ancestor's, else the defaults."""
    code = get_unit(session, unit_code.strip()).code
    return unit_broadcasts(session, [code])[code]


def _chains(session: Session, codes: list[str]) -> dict[str, list[str]]:
    """Each unit and its ancestors, nearest first, walking the tree one level per query."""
    parent: dict[str, str | None] = {}
    frontier = set(codes)
    while frontier:
        found = session.exec(
            select(AdminUnit.code, AdminUnit.parent_code).where(col(AdminUnit.code).in_(sorted(frontier)))
        ).all()
        parent.update(found)
        frontier = {p for _, p in found if p and p not in parent}
    chains = {}
    for code in codes:
        chain, at = [], code
        while at is not None and at in parent and at not in chain:
            chain.append(at)
            at = parent[at]
        chains[code] = chain
    return chains


def unit_broadcasts(session: Session, unit_codes: list[str]) -> dict[str, UnitBroadcast]:
    """``unit_broadcast`` of many units at once (distribution to a province's devices), in a few queries."""
    from storage.playback import ensure_default_windows

    ensure_default_windows(session)
    windows: dict[str | None, list[tuple[str, time, time]]] = {}
    for w in session.exec(select(BroadcastWindow)).all():
        windows.setdefault(w.unit_code, []).append((w.name, w.starts, w.ends))
    settings = {row.unit_code: row for row in session.exec(select(BroadcastSetting)).all()}
    found = {}
    for code, chain in _chains(session, sorted(set(unit_codes))).items():
        windows_from = next((c for c in chain if c in windows), None)
        with_max = next(
            (settings[c] for c in chain if c in settings and settings[c].max_program_minutes), None
        )
        with_order = next((settings[c] for c in chain if c in settings and settings[c].language_order), None)
        found[code] = UnitBroadcast(
            unit_code=code,
            windows=sorted(windows.get(windows_from, []), key=lambda w: w[1]),
            windows_from=windows_from,
            max_program_minutes=with_max.max_program_minutes if with_max else None,
            max_from=with_max.unit_code if with_max else None,
            language_order=list(with_order.language_order) if with_order else [],
            languages_from=with_order.unit_code if with_order else None,
        )
    return found


def units_with_own_broadcast(session: Session) -> list[str]:
    """Codes of the units that set their own windows or limits."""
    codes = set(
        session.exec(select(BroadcastWindow.unit_code).where(BroadcastWindow.unit_code.is_not(None))).all()
    )  # type: ignore[union-attr]
    codes |= set(session.exec(select(BroadcastSetting.unit_code)).all())
    return sorted(c for c in codes if c)
