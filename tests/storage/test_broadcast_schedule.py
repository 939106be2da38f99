"""Windows per unit and composed programs on loudspeakers, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

import storage

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PROVINCE = "44"  # Quảng Trị
COMMUNE = "18904"  # Xã Dân Hóa
OTHER_COMMUNE = "18922"  # Xã Kim Điền
NOW = datetime(2026, 12, 3, 5, 0, tzinfo=TZ).astimezone(UTC)  # 05:00 local, before the morning window


def local(hour: int, minute: int = 0, second: int = 0, day: int = 0) -> datetime:
    return datetime(2026, 12, 3 + day, hour, minute, second, tzinfo=TZ).astimezone(UTC)


def seed(engine):  # type: ignore[no-untyped-def]
    """A province; a loudspeaker in a village of each of two communes and an e-board in the first."""
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        storage.import_records(
            session=session,
            rows=[
                {"type": "village", "code": "V1", "name": "Bản Ra Mai", "parent": COMMUNE},
                {"type": "village", "code": "V2", "name": "Thôn Kim Lũ", "parent": OTHER_COMMUNE},
                {"type": "device", "id": "LOA-V1", "kind": "speaker_cluster", "unit": "V1"},
                {"type": "device", "id": "LOA-V2", "kind": "speaker_cluster", "unit": "V2"},
                {"type": "device", "id": "BANG-1", "kind": "eboard", "unit": COMMUNE},
            ],
        )
        storage.set_unit_broadcast(session, PROVINCE, ["06:00-06:30", "17:00-17:30"])
    return engine


# The world, seeded_file and sqlite_world fixtures (tests/storage/conftest.py) use seed() above.


def publish(
    engine,  # type: ignore[no-untyped-def]
    title: str,
    seconds: float,
    *,
    priority: str = "normal",
    targets: tuple[str, ...] = (COMMUNE,),
    now: datetime = NOW,
    languages: tuple[str, ...] = ("vie",),
    **validity,  # type: ignore[no-untyped-def]
) -> storage.Distribution:
    """Draft, render, approve and distribute a bulletin of ``seconds`` of audio."""
    with storage.session_scope(engine) as session:
        draft = storage.BulletinDraft(
            title=title,
            body=f"{title}. Nội dung thử.",
            priority=storage.Priority(priority),
            source_unit=PROVINCE,
            target_units=list(targets),
            **validity,
        )
        _, version, _ = storage.save_draft(session=session, draft=draft)
        for language in languages:
            digest = hashlib.sha256(f"{title} {language}".encode()).hexdigest()
            audio = {"audio_key": f"audio/{digest}.mp3", "details": {"sha256": digest}}
            for kind, extra in (
                (storage.RenditionKind.audio, audio),
                (storage.RenditionKind.eboard, {"text": title}),
            ):
                storage.save_rendition(
                    session=session,
                    version_id=version.id,
                    language=language,
                    kind=kind,
                    duration_s=seconds,
                    **extra,
                )
        storage.record_review(
            session=session, version_id=version.id, reviewer="tester", decision=storage.ReviewDecision.approve
        )
        return storage.distribute_version(session=session, version_id=version.id, now=now)


def program(engine, device: str) -> list[tuple[str, str, datetime, datetime]]:  # type: ignore[no-untyped-def]
    """(title, window, start, end) of a device's items, in time order."""
    with storage.session_scope(engine) as session:
        rows = session.exec(
            select(storage.PlaylistItem, storage.Bulletin)
            .join(storage.Bulletin, storage.Bulletin.id == storage.PlaylistItem.bulletin_id)
            .where(storage.PlaylistItem.device_id == device)
        ).all()
        found = [
            (b.title, i.window_name, storage.as_utc(i.starts_at), storage.as_utc(i.ends_at)) for i, b in rows
        ]
    return sorted(found, key=lambda r: r[2])


def test_each_item_gets_its_own_start_one_after_another(world):
    publish(world, "Lịch tiêm chủng", 90)
    publish(world, "Họp dân thôn", 45)

    assert program(world, "LOA-V1") == [
        ("Họp dân thôn", "sáng", local(6), local(6, 0, 45)),  # approved last: most recent first
        ("Lịch tiêm chủng", "sáng", local(6, 0, 45), local(6, 2, 15)),
    ]
    # the e-board shows both for the whole window
    assert {(w, s, e) for _, w, s, e in program(world, "BANG-1")} == {("sáng", local(6), local(6, 30))}


def test_priority_bulletin_goes_ahead_of_normal_ones_already_scheduled(world):
    publish(world, "Thông báo thu thuế", 60)
    result = publish(world, "Cảnh báo rét đậm", 120, priority="priority")

    assert [(t, s) for t, _, s, _ in program(world, "LOA-V1")] == [
        ("Cảnh báo rét đậm", local(6)),
        ("Thông báo thu thuế", local(6, 2)),
    ]
    assert result.moved == 1 and result.notice() == ""


