"""Program composer: items of known length placed in broadcast windows by Thông tư 39's three priorities.

Pure functions, no database: distribution gathers the items and windows, the composer decides when
each plays. Emergency items play at once, outside any window; priority items go ahead of normal ones;
within a priority the item that expires first plays first, then the most recently approved. Nothing
is placed outside its validity, nothing overlaps, nothing is cut at a window's end: what does not fit
moves to a later window, and what cannot be placed before it expires comes back in ``unplaced``.

An item may be a sequence of parts played back to back (a bulletin in each language a loudspeaker
broadcasts in, Decree 49/2024): it is placed as one block of their summed length, so nothing comes
between its parts and no part is cut or left for another window; ``Slot.parts`` gives each part's time.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.models import Priority

EMERGENCY = "khẩn cấp"
RANK = {Priority.emergency: 0, Priority.priority: 1, Priority.normal: 2}
_FAR = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ProgramItem:
    """Something to broadcast: its length, priority, validity and when it was approved.

    ``parts``: when it is a sequence played back to back in this order, each part's key and length
    (``duration_s`` is their sum; see ``block``); empty for a single item.
    """

    key: Hashable
    duration_s: float
    priority: Priority
    approved_at: datetime
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    parts: tuple[tuple[Hashable, float], ...] = ()

    def __post_init__(self) -> None:
        if self.parts and not math.isclose(
            sum(seconds for _, seconds in self.parts), self.duration_s, abs_tol=1e-6
        ):
            raise ValueError(f"the parts of {self.key!r} do not add up to its {self.duration_s} s")

    @classmethod
    def block(cls, key: Hashable, parts: Sequence[tuple[Hashable, float]], **fields: object) -> ProgramItem:
        """A sequence of ``parts`` ((key, seconds), in playing order) placed as one item of their summed length."""
        return cls(key=key, duration_s=sum(s for _, s in parts), parts=tuple(parts), **fields)  # type: ignore[arg-type]

    @property
    def duration(self) -> timedelta:
        return timedelta(seconds=self.duration_s)


@dataclass(frozen=True)
class WindowSpan:
    """One day's occurrence of a broadcast window, as aware datetimes."""

    name: str
    day: date
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class Busy:
    """Air time already taken (an item playing now, an emergency): nothing else is placed over it."""

    key: Hashable
    starts: datetime
    ends: datetime
    emergency: bool = False  # a new emergency queues after it instead of interrupting it


@dataclass(frozen=True)
class Part:
    """When one part of a block plays."""

    key: Hashable
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class Slot:
    """When one item plays: inside ``window`` (its name, or EMERGENCY) of ``day``."""

    item: ProgramItem
    window: str
    day: date
    starts: datetime
    ends: datetime

    @property
    def window_day(self) -> tuple[str, date]:
        """Which window occurrence the slot is in."""
        return self.window, self.day

    @property
    def parts(self) -> tuple[Part, ...]:
        """The item's parts back to back from the slot's start, in order (a single item: one part)."""
        if not self.item.parts:
            return (Part(self.item.key, self.starts, self.ends),)
        found, elapsed = [], 0.0
        for n, (key, seconds) in enumerate(self.item.parts):
            starts = self.starts + timedelta(seconds=elapsed)
            elapsed += seconds
            last = n == len(self.item.parts) - 1
            found.append(Part(key, starts, self.ends if last else self.starts + timedelta(seconds=elapsed)))
        return tuple(found)


@dataclass(frozen=True)
class Unplaced:
    """An item the composer could not place, with the reason for the editor in both languages."""

    item: ProgramItem
    reason_en: str
    reason_vi: str


@dataclass
class Program:
    """The composed schedule: slots in time order, what could not be placed, what an emergency interrupts."""

    slots: list[Slot] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    interrupted: list[Hashable] = field(default_factory=list)


def order_key(item: ProgramItem) -> tuple:
    """Priority, then the earliest expiry, then the most recent approval (then the key, for a stable order)."""
    until = item.valid_until or _FAR
    return (RANK[Priority(item.priority)], until, -item.approved_at.timestamp(), str(item.key))


def window_spans(
    windows: Iterable[tuple[str, time, time]], first_day: date, days: int, tz: ZoneInfo
) -> list[WindowSpan]:
    """Every occurrence of the daily ``windows`` (local times) on ``days`` days from ``first_day``, in time order."""
    spans = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for name, starts, ends in windows:
            spans.append(
                WindowSpan(
                    name,
                    day,
                    datetime.combine(day, starts, tzinfo=tz),
                    datetime.combine(day, ends, tzinfo=tz),
                )
            )
    return sorted(spans, key=lambda s: (s.starts, s.name))


def _overlaps(starts: datetime, ends: datetime, busy: Sequence[Busy]) -> bool:
    return any(b.starts < ends and starts < b.ends for b in busy)


