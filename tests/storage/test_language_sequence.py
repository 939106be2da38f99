"""A loudspeaker plays a bulletin once per language it broadcasts in, back to back in its unit's
language order (Decree 49/2024), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from sqlmodel import select

import storage
from storage.emergency import set_emergency_repeat
from storage.models import PlaylistItemOutcome

# The same province, communes, clock and local times as the schedule tests. Here Xã Dân Hóa (COMMUNE)
# broadcasts in Khmer first, then Vietnamese; Xã Kim Điền (OTHER_COMMUNE) sets no language order.
from tests.storage.test_broadcast_schedule import COMMUNE, NOW, OTHER_COMMUNE, PROVINCE, TZ, local


def seed(engine):  # type: ignore[no-untyped-def]
    """Loudspeakers speaking Vietnamese and Khmer, one speaking only Vietnamese, one neither, and an e-board."""
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        storage.import_records(
            session=session,
            rows=[
                {"type": "village", "code": "V1", "name": "Phum Sóc", "parent": COMMUNE},
                {"type": "village", "code": "V2", "name": "Thôn Kim Lũ", "parent": OTHER_COMMUNE},
                {"type": "device", "id": "LOA-KHM", "kind": "speaker_cluster", "unit": "V1", "languages": "vie,khm"},
                {"type": "device", "id": "LOA-VIE", "kind": "speaker_cluster", "unit": "V1"},
                {"type": "device", "id": "LOA-CMO", "kind": "speaker_cluster", "unit": "V1", "languages": "khm,cmo"},
                {"type": "device", "id": "LOA-V2", "kind": "speaker_cluster", "unit": "V2", "languages": "vie,khm"},
                {"type": "device", "id": "BANG-1", "kind": "eboard", "unit": COMMUNE, "languages": "vie,khm"},
            ],
        )  # fmt: skip
        storage.set_unit_broadcast(session, PROVINCE, ["06:00-06:30", "17:00-17:30"])
        storage.set_unit_broadcast(session, COMMUNE, [], languages=["khm", "vie"])
    return engine


# The world, seeded_file and sqlite_world fixtures (tests/storage/conftest.py) use seed() above.


def digest(title: str, language: str) -> str:
    return hashlib.sha256(f"{title} {language}".encode()).hexdigest()


def approved(
    engine,
    title: str,
    readings: dict[str, float],
    *,
    priority: str = "normal",
    targets=(COMMUNE,),
    **validity,
) -> int:  # type: ignore[no-untyped-def]
    """An approved version with an audio reading of ``readings[language]`` seconds per language; its id."""
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
        for language, seconds in readings.items():
            sha = digest(title, language)
            storage.save_rendition(
                session=session, version_id=version.id, language=language, kind=storage.RenditionKind.audio,
                audio_key=f"audio/{sha}.mp3", duration_s=seconds, details={"sha256": sha},
            )  # fmt: skip
            storage.save_rendition(
                session=session, version_id=version.id, language=language, kind=storage.RenditionKind.eboard,
                text=f"{title} ({language})",
            )  # fmt: skip
        storage.record_review(
            session=session, version_id=version.id, reviewer="tester", decision=storage.ReviewDecision.approve
        )
        return version.id


def distribute(engine, version_id: int, now: datetime = NOW) -> storage.Distribution:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        return storage.distribute_version(session=session, version_id=version_id, now=now)


def publish(
    engine, title: str, readings: dict[str, float], *, now: datetime = NOW, **kwargs
) -> storage.Distribution:  # type: ignore[no-untyped-def]
    return distribute(engine, approved(engine, title, readings, **kwargs), now)


def program(engine, device: str) -> list[tuple[str, str, str, datetime, datetime]]:  # type: ignore[no-untyped-def]
    """(title, language, window, start, end) of a device's items, in time order."""
    with storage.session_scope(engine) as session:
        rows = session.exec(
            select(storage.PlaylistItem, storage.Bulletin)
            .join(storage.Bulletin, storage.Bulletin.id == storage.PlaylistItem.bulletin_id)
            .where(storage.PlaylistItem.device_id == device)
        ).all()
        found = [
            (b.title, i.language, i.window_name, storage.as_utc(i.starts_at), storage.as_utc(i.ends_at))
            for i, b in rows
        ]
    return sorted(found, key=lambda r: (r[3], r[1]))


