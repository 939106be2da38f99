"""Reach metrics in SQL against hand-computed figures, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

import storage
from storage.metrics import (
    InvalidPeriod,
    annual_period,
    day_period,
    last_ended_year,
    monthly_period,
    reach_metrics,
)
from storage.models import (
    AdminLevel,
    AdminUnit,
    Bulletin,
    BulletinTarget,
    BulletinVersion,
    CitizenFeedback,
    Device,
    DeviceKind,
    Heartbeat,
    PlaybackConfirmation,
    PlaybackStatus,
    PlaylistItem,
    Priority,
    Rendition,
    RenditionKind,
    Review,
    ReviewDecision,
)

APPROVED = datetime(2026, 11, 10, 22, 0, tzinfo=UTC)
MORNING = (
    datetime(2026, 11, 10, 23, 0, tzinfo=UTC),
    datetime(2026, 11, 10, 23, 45, tzinfo=UTC),
)  # 06:00 local
EVENING = (
    datetime(2026, 11, 11, 10, 0, tzinfo=UTC),
    datetime(2026, 11, 11, 10, 45, tzinfo=UTC),
)  # 17:00 local
DAY = date(2026, 11, 11)
NOW = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def at(hour: int, minute: int, day: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _bulletin(session, title: str, priority: Priority, targets: list[str], languages: list[str]):  # type: ignore[no-untyped-def]
    bulletin = Bulletin(title=title, priority=priority, source_unit_code="P1", category="thien_tai")
    session.add(bulletin)
    session.flush()
    version = BulletinVersion(bulletin_id=bulletin.id, number=1, body=title, content_hash=uuid.uuid4().hex)
    session.add(version)
    session.flush()
    for code in targets:
        session.add(BulletinTarget(bulletin_id=bulletin.id, unit_code=code))
    renditions = {}
    for language in languages:
        audio = Rendition(
            version_id=version.id,
            language=language,
            kind=RenditionKind.audio,
            audio_key="a",
            duration_s=100.0,
        )
        session.add(audio)
        renditions[language] = audio
    board = Rendition(version_id=version.id, language="vie", kind=RenditionKind.eboard, text=title)
    session.add(board)
    session.add(
        Review(version_id=version.id, reviewer="x", decision=ReviewDecision.approve, created_at=APPROVED)
    )
    session.flush()
    renditions["board"] = board
    return bulletin, version, renditions


def _item(session, device: str, bulletin, version, rendition, window, delivered: bool, language: str = "vie"):  # type: ignore[no-untyped-def]
    item = PlaylistItem(
        device_id=device,
        bulletin_id=bulletin.id,
        version_id=version.id,
        rendition_id=rendition.id,
        language=language,
        priority=bulletin.priority,
        broadcast_date=DAY,
        window_name="sáng" if window is MORNING else "chiều",
        starts_at=window[0],
        ends_at=window[1],
        delivered_at=window[0] - timedelta(minutes=30) if delivered else None,
    )
    session.add(item)
    session.flush()
    return item


def _confirm(
    session, item, status: PlaybackStatus, occurred: datetime, received: datetime | None = None, duration=None
):  # type: ignore[no-untyped-def]
    session.add(
        PlaybackConfirmation(
            event_id=uuid.uuid4(),
            device_id=item.device_id,
            playlist_item_id=item.id,
            status=status,
            occurred_at=occurred,
            received_at=received or occurred + timedelta(seconds=30),
            duration_s=duration,
        )
    )


@pytest.fixture
def reach_world(engine):  # type: ignore[no-untyped-def]
    return build_reach_world(engine)


def build_reach_world(engine) -> dict:  # type: ignore[no-untyped-def]
    """Province P1: commune C1 (villages V1, V2, an e-board), C2 (village V3), C3 without devices."""
    with storage.session_scope(engine) as session:
        session.add(AdminUnit(code="P1", name="Tỉnh Một", level=AdminLevel.province))
        session.flush()
        for code, name in (("C1", "Xã Một"), ("C2", "Xã Hai"), ("C3", "Xã Ba")):
            session.add(AdminUnit(code=code, name=name, level=AdminLevel.commune, parent_code="P1"))
        session.flush()
        for code, parent in (("V1", "C1"), ("V2", "C1"), ("V3", "C2")):
            session.add(
                AdminUnit(code=code, name=f"Thôn {code}", level=AdminLevel.village, parent_code=parent)
            )
        created = datetime(2026, 11, 1, tzinfo=UTC)
        for device, kind, unit in (
            ("D1", DeviceKind.speaker_cluster, "V1"),
            ("D2", DeviceKind.speaker_cluster, "V2"),
            ("D3", DeviceKind.speaker_cluster, "V3"),
            ("DM", DeviceKind.speaker_cluster, "V2"),
            ("E1", DeviceKind.eboard, "C1"),
        ):
            session.add(
                Device(id=device, kind=kind, unit_code=unit, languages=["vie", "khm"], created_at=created)
            )
        session.flush()
        b1, v1, r1 = _bulletin(session, "Bão số 9", Priority.emergency, ["C1", "C3"], ["vie", "khm"])
        b2, v2, r2 = _bulletin(session, "Tiêm phòng", Priority.priority, ["C2"], ["vie"])
        # Bulletin 1, morning: a duplicate, a partial play, an e-board, a late confirmation.
        i1 = _item(session, "D1", b1, v1, r1["khm"], MORNING, True, language="khm")
        _confirm(session, i1, PlaybackStatus.played, at(23, 5), duration=100.0)
        _confirm(session, i1, PlaybackStatus.played, at(23, 6), duration=100.0)  # replayed: counts once
        i2 = _item(session, "D2", b1, v1, r1["vie"], MORNING, True)
        _confirm(session, i2, PlaybackStatus.played, at(23, 10), duration=50.0)  # half heard
        i3 = _item(session, "E1", b1, v1, r1["board"], MORNING, True)
        _confirm(session, i3, PlaybackStatus.displayed, at(23, 20))
        i4 = _item(session, "DM", b1, v1, r1["vie"], MORNING, True)  # DM is still in V2
        _confirm(session, i4, PlaybackStatus.played, at(23, 30), received=at(3, 0, day=12), duration=100.0)
        # Bulletin 1, evening: played after its window; a failure.
        i7 = _item(session, "D1", b1, v1, r1["vie"], EVENING, True)
        _confirm(session, i7, PlaybackStatus.played, at(12, 0, day=11), duration=100.0)
        i8 = _item(session, "D2", b1, v1, r1["vie"], EVENING, False)
        _confirm(session, i8, PlaybackStatus.failed, at(10, 5, day=11))
        # DM moves to V3; bulletin 2 there: one device never fetched, DM's clock runs two hours ahead.
        moved = session.get(Device, "DM")
        moved.unit_code = "V3"
        session.add(moved)
        session.flush()
        _item(session, "D3", b2, v2, r2["vie"], MORNING, False)
        i6 = _item(session, "DM", b2, v2, r2["vie"], MORNING, True)
        _confirm(session, i6, PlaybackStatus.played, at(1, 25, day=11), received=at(23, 25), duration=100.0)
        # Heartbeats of D1: 12 five-minute slots in the day, one duplicated, three on FM fallback.
        for n in range(12):
            beat_at = at(0, 0, day=11) + timedelta(minutes=5 * n)
            session.add(Heartbeat(device_id="D1", received_at=beat_at, fm_fallback=n < 3))
        session.add(Heartbeat(device_id="D1", received_at=at(0, 1, day=11)))
        # Ratings: two on bulletin 1 in V1, one on security in V3 with markup in it.
        on_day = at(5, 0, day=11)
        session.add(
            CitizenFeedback(unit_code="V1", bulletin_id=b1.id, rating=5, message="Rõ ràng", created_at=on_day)
        )
        session.add(CitizenFeedback(unit_code="V1", bulletin_id=b1.id, rating=3, created_at=on_day))
        session.add(
            CitizenFeedback(unit_code="V3", topic="an_ninh", rating=1, message="<b>x</b>", created_at=on_day)
        )
    return {"b1": b1.id, "b2": b2.id}


def metrics(engine, unit: str | None = None, period=None):  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        return reach_metrics(session=session, period=period or day_period(DAY), unit_code=unit, now=NOW)


def test_bulletin_counts_match_the_hand_computed_figures(engine, reach_world) -> None:  # type: ignore[no-untyped-def]
    result = metrics(engine)
    rows = {r.key["bulletin_id"]: r.counts for r in result.by_bulletin}
    b1, b2 = rows[reach_world["b1"]], rows[reach_world["b2"]]
    # targeted, delivered, played, in full, on time, failed
    assert (b1.targeted, b1.delivered, b1.played, b1.played_full, b1.played_on_time, b1.failed) == (
        6,
        5,
        5,
        4,
        4,
        1,
    )
    assert b1.completion == pytest.approx(4.5 / 6)
    assert b1.first_play_delay_s == pytest.approx(65 * 60)  # approved 22:00, first play 23:05
    assert (b2.targeted, b2.delivered, b2.played, b2.played_full, b2.played_on_time) == (2, 1, 1, 1, 1)
    # The skewed clock's play counts at its receipt (23:25), not at the device's 01:25.
    assert b2.first_play_delay_s == pytest.approx(85 * 60)
    assert result.totals().targeted == 8 and result.totals().played == 6


def test_languages_units_and_rollups(engine, reach_world) -> None:  # type: ignore[no-untyped-def]
    result = metrics(engine)
    languages = {r.key["language"]: r.counts for r in result.by_language}
    assert (languages["khm"].targeted, languages["khm"].played) == (1, 1)
    assert (languages["vie"].targeted, languages["vie"].played) == (7, 5)
    units = {r.key["unit_code"]: r.counts for r in result.by_unit}
    # The moved device's earlier play stays in V2; its later one counts in V3.
    assert (units["V1"].targeted, units["V1"].played, units["V1"].played_on_time) == (2, 2, 1)
    assert (units["V2"].targeted, units["V2"].played, units["V2"].failed) == (3, 2, 1)
    assert (units["V3"].targeted, units["V3"].played) == (2, 1)
    assert units["C1"].targeted == 6 and units["C2"].targeted == 2 and units["P1"].targeted == 8
    assert "C3" not in units  # no devices, nothing scheduled
    per_language = {
        (r.key["unit_code"], r.key["language"]): r.counts.targeted for r in result.by_unit_language
    }
    assert per_language[("C1", "khm")] == 1 and per_language[("C1", "vie")] == 5
    assert [(r.key["day"], r.counts.targeted) for r in result.by_day] == [("2026-11-11", 8)]


def test_headline_counts_a_target_without_devices_as_not_reached(engine, reach_world) -> None:  # type: ignore[no-untyped-def]
    result = metrics(engine)
    assert (result.headline.essential, result.headline.reached_all) == (2, 1)
    assert result.headline.missed == [
        {"bulletin_id": reach_world["b1"], "title": "Bão số 9", "units": ["C3"]}
    ]
    c3 = [t for t in result.targets if t["unit_code"] == "C3"]
    assert c3 and c3[0]["devices"] == 0 and not c3[0]["reached"]


def test_uptime_feedback_and_fm_fallback(engine, reach_world) -> None:  # type: ignore[no-untyped-def]
    result = metrics(engine)
    d1 = next(d for d in result.uptime if d["device_id"] == "D1")
    assert d1["slots_up"] == 12 and d1["slots_fm"] == 3 and d1["fm_hours"] == 0.25
    assert d1["uptime"] == pytest.approx(12 / 288, abs=1e-4)  # 288 five-minute slots in a day
    assert next(d for d in result.uptime if d["device_id"] == "D2")["uptime"] == 0.0
    feedback = {(f["unit_code"], f["category"]): f for f in result.feedback}
    assert (feedback[("P1", "thien_tai")]["feedback"], feedback[("P1", "thien_tai")]["average_rating"]) == (
        2,
        4.0,
    )
    assert feedback[("P1", "thien_tai")]["comments"] == 1
    assert feedback[("V3", "an_ninh")]["average_rating"] == 1.0


def test_a_unit_scope_sees_only_its_subtree(engine, reach_world) -> None:  # type: ignore[no-untyped-def]
    c1 = metrics(engine, unit="C1")
    assert {r.key["unit_code"] for r in c1.by_unit} == {"C1", "V1", "V2"}
    assert [r.key["bulletin_id"] for r in c1.by_bulletin] == [reach_world["b1"]]
    assert (c1.headline.essential, c1.headline.reached_all) == (1, 1)  # C3 is not C1's business
    village = metrics(engine, unit="V3")  # bulletin 2 targets V3's commune: counted for the village
    assert [(t["unit_code"], t["devices"], t["reached"]) for t in village.targets] == [("V3", 2, True)]


def test_late_confirmations_stay_with_their_day(engine, reach_world) -> None:  # type: ignore[no-untyped-def]
    assert metrics(engine, period=day_period(date(2026, 11, 12))).totals().targeted == 0
    assert metrics(engine, period=day_period(DAY)).totals().played == 6


def test_annual_period_runs_15_december_to_14_december_local() -> None:
    period = annual_period(2026)
    assert (period.first, period.last) == (date(2025, 12, 15), date(2026, 12, 14))
    assert period.since == datetime(2025, 12, 14, 17, 0, tzinfo=UTC)  # midnight in Hà Nội
    assert period.until == datetime(2026, 12, 14, 17, 0, tzinfo=UTC)
    assert period.label == "15/12/2025 – 14/12/2026"
    assert last_ended_year(date(2026, 12, 15)) == 2026  # the scheduled run reports the year just ended
    assert last_ended_year(date(2026, 12, 14)) == 2025
    assert monthly_period(2026, 2).last == date(2026, 2, 28)


def test_bad_periods_and_units_are_refused(engine, reach_world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidPeriod, match="has not started"):
        metrics(engine, period=annual_period(2027))
    with pytest.raises(InvalidPeriod):
        monthly_period(2026, 13)
    with pytest.raises(storage.UnknownUnit):
        metrics(engine, unit="NOPE")


def test_a_year_is_one_query_however_many_items(engine, reach_world) -> None:  # type: ignore[no-untyped-def]
    """The old report bound every item id as a parameter; a year of items must not."""
    with storage.session_scope(engine) as session:
        bulletin = session.get(Bulletin, reach_world["b2"])
        version = session.exec(select(BulletinVersion)).first()
        rendition_id = session.exec(select(Rendition.id).where(Rendition.version_id == version.id)).first()
        start = datetime.combine(date(2026, 1, 1), time(0), tzinfo=UTC)
        session.add_all(
            PlaylistItem(
                device_id="D3",
                bulletin_id=bulletin.id,
                version_id=version.id,
                rendition_id=rendition_id,
                language="vie",
                broadcast_date=(start + timedelta(minutes=10 * n)).date(),
                window_name=f"w{n}",
                starts_at=start + timedelta(minutes=10 * n),
                ends_at=start + timedelta(minutes=10 * n + 5),
            )
            for n in range(40_000)
        )
    result = metrics(engine, period=annual_period(2026))
    assert result.totals().targeted == 40_000 + 8
