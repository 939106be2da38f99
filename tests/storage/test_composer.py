"""The program composer: Thông tư 39's three priorities in broadcast windows, by example and by property."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.composer import EMERGENCY, Busy, ProgramItem, compose, order_key, window_spans
from storage.models import Priority

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 12, 3)
WINDOWS = [("sáng", time(6, 0), time(6, 30)), ("chiều", time(17, 0), time(17, 30))]
MIDNIGHT = datetime.combine(DAY, time(0, 0), tzinfo=TZ)


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return MIDNIGHT + timedelta(days=day, hours=hour, minutes=minute)


def item(key: str, seconds: float, priority: str = "normal", **kwargs) -> ProgramItem:  # type: ignore[no-untyped-def]
    kwargs.setdefault("approved_at", at(0))
    return ProgramItem(key=key, duration_s=seconds, priority=Priority(priority), **kwargs)


def spans(days: int = 2):  # type: ignore[no-untyped-def]
    return window_spans(WINDOWS, DAY, days, TZ)


def schedule(program) -> list[tuple[str, str, datetime]]:  # type: ignore[no-untyped-def]
    return [(s.item.key, s.window, s.starts) for s in program.slots]


def test_items_play_one_after_another_from_the_window_start():
    program = compose([item("a", 120), item("b", 60, approved_at=at(1))], spans(), now=at(5))

    assert schedule(program) == [("b", "sáng", at(6)), ("a", "sáng", at(6, 1))]
    assert program.unplaced == []


def test_priority_item_plays_ahead_of_normal_ones_approved_later():
    normal = item("thông báo", 300, approved_at=at(4))
    urgent = item("bão", 300, "priority", approved_at=at(0))

    program = compose([normal, urgent], spans(), now=at(5))

    assert schedule(program) == [("bão", "sáng", at(6)), ("thông báo", "sáng", at(6, 5))]


def test_earliest_expiry_then_most_recent_approval_first():
    late = item("late", 60, valid_until=at(20), approved_at=at(3))
    soon = item("soon", 60, valid_until=at(18), approved_at=at(1))
    newer = item("newer", 60, valid_until=at(20), approved_at=at(4))

    program = compose([late, soon, newer], spans(), now=at(5))

    assert [key for key, _, _ in schedule(program)] == ["soon", "newer", "late"]


def test_item_that_does_not_fit_moves_to_the_next_window_and_is_never_cut():
    program = compose([item("a", 20 * 60), item("b", 15 * 60, approved_at=at(1))], spans(), now=at(5))

    # b (newer) fills 06:00-06:15; a (20 min) would end 06:35, after the window: it plays at 17:00.
    assert schedule(program) == [("b", "sáng", at(6)), ("a", "chiều", at(17))]


def test_emergency_plays_at_once_outside_windows_and_interrupts_what_plays():
    playing = Busy("đang phát", at(6, 10) - timedelta(seconds=30), at(6, 10) + timedelta(seconds=90))
    normal = item("normal", 60)

    program = compose([normal, item("lũ", 45, "emergency")], spans(), now=at(6, 10), busy=[playing])

    [emergency] = [s for s in program.slots if s.window == EMERGENCY]
    assert emergency.starts == at(6, 10) and emergency.item.key == "lũ"
    assert program.interrupted == ["đang phát"]
    # the normal item waits for the emergency and the item already on air
    [rest] = [s for s in program.slots if s.item.key == "normal"]
    assert rest.starts == playing.ends


def test_emergency_also_plays_at_night_outside_any_window():
    program = compose([item("cháy rừng", 90, "emergency")], spans(), now=at(23, 40))

    [slot] = program.slots
    assert (slot.window, slot.starts, slot.ends) == (
        EMERGENCY,
        at(23, 40),
        at(23, 40) + timedelta(seconds=90),
    )


def test_item_that_expires_before_any_slot_is_reported_not_scheduled():
    stale = item("họp thôn", 60, valid_until=at(12))

    program = compose([stale], spans(), now=at(7))

    assert program.slots == []
    [report] = program.unplaced
    assert (
        report.item.key == "họp thôn" and "expires" in report.reason_en and "hết hiệu lực" in report.reason_vi
    )


def test_item_longer_than_any_program_is_reported_with_what_to_do():
    program = compose([item("dài", 45 * 60)], spans(), now=at(5))

    [report] = program.unplaced
    assert "longer than any program" in report.reason_en and "rút gọn" in report.reason_vi


def test_maximum_program_length_moves_the_rest_to_the_next_window():
    items = [item(f"i{n}", 4 * 60, approved_at=at(0, n)) for n in range(4)]

    program = compose(items, spans(), now=at(5), max_program_s=10 * 60)

    windows = [(key, window) for key, window, _ in schedule(program)]
    assert windows == [("i3", "sáng"), ("i2", "sáng"), ("i1", "chiều"), ("i0", "chiều")]


def test_item_not_yet_valid_waits_for_its_validity():
    program = compose([item("mai", 60, valid_from=at(10))], spans(), now=at(5))

    assert schedule(program) == [("mai", "chiều", at(17))]


def block(key: str, parts: list[tuple[str, float]], priority: str = "normal", **kwargs) -> ProgramItem:  # type: ignore[no-untyped-def]
    kwargs.setdefault("approved_at", at(0))
    return ProgramItem.block(key, parts, priority=Priority(priority), **kwargs)


def test_a_sequence_of_languages_plays_back_to_back_in_its_order():
    program = compose(
        [block("lúa", [("khm", 75), ("vie", 60)], approved_at=at(1)), item("họp", 45)], spans(), now=at(5)
    )

    [sequence, other] = program.slots
    assert [(p.key, p.starts, p.ends) for p in sequence.parts] == [
        ("khm", at(6), at(6, 1) + timedelta(seconds=15)),
        ("vie", at(6, 1) + timedelta(seconds=15), at(6, 2) + timedelta(seconds=15)),
    ]
    assert other.starts == sequence.ends  # nothing between the languages


def test_a_sequence_that_does_not_fit_moves_whole_to_the_next_window():
    program = compose(
        [item("rét", 20 * 60, "priority"), block("lúa", [("khm", 6 * 60), ("vie", 6 * 60)])],
        spans(),
        now=at(5),
    )

    [sequence] = [s for s in program.slots if s.item.key == "lúa"]
    assert (sequence.window, sequence.starts) == ("chiều", at(17))  # Khmer alone would fit at 06:20
    assert [p.starts for p in sequence.parts] == [at(17), at(17, 6)]


def test_an_emergency_sequence_plays_at_once_one_language_after_the_other():
    program = compose([block("lũ", [("khm", 40), ("vie", 30)], "emergency")], spans(), now=at(23, 10))

    [slot] = program.slots
    assert slot.window == EMERGENCY
    assert [(p.key, p.starts) for p in slot.parts] == [
        ("khm", at(23, 10)),
        ("vie", at(23, 10) + timedelta(seconds=40)),
    ]


# --- properties -------------------------------------------------------------------------------------


@st.composite
def windows(draw):  # type: ignore[no-untyped-def]
    """1-3 non-overlapping daily windows, each at least 5 minutes long."""
    count = draw(st.integers(1, 3))
    bounds = sorted(draw(st.sets(st.integers(0, 1439 // 5), min_size=2 * count, max_size=2 * count)))
    result = []
    for n in range(count):
        starts, ends = bounds[2 * n] * 5, bounds[2 * n + 1] * 5
        result.append((f"w{n}", time(starts // 60, starts % 60), time(ends // 60, ends % 60)))
    return result


@st.composite
def scenarios(draw):  # type: ignore[no-untyped-def]
    now = MIDNIGHT + timedelta(minutes=draw(st.integers(0, 2 * 1440)))
    items = []
    for n in range(draw(st.integers(0, 20))):
        valid_from = draw(st.none() | st.integers(-120, 3 * 1440).map(lambda m: now + timedelta(minutes=m)))
        offset = draw(st.none() | st.integers(-60, 3 * 1440))
        valid_until = None if offset is None else (valid_from or now) + timedelta(minutes=offset)
        if valid_until is not None and valid_from is not None and valid_until <= valid_from:
            valid_until = valid_from + timedelta(minutes=1)
        fields = {
            "priority": draw(st.sampled_from(list(Priority))),
            "approved_at": now - timedelta(seconds=draw(st.integers(0, 86_400))),
            "valid_from": valid_from,
            "valid_until": valid_until,
        }
        languages = draw(st.lists(st.sampled_from(["khm", "vie", "cmo", "hre"]), max_size=3, unique=True))
        if len(languages) > 1:  # a loudspeaker's sequence of languages, one block
            seconds = st.integers(5, 15 * 60) | st.floats(5, 15 * 60, allow_nan=False)
            parts = [(language, draw(seconds)) for language in languages]
            items.append(ProgramItem.block(f"k{n}", parts, **fields))
        else:
            items.append(ProgramItem(key=f"k{n}", duration_s=draw(st.integers(5, 40 * 60)), **fields))
    busy = [
        Busy(
            f"b{n}",
            now - timedelta(seconds=draw(st.integers(0, 600))),
            now + timedelta(seconds=draw(st.integers(1, 1800))),
        )
        for n in range(draw(st.integers(0, 1)))
    ]
    cap = draw(st.none() | st.integers(60, 3600))
    return draw(windows()), now, items, busy, cap


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_composer_invariants(scenario):  # type: ignore[no-untyped-def]
    daily, now, items, busy, cap = scenario
    occurrences = window_spans(daily, DAY, 5, TZ)
    program = compose(items, occurrences, now=now, busy=busy, max_program_s=cap, tz=TZ)
    slots = program.slots

    # everything placed or reported, exactly once
    keys = [s.item.key for s in slots] + [u.item.key for u in program.unplaced]
    assert sorted(keys) == sorted(i.key for i in items)
    # no overlap, nothing before now, nothing outside its validity, length kept
    ordered = sorted(slots, key=lambda s: s.starts)
    for first, second in pairwise(ordered):
        assert first.ends <= second.starts
    for slot in slots:
        assert slot.starts >= now and slot.ends - slot.starts == slot.item.duration
        assert slot.item.valid_from is None or slot.starts >= slot.item.valid_from
        assert slot.item.valid_until is None or slot.ends <= slot.item.valid_until
    # emergencies: on air at once (one after another), everything else inside a window, never cut
    emergencies = [s for s in ordered if s.item.priority == Priority.emergency]
    for slot in emergencies:
        assert slot.window == EMERGENCY
    taken = [*busy, *(Busy(s.item.key, s.starts, s.ends) for s in emergencies)]
    for slot in slots:
        if slot.item.priority == Priority.emergency:
            continue
        [span] = [w for w in occurrences if (w.name, w.day) == (slot.window, slot.day)]
        assert span.starts <= slot.starts and slot.ends <= span.ends
        assert not any(b.starts < slot.ends and slot.starts < b.ends for b in busy)
    # the program cap holds in every window
    if cap is not None:
        for span in occurrences:
            inside = [s for s in slots if (s.window, s.day) == (span.name, span.day)]
            assert sum(s.item.duration_s for s in inside) <= cap
    # priority order inside a window: a more urgent item after a less urgent one was not yet valid,
    # or would have run into air time already taken (an emergency, an item on air)
    for a in slots:
        for b in slots:
            if a.window == EMERGENCY or (a.window, a.day) != (b.window, b.day) or not a.starts < b.starts:
                continue
            if order_key(b.item) < order_key(a.item):
                blocked = any(t.starts < a.starts + b.item.duration and a.starts < t.ends for t in taken)
                assert (b.item.valid_from is not None and b.item.valid_from > a.starts) or blocked
    # a sequence's parts: back to back from the slot's start to its end, in order, each its own length
    for slot in slots:
        parts = slot.parts
        assert parts[0].starts == slot.starts and parts[-1].ends == slot.ends
        for first, second in pairwise(parts):
            assert first.ends == second.starts
        if slot.item.parts:
            assert [p.key for p in parts] == [key for key, _ in slot.item.parts]
            for part, (_, seconds) in zip(parts, slot.item.parts, strict=True):
                assert abs((part.ends - part.starts).total_seconds() - seconds) < 1e-5
    # an emergency is never left out unless it expired
    for report in program.unplaced:
        if report.item.priority == Priority.emergency:
            assert report.item.valid_until is not None


@settings(max_examples=100, deadline=None)
@given(windows(), st.integers(5, 600), st.integers(0, 1439))
def test_a_lone_item_that_fits_a_window_is_always_placed(daily, seconds, minute):  # type: ignore[no-untyped-def]
    now = MIDNIGHT + timedelta(minutes=minute)
    longest = max((datetime.combine(DAY, e) - datetime.combine(DAY, s)) for _, s, e in daily)
    program = compose([item("x", seconds)], window_spans(daily, DAY, 2, TZ), now=now)

    placed = bool(program.slots)
    assert placed == (timedelta(seconds=seconds) <= longest)