def test_a_khmer_communes_loudspeaker_plays_khmer_then_vietnamese_back_to_back(world):
    publish(world, "Họp dân thôn", {"vie": 45})
    result = publish(world, "Thu hoạch lúa", {"vie": 60, "khm": 75}, targets=(COMMUNE, OTHER_COMMUNE))

    assert program(world, "LOA-KHM") == [
        ("Thu hoạch lúa", "khm", "sáng", local(6), local(6, 1, 15)),  # Dân Hóa's order: Khmer first
        ("Thu hoạch lúa", "vie", "sáng", local(6, 1, 15), local(6, 2, 15)),  # then Vietnamese, at once
        ("Họp dân thôn", "vie", "sáng", local(6, 2, 15), local(6, 3)),  # moved after the whole sequence
    ]
    # Kim Điền sets no order: the device's own order (vie, khm)
    assert [(lang, s) for _, lang, _, s, _ in program(world, "LOA-V2")] == [
        ("vie", local(6)),
        ("khm", local(6, 1)),
    ]
    # a loudspeaker with one language and a board keep one item, as before
    assert [lang for t, lang, *_ in program(world, "LOA-VIE") if t == "Thu hoạch lúa"] == ["khm"]
    assert [lang for t, lang, *_ in program(world, "BANG-1") if t == "Thu hoạch lúa"] == ["khm"]
    assert result.items_created == 2 + 1 + 1 + 2 + 1  # LOA-KHM, LOA-VIE, LOA-CMO, LOA-V2, BANG-1
    assert result.moved == 3 and result.notice() == ""  # Họp dân thôn on LOA-KHM, LOA-VIE and LOA-CMO
    for device in ("LOA-KHM", "LOA-VIE", "LOA-CMO", "LOA-V2"):
        for (*_, first_end), (_, _, _, second_start, _) in pairwise(program(world, device)):
            assert first_end <= second_start

    with storage.session_scope(world) as session:
        manifest = storage.device_playlist(
            session=session, device=storage.get_device(session, "LOA-KHM"), now=NOW
        )
    assert [(e.title, e.language, e.sha256) for e in manifest] == [
        ("Thu hoạch lúa", "khm", digest("Thu hoạch lúa", "khm")),
        ("Thu hoạch lúa", "vie", digest("Thu hoạch lúa", "vie")),
        ("Họp dân thôn", "vie", digest("Họp dân thôn", "vie")),
    ]


def test_the_units_order_decides_the_sequence_of_new_distributions(sqlite_world):
    publish(sqlite_world, "Tiêm phòng", {"vie": 30, "khm": 40})
    with storage.session_scope(sqlite_world) as session:
        storage.set_unit_broadcast(session, COMMUNE, [], languages=["vie", "khm"])
    publish(sqlite_world, "Nước sạch", {"vie": 20, "khm": 25})

    assert [(t, lang, s) for t, lang, _, s, _ in program(sqlite_world, "LOA-KHM")] == [
        ("Nước sạch", "vie", local(6)),  # the new order
        ("Nước sạch", "khm", local(6, 0, 20)),
        ("Tiêm phòng", "khm", local(6, 0, 45)),  # the earlier sequence moved whole, in its own order
        ("Tiêm phòng", "vie", local(6, 1, 25)),
    ]