def test_emergency_plays_at_once_outside_any_window(sqlite_world):
    at = local(23, 10)  # night: no window is open
    result = publish(sqlite_world, "Lũ quét", 40, priority="emergency", now=at)

    [(_, window, starts, ends)] = program(sqlite_world, "LOA-V1")
    assert (window, starts) == ("khẩn cấp", at) and ends > at + timedelta(seconds=40)
    assert result.items_created == 2 and not result.unplaced


def test_emergency_interrupts_what_is_on_air_and_what_follows_waits_for_it(sqlite_world):
    playing = publish(sqlite_world, "Bản tin sáng", 120, priority="priority")
    following = publish(sqlite_world, "Lịch tiêm chủng", 60)
    result = publish(sqlite_world, "Sạt lở đất", 30, priority="emergency", now=local(6, 0, 30))

    assert result.interrupted == {"LOA-V1": [playing.bulletin_id]}
    assert [(t, s) for t, _, s, _ in program(sqlite_world, "LOA-V1")] == [
        ("Bản tin sáng", local(6)),  # on air since 06:00: cut into, not moved
        ("Sạt lở đất", local(6, 0, 30)),
        ("Lịch tiêm chủng", local(6, 2)),  # after the item on air, which the device resumes or drops
    ]
    assert following.items_created == 2


def test_item_that_cannot_play_before_it_expires_is_reported_to_the_editor(world):
    result = publish(world, "Họp chiều nay", 60, valid_until=local(12))  # no window before 12:00 is left
    late = publish(world, "Họp chiều nay (muộn)", 60, valid_until=local(12), now=local(7))

    assert result.unplaced == {} and [t for t, *_ in program(world, "LOA-V1")] == ["Họp chiều nay"]
    assert set(late.unplaced) == {"LOA-V1"}
    assert "expires" in late.unplaced["LOA-V1"]["en"] and "hết hiệu lực" in late.unplaced["LOA-V1"]["vi"]
    assert "không xếp được lịch" in late.notice() and "LOA-V1" in late.notice()
    with storage.session_scope(world) as session:
        event = session.exec(
            select(storage.AuditEvent)
            .where(storage.AuditEvent.action == "distributed")
            .order_by(storage.AuditEvent.id.desc())
        ).first()
        assert "LOA-V1" in event.details["unplaced"]


def test_what_does_not_fit_in_the_program_moves_to_the_next_window(sqlite_world):
    with storage.session_scope(sqlite_world) as session:
        storage.set_unit_broadcast(session, COMMUNE, [], max_minutes=5)
    publish(sqlite_world, "Bản tin nông nghiệp", 4 * 60)
    publish(sqlite_world, "Bản tin văn hoá", 3 * 60)

    assert [(t, w, s) for t, w, s, _ in program(sqlite_world, "LOA-V1")] == [
        ("Bản tin văn hoá", "sáng", local(6)),
        ("Bản tin nông nghiệp", "chiều", local(17)),
    ]


def test_a_commune_with_its_own_windows_and_one_that_inherits(sqlite_world):
    with storage.session_scope(sqlite_world) as session:
        storage.set_unit_broadcast(session, COMMUNE, ["05:30-05:45"])
        own = storage.unit_broadcast(session, "V1")
        inherited = storage.unit_broadcast(session, "V2")
    publish(sqlite_world, "Phòng cháy", 30, targets=(COMMUNE, OTHER_COMMUNE))

    assert own.windows_from == COMMUNE and inherited.windows_from == PROVINCE
    assert program(sqlite_world, "LOA-V1")[0][2] == local(5, 30)
    assert program(sqlite_world, "LOA-V2")[0][2] == local(6)


def test_composed_day_lists_each_slot_with_its_loudspeakers(world):
    publish(world, "Lịch tiêm chủng", 90)
    publish(world, "Cảnh báo rét đậm", 30, priority="priority", targets=(COMMUNE, OTHER_COMMUNE))

    with storage.session_scope(world) as session:
        day = storage.day_program(session, PROVINCE, NOW.astimezone(TZ).date())

    assert [(r.title, r.starts, r.devices) for r in day] == [
        ("Cảnh báo rét đậm", local(6), ("LOA-V1", "LOA-V2")),
        ("Lịch tiêm chủng", local(6, 0, 30), ("LOA-V1",)),
    ]


def test_language_order_of_the_unit_chooses_what_its_loudspeakers_play(world):
    with storage.session_scope(world) as session:
        storage.set_unit_broadcast(session, COMMUNE, [], languages=["khm", "vie"])
    first = publish(world, "Thu hoạch lúa", 60, targets=(COMMUNE, OTHER_COMMUNE), languages=("vie", "khm"))
    second = publish(world, "Chỉ tiếng Việt", 60, targets=(COMMUNE,))

    with storage.session_scope(world) as session:
        items = session.exec(select(storage.PlaylistItem)).all()
        spoken = {(i.device_id, i.bulletin_id): i.language for i in items}
    assert spoken == {
        ("BANG-1", first.bulletin_id): "khm",
        ("LOA-V1", first.bulletin_id): "khm",  # Dân Hóa sets khm first
        ("LOA-V2", first.bulletin_id): "vie",  # Kim Điền sets nothing: the device's language
        ("BANG-1", second.bulletin_id): "vie",
        ("LOA-V1", second.bulletin_id): "vie",  # no Khmer reading: Vietnamese
    }