def _place_emergencies(
    items: list[ProgramItem], busy: list[Busy], now: datetime, tz: ZoneInfo | None, program: Program
) -> None:
    """Emergencies at once, one after another, outside any window; a playing item they overlap is interrupted."""
    cursor = now
    for item in items:
        starts = max(cursor, item.valid_from or cursor)
        while ahead := [
            b.ends for b in busy if b.emergency and b.starts < starts + item.duration and starts < b.ends
        ]:
            starts = max(ahead)
        ends = starts + item.duration
        if item.valid_until is not None and ends > item.valid_until:
            program.unplaced.append(_expired(item, tz))
            continue
        program.interrupted += [
            b.key for b in busy if b.starts < ends and starts < b.ends and b.key not in program.interrupted
        ]
        day = starts.astimezone(tz).date() if tz else starts.date()
        program.slots.append(Slot(item, EMERGENCY, day, starts, ends))
        cursor = ends
    busy += [Busy(s.item.key, s.starts, s.ends, emergency=True) for s in program.slots]


def _fits(
    item: ProgramItem, at: datetime, span: WindowSpan, used: timedelta, cap: timedelta | None, busy
) -> bool:
    ends = at + item.duration
    return (
        (item.valid_from is None or at >= item.valid_from)
        and ends <= span.ends
        and (item.valid_until is None or ends <= item.valid_until)
        and (cap is None or used + item.duration <= cap)
        and not _overlaps(at, ends, busy)
    )


def _fill(
    span: WindowSpan, waiting: list[ProgramItem], busy: list[Busy], now: datetime, cap, program
) -> None:
    """Fill one window from its start: at each moment the first waiting item (in order) that fits plays."""
    cursor, used = max(span.starts, now), timedelta(0)
    while cursor < span.ends and waiting:
        chosen = next((i for i in waiting if _fits(i, cursor, span, used, cap, busy)), None)
        if chosen is not None:
            ends = cursor + chosen.duration
            program.slots.append(Slot(chosen, span.name, span.day, cursor, ends))
            busy.append(Busy(chosen.key, cursor, ends))  # windows never overlap, but be sure
            waiting.remove(chosen)
            cursor, used = ends, used + chosen.duration
            continue
        # Nothing fits now: only the end of taken air time or an item becoming valid can change that.
        later = [b.ends for b in busy if b.ends > cursor] + [
            i.valid_from for i in waiting if i.valid_from is not None and i.valid_from > cursor
        ]
        if not later:
            return
        cursor = min(later)


def _when(moment: datetime | None, tz: ZoneInfo | None) -> str:
    """A moment as the editor reads it: local time and date."""
    if moment is None:
        return "?"
    return moment.astimezone(tz).strftime("%H:%M %d/%m/%Y") if tz else moment.isoformat(timespec="minutes")


def _expired(item: ProgramItem, tz: ZoneInfo | None) -> Unplaced:
    until = _when(item.valid_until, tz)
    return Unplaced(
        item,
        f"no room in a broadcast window before it expires ({until}); it was not scheduled",
        f"không còn chỗ trong khung giờ phát nào trước khi hết hiệu lực ({until}); chưa được xếp lịch",
    )


def _reason(
    item: ProgramItem, spans: Sequence[WindowSpan], cap: timedelta | None, tz: ZoneInfo | None
) -> Unplaced:
    longest = max((s.ends - s.starts for s in spans), default=timedelta(0))
    room = min(longest, cap) if cap is not None else longest
    minutes = f"{room.total_seconds() / 60:g}"
    if item.duration > room:
        return Unplaced(
            item,
            f"{item.duration_s:.0f} s is longer than any program ({minutes} min): shorten it or widen the windows",
            f"dài {item.duration_s:.0f} giây, vượt mọi chương trình ({minutes} phút): hãy rút gọn hoặc mở rộng khung giờ",
        )
    if item.valid_until is not None and (not spans or item.valid_until <= spans[-1].ends):
        return _expired(item, tz)
    last = spans[-1].day.strftime("%d/%m/%Y") if spans else "?"
    if spans and item.valid_from is not None and item.valid_from >= spans[-1].ends:
        return Unplaced(
            item,
            f"valid only from {_when(item.valid_from, tz)}, after the days composed (to {last})",
            f"chỉ có hiệu lực từ {_when(item.valid_from, tz)}, sau các ngày đã xếp (đến {last})",
        )
    return Unplaced(
        item,
        f"no room in any broadcast window up to {last}: it was not scheduled",
        f"không còn chỗ trong khung giờ phát nào đến hết ngày {last}: chưa được xếp lịch",
    )


def compose(
    items: Iterable[ProgramItem],
    spans: Sequence[WindowSpan],
    *,
    now: datetime,
    busy: Iterable[Busy] = (),
    max_program_s: float | None = None,
    tz: ZoneInfo | None = None,
) -> Program:
    """Place ``items`` in ``spans`` (window occurrences in time order) from ``now`` on, around ``busy`` air time."""
    ordered = sorted(items, key=order_key)
    taken = list(busy)
    program = Program()
    _place_emergencies([i for i in ordered if i.priority == Priority.emergency], taken, now, tz, program)
    cap = timedelta(seconds=max_program_s) if max_program_s is not None else None
    waiting = [i for i in ordered if i.priority != Priority.emergency]
    for span in spans:
        if not waiting:
            break
        if span.ends > now:
            _fill(span, waiting, taken, now, cap, program)
    program.unplaced += [_reason(i, spans, cap, tz) for i in waiting]
    program.slots.sort(key=lambda s: (s.starts, order_key(s.item)))
    return program