def test_a_window_too_short_for_the_whole_sequence_moves_all_of_it_to_the_next_and_says_so(sqlite_world):
    with storage.session_scope(sqlite_world) as session:
        storage.set_unit_broadcast(session, COMMUNE, ["06:00-06:05", "17:00-17:30"])
    publish(sqlite_world, "Rét đậm", {"vie": 120}, priority="priority")
    result = publish(sqlite_world, "Lịch họp", {"khm": 120, "vie": 100})  # 3 min left at 06:02, 220 s needed

    assert program(sqlite_world, "LOA-KHM") == [
        ("Rét đậm", "vie", "sáng", local(6), local(6, 2)),
        ("Lịch họp", "khm", "chiều", local(17), local(17, 2)),
        ("Lịch họp", "vie", "chiều", local(17, 2), local(17, 3, 40)),
    ]
    assert [(t, w) for t, _, w, *_ in program(sqlite_world, "LOA-VIE")] == [
        ("Rét đậm", "sáng"),
        ("Lịch họp", "sáng"),  # Khmer alone fits at 06:02
    ]
    assert set(result.deferred) == {"LOA-KHM"} and not result.unplaced
    notice = result.notice()
    assert "khm + vie" in notice and "LOA-KHM" in notice and "LOA-VIE" not in notice
    assert "không vừa khung sáng" in notice and "cả chuỗi phát trong khung chiều lúc 17:00" in notice
    assert "do not fit in window sáng" in notice and "whole sequence plays in window chiều at 17:00" in notice
    with storage.session_scope(sqlite_world) as session:
        event = session.exec(
            select(storage.AuditEvent)
            .where(storage.AuditEvent.action == "distributed")
            .order_by(storage.AuditEvent.id.desc())
        ).first()
    assert set(event.details["deferred"]) == {"LOA-KHM"}


def test_a_sequence_longer_than_any_window_is_not_split_and_the_editor_is_told(sqlite_world):
    with storage.session_scope(sqlite_world) as session:
        storage.set_unit_broadcast(session, COMMUNE, ["06:00-06:03"])
    result = publish(sqlite_world, "Quy định mới", {"khm": 120, "vie": 100})

    assert program(sqlite_world, "LOA-KHM") == []  # never one language without the other
    assert [lang for _, lang, *_ in program(sqlite_world, "LOA-VIE")] == ["khm"]
    reason = result.unplaced["LOA-KHM"]
    assert "longer than any program" in reason["en"] and "khm + vie play back to back, 220 s" in reason["en"]
    assert "rút gọn" in reason["vi"] and "khm + vie phát liền nhau" in reason["vi"]
    assert "LOA-KHM" in result.notice() and "không xếp được lịch" in result.notice()


def test_a_second_distribution_of_the_same_version_creates_nothing(world):
    version_id = approved(world, "Phòng cháy rừng", {"vie": 50, "khm": 55})
    first = distribute(world, version_id)
    again = distribute(world, version_id, now=NOW + timedelta(minutes=5))

    assert first.items_created == 5  # LOA-KHM 2, LOA-VIE, LOA-CMO, BANG-1
    assert again.items_created == 0 and again.items_existing == 5 and again.moved == 0
    assert len(program(world, "LOA-KHM")) == 2
    with storage.session_scope(world) as session:
        events = session.exec(
            select(storage.AuditEvent).where(storage.AuditEvent.action == "distributed")
        ).all()
    assert len(events) == 1


def test_a_device_whose_language_has_no_reading_gets_what_exists(sqlite_world):
    publish(sqlite_world, "Chỉ tiếng Việt", {"vie": 40})

    assert [(lang, s) for _, lang, _, s, _ in program(sqlite_world, "LOA-KHM")] == [("vie", local(6))]
    assert [lang for _, lang, *_ in program(sqlite_world, "LOA-CMO")] == ["vie"]  # neither khm nor cmo exists