@pytest.mark.parametrize(
    ("windows", "en", "vi"),
    [
        (["06:00-06:30", "06:15-07:00"], "overlap", "chồng lên nhau"),
        (["22:00-02:00"], "crosses midnight", "qua nửa đêm"),
        (["06:00-30:00"], "longer than a day", "không dài quá một ngày"),
        (["sáng"], "HH:MM-HH:MM", "GG:PP-GG:PP"),
        (["06:00-06:00"], "same time", "trùng"),
    ],
)
def test_bad_windows_are_refused_and_nothing_is_stored(sqlite_world, windows, en, vi):
    with storage.session_scope(sqlite_world) as session:
        storage.set_unit_broadcast(session, COMMUNE, ["05:00-05:20"], max_minutes=10)
    with pytest.raises(storage.InvalidWindow) as refused, storage.session_scope(sqlite_world) as session:
        storage.set_unit_broadcast(session, COMMUNE, windows, max_minutes=20)

    assert en in refused.value.message_en and vi in refused.value.message_vi
    with storage.session_scope(sqlite_world) as session:
        kept = storage.unit_broadcast(session, COMMUNE)
    assert kept.windows == [("sáng", time(5, 0), time(5, 20))] and kept.max_program_minutes == 10


def test_a_priority_bulletin_pushes_out_a_normal_one_that_then_cannot_play_in_time(sqlite_world):
    with storage.session_scope(sqlite_world) as session:
        storage.set_unit_broadcast(session, COMMUNE, ["06:00-06:05"])
    publish(sqlite_world, "Lịch họp sáng nay", 4 * 60, valid_until=local(9))
    result = publish(sqlite_world, "Cảnh báo rét hại", 3 * 60, priority="priority")

    assert [t for t, *_ in program(sqlite_world, "LOA-V1")] == ["Cảnh báo rét hại"]
    assert result.displaced == {"LOA-V1": [result.bulletin_id - 1]}
    assert "bị đẩy ra khỏi lịch phát" in result.notice() and "pushed out" in result.notice()


def test_stored_programs_never_overlap_and_stay_in_windows_and_validity(world):
    with storage.session_scope(world) as session:
        storage.set_unit_broadcast(
            session, COMMUNE, ["06:00-06:10", "11:00-11:05", "17:00-17:10"], max_minutes=8
        )
    plan = [
        ("a", 200, "normal", NOW, {}),
        ("b", 90, "priority", NOW + timedelta(minutes=20), {"valid_until": local(12)}),
        ("c", 300, "normal", NOW + timedelta(minutes=30), {"valid_from": local(10)}),
        ("d", 45, "emergency", local(6, 2), {}),
        ("e", 240, "normal", local(6, 3), {"valid_until": local(11, 4)}),
        ("f", 120, "priority", local(6, 4), {}),
        ("g", 500, "normal", local(6, 5), {}),
        ("h", 30, "emergency", local(11, 1), {}),
        ("i", 60, "normal", local(11, 2), {}),
    ]
    reported = set()
    for title, seconds, priority, at, validity in plan:
        result = publish(world, title, seconds, priority=priority, now=at, **validity)
        reported |= {title} if result.unplaced else set()

    with storage.session_scope(world) as session:
        rows = session.exec(
            select(storage.PlaylistItem, storage.Bulletin, storage.Rendition)
            .join(storage.Bulletin, storage.Bulletin.id == storage.PlaylistItem.bulletin_id)
            .join(storage.Rendition, storage.Rendition.id == storage.PlaylistItem.rendition_id)
            .where(storage.PlaylistItem.device_id == "LOA-V1")
        ).all()
        windows = storage.unit_broadcast(session, "V1").windows
    slots = sorted(
        (
            storage.as_utc(i.starts_at),
            storage.as_utc(i.starts_at) + timedelta(seconds=r.duration_s),
            i.window_name,
            b,
        )
        for i, b, r in rows
    )
    assert {b.title for *_, b in slots} | reported == {title for title, *_ in plan}
    normal = [s for s in slots if s[2] != "khẩn cấp"]
    for (_, first_end, *_), (second_start, *_) in pairwise(normal):
        assert first_end <= second_start
    for starts, ends, window, bulletin in normal:
        [(_, opens, closes)] = [w for w in windows if w[0] == window]
        day = starts.astimezone(TZ).date()
        assert datetime.combine(day, opens, TZ) <= starts and ends <= datetime.combine(day, closes, TZ)
        assert bulletin.valid_from is None or starts >= storage.as_utc(bulletin.valid_from)
        assert bulletin.valid_until is None or ends <= storage.as_utc(bulletin.valid_until)
    for day in {s[0].astimezone(TZ).date() for s in normal}:
        for name, *_ in windows:
            inside = [e - s for s, e, w, _ in normal if w == name and s.astimezone(TZ).date() == day]
            assert sum(inside, timedelta(0)) <= timedelta(minutes=8)
