"""The data layer on a SQLite file and on PostgreSQL: units, drafts, devices, distribution, reach."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

import storage
from storage import (
    BulletinDraft,
    ConfirmationEvent,
    PlaybackStatus,
    Priority,
    RenditionKind,
    ReviewDecision,
)

PROVINCE = "Quảng Trị"
COMMUNE = "18904"  # Xã Dân Hóa
OTHER_COMMUNE = "18922"  # Xã Kim Điền


def count(session, table) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(func.count()).select_from(table)).one()


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    """A province, two villages with a loudspeaker cluster each and an e-board."""
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province=PROVINCE)
        result = storage.import_records(
            session=session,
            rows=[
                {"type": "village", "code": "V1", "name": "Bản Ra Mai", "parent": COMMUNE},
                {"type": "village", "code": "V2", "name": "Thôn Kim Lũ", "parent": OTHER_COMMUNE},
                {
                    "type": "device",
                    "id": "LOA-V1",
                    "kind": "speaker_cluster",
                    "unit": "V1",
                    "languages": "vie,khm",
                },
                {"type": "device", "id": "LOA-V2", "kind": "speaker_cluster", "unit": "V2"},
                {"type": "device", "id": "BANG-1", "kind": "eboard", "unit": COMMUNE},
            ],
        )
    return result.tokens


def draft(**overrides) -> BulletinDraft:  # type: ignore[no-untyped-def]
    fields = {
        "title": "Phòng chống bão số 5",
        "body": "Bà con chằng chống nhà cửa trước 17h ngày 22/11.",
        "source_unit": "44",
        "target_units": [COMMUNE],
        "external_id": "b-1",
    }
    return BulletinDraft(**{**fields, **overrides})


def produced(engine, **overrides) -> int:  # type: ignore[no-untyped-def]
    """A stored draft with audio and e-board renditions; returns the version id."""
    with storage.session_scope(engine) as session:
        _, version, _ = storage.save_draft(session=session, draft=draft(**overrides))
        storage.save_rendition(
            session=session,
            version_id=version.id,
            language="vie",
            kind=RenditionKind.audio,
            audio_key="audio/" + "a" * 64 + ".mp3",
            duration_s=30.0,
        )
        storage.save_rendition(
            session=session,
            version_id=version.id,
            language="vie",
            kind=RenditionKind.eboard,
            text="Phòng chống bão số 5",
        )
        return version.id


def test_province_import_brings_every_commune_and_is_idempotent(engine) -> None:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        first = storage.import_province(session=session, province="quang tri")
    with storage.session_scope(engine) as session:
        again = storage.import_province(session=session, province="Tỉnh Quảng Trị")
        assert first.communes == again.communes == 78
        assert (first.added, again.added) == (79, 0)
        assert count(session, storage.AdminUnit) == 79
        assert storage.get_unit(session, COMMUNE).name == "Xã Dân Hóa"


def test_unknown_province_suggests_names(engine) -> None:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session, pytest.raises(storage.UnknownUnit) as err:
        storage.import_province(session=session, province="Quảng")
    assert "Quảng Trị" in err.value.message_en and "Quảng Ninh" in err.value.message_en


def test_upper_level_sees_villages_below(engine, world) -> None:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        below = storage.descendant_codes(session, ["44"])
        assert {"V1", "V2", COMMUNE} <= below
        assert storage.ancestor_codes(session, "V1") == ["V1", COMMUNE, "44"]


def test_empty_draft_is_refused_and_nothing_is_written(engine, world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(storage.InvalidDraft) as err, storage.session_scope(engine) as session:
        storage.save_draft(session=session, draft=draft(body="   \n "))
    assert "trống" in err.value.message_vi
    with storage.session_scope(engine) as session:
        assert count(session, storage.Bulletin) == 0


def test_unknown_target_unit_is_refused_and_nothing_is_written(engine, world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(storage.UnknownUnit) as err, storage.session_scope(engine) as session:
        storage.save_draft(session=session, draft=draft(target_units=[COMMUNE, "99999"]))
    assert "99999" in str(err.value)
    with storage.session_scope(engine) as session:
        assert count(session, storage.Bulletin) == 0 and count(session, storage.BulletinTarget) == 0


def test_resubmitting_the_same_draft_makes_no_new_version(engine, world) -> None:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        _, first, created = storage.save_draft(session=session, draft=draft())
        _, same, created_again = storage.save_draft(session=session, draft=draft())
        _, edited, _ = storage.save_draft(session=session, draft=draft(body="Nội dung đã sửa."))
    assert (created, created_again) == (True, False)
    assert first.id == same.id and edited.number == 2


def test_device_import_with_a_bad_row_writes_nothing(engine, world) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {"type": "device", "id": "NEW-1", "unit": COMMUNE},
        {"type": "device", "id": "NEW-2", "unit": "NO-SUCH-UNIT"},
    ]
    with pytest.raises(storage.InvalidImport) as err, storage.session_scope(engine) as session:
        storage.import_records(session=session, rows=rows)
    assert "row 2" in err.value.message_en and "NO-SUCH-UNIT" in err.value.message_en
    with storage.session_scope(engine) as session:
        assert session.get(storage.Device, "NEW-1") is None


def test_devices_from_csv(engine, world) -> None:  # type: ignore[no-untyped-def]
    text = "type,code,name,parent,kind,languages\nvillage,V3,Thôn Mới,18904,,vie\ndevice,LOA-V3,Cụm loa,V3,loa,vie;khm\n"
    with storage.session_scope(engine) as session:
        result = storage.import_records(session=session, rows=storage.parse_records(text, "csv"))
        assert (result.villages_added, result.devices_added) == (1, 1)
        assert storage.get_device(session, "LOA-V3").languages == ["vie", "khm"]


def test_a_device_cannot_use_another_devices_token(engine, world) -> None:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        assert (
            storage.authenticate_device(session=session, device_id="LOA-V1", token=world["LOA-V1"]).id
            == "LOA-V1"
        )
        with pytest.raises(storage.DeviceAuthError):
            storage.authenticate_device(session=session, device_id="LOA-V2", token=world["LOA-V1"])
        with pytest.raises(storage.DeviceAuthError):
            storage.authenticate_device(session=session, device_id="NOPE", token=world["LOA-V1"])


def test_nothing_is_distributed_without_approval(engine, world) -> None:  # type: ignore[no-untyped-def]
    version_id = produced(engine)
    with pytest.raises(storage.InvalidDraft) as err, storage.session_scope(engine) as session:
        storage.distribute_version(session=session, version_id=version_id)
    assert "approved" in err.value.message_en
    with storage.session_scope(engine) as session:
        assert count(session, storage.PlaylistItem) == 0


def approve_and_distribute(engine, version_id: int, now: datetime):  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        storage.record_review(
            session=session, version_id=version_id, reviewer="Trưởng ban", decision=ReviewDecision.approve
        )
        return storage.distribute_version(session=session, version_id=version_id, now=now)


def test_approved_bulletin_reaches_devices_of_target_units_only(engine, world) -> None:  # type: ignore[no-untyped-def]
    version_id = produced(engine)
    now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam: next window is the afternoon one
    result = approve_and_distribute(engine, version_id, now)
    assert (result.items_created, result.devices) == (2, 2)  # LOA-V1 and BANG-1; LOA-V2 is elsewhere
    again = approve_and_distribute(engine, version_id, now)
    assert (again.items_created, again.items_existing) == (0, 2)
    with storage.session_scope(engine) as session:
        speaker = storage.device_playlist(
            session=session, device=storage.get_device(session, "LOA-V1"), now=now
        )
        board = storage.device_playlist(
            session=session, device=storage.get_device(session, "BANG-1"), now=now
        )
        assert [e.kind for e in speaker] == ["audio"] and [e.kind for e in board] == ["eboard"]
        assert speaker[0].starts_at.astimezone(UTC) == datetime(
            2026, 11, 22, 10, 0, tzinfo=UTC
        )  # 17:00 local
        assert (
            storage.device_playlist(session=session, device=storage.get_device(session, "LOA-V2"), now=now)
            == []
        )


def test_emergency_preempts_scheduled_item(engine, world) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    approve_and_distribute(engine, produced(engine), now)
    urgent = produced(engine, external_id="b-2", title="KHẨN CẤP: sơ tán", priority=Priority.emergency)
    approve_and_distribute(engine, urgent, now)
    with storage.session_scope(engine) as session:
        entries = storage.device_playlist(
            session=session, device=storage.get_device(session, "LOA-V1"), now=now
        )
    assert [e.priority for e in entries] == ["emergency", "normal"]
    assert entries[0].starts_at.astimezone(UTC) == now


def test_confirmations_are_idempotent_and_checked(engine, world) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    approve_and_distribute(engine, produced(engine), now)
    with storage.session_scope(engine) as session:
        device = storage.get_device(session, "LOA-V1")
        item = storage.device_playlist(session=session, device=device, now=now)[0].item_id
        other = storage.get_device(session, "BANG-1")
        played = ConfirmationEvent(uuid.uuid4(), item, PlaybackStatus.played, now + timedelta(hours=7))
        late = ConfirmationEvent(uuid.uuid4(), item, PlaybackStatus.played, now - timedelta(days=3))
        future = ConfirmationEvent(uuid.uuid4(), item, PlaybackStatus.played, now + timedelta(days=2))
        first = storage.record_confirmations(
            session=session, device=device, events=[played, late, future], now=now + timedelta(hours=8)
        )
        retry = storage.record_confirmations(
            session=session, device=device, events=[played], now=now + timedelta(hours=9)
        )
        stolen = storage.record_confirmations(
            session=session,
            device=other,
            events=[ConfirmationEvent(uuid.uuid4(), item, PlaybackStatus.played, now)],
        )
    assert len(first.accepted) == 2 and str(future.event_id) in first.rejected
    assert retry.duplicates == [str(played.event_id)] and retry.accepted == []
    assert stolen.accepted == [] and len(stolen.rejected) == 1
    with storage.session_scope(engine) as session:
        assert count(session, storage.PlaybackConfirmation) == 2


def test_reach_counts_plays_per_bulletin_language_and_level(engine, world) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    approve_and_distribute(engine, produced(engine, target_units=[COMMUNE, OTHER_COMMUNE]), now)
    with storage.session_scope(engine) as session:
        device = storage.get_device(session, "LOA-V1")
        item = storage.device_playlist(session=session, device=device, now=now)[0].item_id
        storage.record_confirmations(
            session=session,
            device=device,
            now=now + timedelta(hours=8),
            events=[ConfirmationEvent(uuid.uuid4(), item, PlaybackStatus.played, now + timedelta(hours=7))],
        )
        report = storage.reach(session=session)
    (bulletin,) = report["bulletin"]
    assert (bulletin.scheduled, bulletin.delivered, bulletin.played) == (3, 1, 1)  # only LOA-V1 fetched
    levels = {row.key: row for row in report["level"]}
    assert levels["province"].scheduled == 3 and levels["village"].scheduled == 2
    assert levels["village"].played == 1
    assert {row.key for row in report["language"]} == {"vie"}