def test_an_emergency_plays_every_language_at_once_one_after_the_other(sqlite_world):
    at = local(23, 10)
    result = publish(sqlite_world, "Lũ quét", {"vie": 30, "khm": 40}, priority="emergency", now=at)

    [khmer, vietnamese] = program(sqlite_world, "LOA-KHM")
    assert khmer[1:4] == ("khm", "khẩn cấp", at)
    assert vietnamese[1:4] == ("vie", "khẩn cấp", at + timedelta(seconds=40))
    assert khmer[4] > at + timedelta(seconds=40) and vietnamese[4] > at + timedelta(seconds=70)  # kept on
    with storage.session_scope(sqlite_world) as session:
        manifest = storage.device_playlist(
            session=session, device=storage.get_device(session, "LOA-KHM"), now=at + timedelta(seconds=1)
        )
    assert [(e.language, e.priority) for e in manifest] == [("khm", "emergency"), ("vie", "emergency")]
    assert not result.unplaced and not result.deferred


def test_a_sequence_moves_as_a_whole_and_is_pushed_out_as_a_whole(sqlite_world):
    with storage.session_scope(sqlite_world) as session:
        storage.set_unit_broadcast(session, COMMUNE, ["06:00-06:05"])
    normal = publish(sqlite_world, "Họp chi bộ", {"khm": 90, "vie": 90}, valid_until=local(9))
    moved = publish(sqlite_world, "Rét đậm", {"vie": 60}, priority="priority")

    assert [(t, lang, s) for t, lang, _, s, _ in program(sqlite_world, "LOA-KHM")] == [
        ("Rét đậm", "vie", local(6)),
        ("Họp chi bộ", "khm", local(6, 1)),
        ("Họp chi bộ", "vie", local(6, 2, 30)),
    ]
    assert moved.moved == 2 + 1 + 1  # both languages on LOA-KHM, the Khmer item on LOA-VIE and LOA-CMO

    pushed = publish(sqlite_world, "Gió mùa", {"vie": 90}, priority="priority")  # 60 + 90 + 180 s > 5 min

    assert [t for t, *_ in program(sqlite_world, "LOA-KHM")] == ["Gió mùa", "Rét đậm"]  # no language left
    assert pushed.displaced == {"LOA-KHM": [normal.bulletin_id]}
    assert "Họp chi bộ" in [t for t, *_ in program(sqlite_world, "LOA-VIE")]  # 90 s of Khmer still fits


def test_the_composed_day_lists_a_row_per_language(world):
    publish(world, "Thu hoạch lúa", {"vie": 60, "khm": 75})

    with storage.session_scope(world) as session:
        day = storage.day_program(session, COMMUNE, NOW.astimezone(TZ).date())

    assert [(r.title, r.language, r.starts, r.ends, r.devices) for r in day] == [
        ("Thu hoạch lúa", "khm", local(6), local(6, 1, 15), ("LOA-CMO", "LOA-KHM", "LOA-VIE")),
        ("Thu hoạch lúa", "vie", local(6, 1, 15), local(6, 2, 15), ("LOA-KHM",)),
    ]


def test_each_language_is_confirmed_on_its_own(world):
    publish(world, "Thu hoạch lúa", {"vie": 60, "khm": 75})
    with storage.session_scope(world) as session:
        device = storage.get_device(session, "LOA-KHM")
        khmer, vietnamese = storage.device_playlist(session=session, device=device, now=NOW)
        events = [
            storage.ConfirmationEvent(
                uuid.uuid4(), khmer.item_id, storage.PlaybackStatus.played, local(6, 0, 1), 75.0, sha256=khmer.sha256
            ),
            storage.ConfirmationEvent(
                uuid.uuid4(), vietnamese.item_id, storage.PlaybackStatus.failed, local(6, 1, 16), 0.0,
                sha256=vietnamese.sha256,
            ),
        ]  # fmt: skip
        taken = storage.record_confirmations(
            session=session, device=device, events=events, now=local(6, 1, 30)
        )
        left = storage.device_playlist(session=session, device=device, now=local(6, 1, 30))

    assert len(taken.accepted) == 2 and not taken.rejected
    assert [e.language for e in left] == ["vie"]  # the Khmer reading was played, the Vietnamese one not yet
    with storage.session_scope(world) as session:
        outcomes = {
            session.get(storage.PlaylistItem, o.playlist_item_id).language: (o.played, o.failed)
            for o in session.exec(select(PlaylistItemOutcome)).all()
        }
    assert outcomes == {"khm": (1, 0), "vie": (0, 1)}


def _copy_in(engine, item_id: int, language: str) -> None:  # type: ignore[no-untyped-def]
    """Another language of the item, in the same window (what a sequence stores)."""
    with storage.session_scope(engine) as session:
        item = session.get(storage.PlaylistItem, item_id)
        fields = item.model_dump(exclude={"id", "delivered_at", "created_at"})
        session.add(storage.PlaylistItem(**{**fields, "language": language}))


def unit_of(session, item_id: int) -> str | None:  # type: ignore[no-untyped-def]
    """The unit the database recorded for an item (a column only the trigger of migration 0004 fills)."""
    from sqlalchemy import text

    return session.execute(
        text("SELECT unit_code FROM playlist_item WHERE id = :id"), {"id": item_id}
    ).scalar()


def test_migration_0012_keeps_items_confirmations_and_outcomes_and_allows_a_language_per_item(db_url):
    from alembic import command
    from sqlalchemy.exc import IntegrityError

    from storage.db import alembic_config

    engine = storage.make_engine(db_url)
    try:
        seed(engine)
        publish(engine, "Họp dân", {"vie": 45})
        with storage.session_scope(engine) as session:
            device = storage.get_device(session, "LOA-KHM")
            [entry] = storage.device_playlist(session=session, device=device, now=NOW)
            event = storage.ConfirmationEvent(
                uuid.uuid4(),
                entry.item_id,
                storage.PlaybackStatus.played,
                local(6, 0, 5),
                45.0,
                sha256=entry.sha256,
            )
            storage.record_confirmations(session=session, device=device, events=[event], now=local(6, 1))
        command.downgrade(alembic_config(db_url), "0011")
        engine.dispose()
        with pytest.raises(IntegrityError):  # the old key: one item per version, device and window
            _copy_in(engine, entry.item_id, "khm")

        command.upgrade(alembic_config(db_url), "head")
        engine.dispose()

        with storage.session_scope(engine) as session:
            item = session.get(storage.PlaylistItem, entry.item_id)
            assert (item.language, item.audio_sha256, unit_of(session, item.id)) == (
                "vie",
                entry.sha256,
                "V1",
            )
            [confirmation] = session.exec(select(storage.PlaybackConfirmation)).all()
            assert confirmation.playlist_item_id == item.id and confirmation.content_sha256 == entry.sha256
            outcome = session.get(PlaylistItemOutcome, item.id)  # the rebuild did not cascade it away
            assert (outcome.played, outcome.confirmations) == (1, 1)
        _copy_in(engine, entry.item_id, "khm")  # a second language in the same window
        with storage.session_scope(engine) as session:
            khmer = session.exec(
                select(storage.PlaylistItem).where(storage.PlaylistItem.language == "khm")
            ).one()
            assert (
                unit_of(session, khmer.id) == "V1"
            )  # the trigger recording the device's unit is still there
        with pytest.raises(IntegrityError):  # the same language twice still clashes
            _copy_in(engine, entry.item_id, "khm")
        with storage.session_scope(engine) as session:  # the confirmation trigger still folds outcomes
            storage.record_confirmations(
                session=session,
                device=storage.get_device(session, "LOA-KHM"),
                events=[
                    storage.ConfirmationEvent(
                        uuid.uuid4(), khmer.id, storage.PlaybackStatus.failed, local(6, 1)
                    )
                ],
                now=local(6, 2),
            )
            assert session.get(PlaylistItemOutcome, khmer.id).failed == 1

        with pytest.raises(
            RuntimeError
        ) as refused:  # two languages in one window: the old key cannot hold them
            command.downgrade(alembic_config(db_url), "0011")
        assert "several languages" in str(refused.value) and "nhiều ngôn ngữ" in str(refused.value)
        assert storage.current_revision(db_url) == "0012"
    finally:
        engine.dispose()


def test_a_repeated_emergency_repeats_every_language_in_its_order(world):
    with storage.session_scope(world) as session:
        set_emergency_repeat(session, COMMUNE, 20)
    at = local(23, 10)
    publish(
        world,
        "Lũ quét",
        {"vie": 30, "khm": 40},
        priority="emergency",
        now=at,
        valid_until=at + timedelta(hours=1),
    )

    rows = program(world, "LOA-KHM")
    by_window: dict[str, list[tuple[str, datetime]]] = {}
    for _, language, window, starts, _ in rows:
        by_window.setdefault(window, []).append((language, starts))
    assert sorted(by_window) == ["khẩn cấp", "khẩn cấp #2", "khẩn cấp #3"]
    for k, window in enumerate(["khẩn cấp", "khẩn cấp #2", "khẩn cấp #3"]):
        start = at + timedelta(minutes=20 * k)
        assert by_window[window] == [("khm", start), ("vie", start + timedelta(seconds=40))]


def test_stored_programs_keep_each_sequence_whole_in_order_and_never_overlap(sqlite_world):
    with storage.session_scope(sqlite_world) as session:
        storage.set_unit_broadcast(
            session, COMMUNE, ["06:00-06:10", "11:00-11:05", "17:00-17:10"], max_minutes=8
        )
    plan = [
        ("a", {"khm": 100, "vie": 100}, "normal", NOW, {}),
        ("b", {"vie": 90}, "priority", NOW + timedelta(minutes=20), {"valid_until": local(12)}),
        ("c", {"khm": 150, "vie": 120}, "normal", NOW + timedelta(minutes=30), {"valid_from": local(10)}),
        ("d", {"khm": 45, "vie": 40}, "emergency", local(6, 2), {}),
        ("e", {"khm": 120, "vie": 100}, "normal", local(6, 3), {"valid_until": local(11, 4)}),
        ("f", {"khm": 60, "vie": 60}, "priority", local(6, 4), {}),
        ("g", {"vie": 200, "khm": 250}, "normal", local(6, 5), {}),
        ("h", {"khm": 30, "vie": 25}, "emergency", local(11, 1), {}),
        ("i", {"khm": 50, "vie": 60}, "normal", local(11, 2), {}),
    ]
    reported = set()
    for title, readings, priority, at, validity in plan:
        result = publish(sqlite_world, title, readings, priority=priority, now=at, **validity)
        reported |= {title} if "LOA-KHM" in result.unplaced else set()

    rows = program(sqlite_world, "LOA-KHM")
    with storage.session_scope(sqlite_world) as session:
        windows = {
            name: (opens, closes) for name, opens, closes in storage.unit_broadcast(session, "V1").windows
        }
    readings = {title: r for title, r, *_ in plan}
    assert {t for t, *_ in rows} | reported == set(readings)
    for title in {t for t, *_ in rows}:
        mine = [r for r in rows if r[0] == title]
        if mine[0][2].startswith("khẩn cấp"):
            mine = [r for r in mine if r[2] == "khẩn cấp"]
        assert [lang for _, lang, *_ in mine] == [lang for lang in ("khm", "vie") if lang in readings[title]]
        for first, second in pairwise(mine):  # back to back, in one window
            assert first[2] == second[2]
            assert first[3] + timedelta(seconds=readings[title][first[1]]) == second[3]
    spoken = sorted((s, s + timedelta(seconds=readings[t][lang]), w) for t, lang, w, s, _ in rows)
    emergencies = [s for s in spoken if s[2].startswith("khẩn cấp")]
    others = [s for s in spoken if not s[2].startswith("khẩn cấp")]
    # an emergency cuts into what is on air (its sequence included); nothing else ever overlaps
    for group in (emergencies, others):
        for (_, first_end, _), (second_start, _, _) in pairwise(group):
            assert first_end <= second_start
    for starts, ends, window in others:
        opens, closes = windows[window]
        day = starts.astimezone(TZ).date()
        assert datetime.combine(day, opens, TZ) <= starts and ends <= datetime.combine(day, closes, TZ)
