"""Confirmation batches as the gateway hands them over, on a SQLite file and on PostgreSQL.

A batch is stored with one insert that skips ids already stored; what it does not store is judged
against what is stored under its id: the same content is a duplicate, other content a conflict, and
an unknown id that fails its checks is refused with its reason. Nothing stored is lost or changed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

import storage
from storage import ConfirmationEvent, PlaybackStatus
from storage.models import PlaylistItemOutcome
from storage.playback import record_confirmations
from tests.storage.test_data import approve_and_distribute, produced

COMMUNE = "18904"  # Xã Dân Hóa
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam: the items are in the afternoon window
RECEIVED = NOW + timedelta(hours=8)
AUDIO = "a" * 64  # the approved audio of produced() (its content-addressed key)


@pytest.fixture
def items(engine):  # type: ignore[no-untyped-def]
    """Two loudspeakers of one village with one delivered item each: {device id: item}."""
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        storage.import_records(
            session=session,
            rows=[
                {"type": "village", "code": "V1", "name": "Bản Ra Mai", "parent": COMMUNE},
                {"type": "device", "id": "LOA-1", "kind": "speaker_cluster", "unit": "V1"},
                {"type": "device", "id": "LOA-2", "kind": "speaker_cluster", "unit": "V1"},
            ],
        )
    approve_and_distribute(engine, produced(engine), NOW)
    found = {}
    with storage.session_scope(engine) as session:
        for device_id in ("LOA-1", "LOA-2"):
            device = storage.get_device(session, device_id)
            [entry] = storage.device_playlist(session=session, device=device, now=NOW)  # marks it delivered
            found[device_id] = session.get(storage.PlaylistItem, entry.item_id)
    return found


def played(item: storage.PlaylistItem, minutes: int = 0, **changes) -> ConfirmationEvent:  # type: ignore[no-untyped-def]
    """A full play of ``item`` with its proof of play, ``minutes`` after its slot started."""
    start = item.starts_at.replace(tzinfo=UTC) + timedelta(
        minutes=minutes, microseconds=654321
    )  # kept exactly
    fields = {
        "event_id": uuid.uuid4(),
        "item_id": item.id,
        "status": PlaybackStatus.played,
        "occurred_at": start + timedelta(seconds=30),
        "duration_s": 30.0,
        "sha256": AUDIO,
        "slot_starts_at": item.starts_at.replace(tzinfo=UTC),
        "slot_ends_at": item.ends_at.replace(tzinfo=UTC),
        "started_at": start,
        "ended_at": start + timedelta(seconds=30),
        "outcome": "completed",
    }
    return ConfirmationEvent(**{**fields, **changes})


def record(engine, device_id: str, events: list[ConfirmationEvent]) -> storage.ConfirmationResult:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        device = storage.get_device(session, device_id)
        return record_confirmations(session=session, device=device, events=events, now=RECEIVED)


def stored(engine) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    """Every stored confirmation by event id: (device, item, status, occurred_at, duration, proof of play)."""
    with storage.session_scope(engine) as session:
        rows = session.exec(select(storage.PlaybackConfirmation)).all()
        assert session.exec(select(func.count()).select_from(storage.PlaybackConfirmation)).one() == len(rows)
    return {
        str(r.event_id): (
            r.device_id,
            r.playlist_item_id,
            r.status,
            r.occurred_at.astimezone(UTC),
            r.duration_s,
            r.content_sha256,
            r.started_at and r.started_at.astimezone(UTC),
            r.ended_at and r.ended_at.astimezone(UTC),
            r.outcome,
        )
        for r in rows
    }


def test_a_batch_of_100_stores_100_and_the_same_batch_again_stores_nothing(engine, items) -> None:  # type: ignore[no-untyped-def]
    item = items["LOA-1"]
    batch = [played(item, minutes=k % 40) for k in range(100)]
    ids = [str(e.event_id) for e in batch]

    first = record(engine, "LOA-1", batch)
    again = record(engine, "LOA-1", batch)

    assert first.accepted == ids and first.duplicates == first.conflicts == [] and first.rejected == {}
    assert again.duplicates == ids and again.accepted == again.conflicts == [] and again.rejected == {}
    rows = stored(engine)
    assert sorted(rows) == sorted(ids)
    event = batch[7]
    assert rows[ids[7]] == (
        "LOA-1",
        item.id,
        PlaybackStatus.played,
        event.occurred_at,
        30.0,
        AUDIO,
        event.started_at,
        event.ended_at,
        "completed",
    )
    with storage.session_scope(engine) as session:
        outcome = session.get(PlaylistItemOutcome, item.id)
        kept = session.exec(
            select(storage.PlaybackConfirmation).where(
                storage.PlaybackConfirmation.event_id == event.event_id
            )
        ).one()
    assert outcome.confirmations == 100 and outcome.played == 1  # folded once per stored row, not per resend
    assert kept.received_at.astimezone(UTC) == RECEIVED
    assert kept.slot_starts_at.astimezone(UTC) == item.starts_at.replace(tzinfo=UTC)


def test_a_mixed_batch_reports_each_event_and_loses_nothing_stored(engine, items) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = items["LOA-1"], items["LOA-2"]
    earlier = [played(mine, minutes=k) for k in range(10)]
    record(engine, "LOA-1", earlier)
    before = stored(engine)

    new = [played(mine, minutes=20 + k) for k in range(5)]
    resent = earlier[:3]
    reused = [
        played(mine, event_id=earlier[3].event_id, status=PlaybackStatus.failed)
    ]  # same id, other content
    reused.append(played(mine, event_id=earlier[4].event_id, duration_s=12.0))
    not_mine = played(theirs)  # an item scheduled on another loudspeaker
    known_elsewhere = played(
        theirs, event_id=earlier[5].event_id
    )  # refused item, but its id is stored: a conflict
    future = played(mine, occurred_at=RECEIVED + timedelta(hours=1))
    wrong_audio = played(mine, sha256="b" * 64)
    twice = played(mine, minutes=30)
    twice_other = played(mine, minutes=31, event_id=twice.event_id)  # the batch reuses its own new id
    late = played(mine, minutes=-3 * 24 * 60)  # three days late: still taken
    naive_resend = played(
        mine, event_id=earlier[6].event_id, occurred_at=earlier[6].occurred_at.replace(tzinfo=None)
    )
    batch = [
        new[0],
        *resent,
        reused[0],
        not_mine,
        new[1],
        twice,
        known_elsewhere,
        future,
        new[2],
        twice_other,
        wrong_audio,
        reused[1],
        late,
        new[3],
        naive_resend,
        twice,
        new[4],
    ]

    result = record(engine, "LOA-1", batch)

    key = lambda e: str(e.event_id)  # noqa: E731
    assert result.accepted == [key(e) for e in (new[0], new[1], twice, new[2], late, new[3], new[4])]
    assert result.duplicates == [*map(key, resent), key(naive_resend), key(twice)]
    assert result.conflicts == [key(reused[0]), key(known_elsewhere), key(twice_other), key(reused[1])]
    assert set(result.rejected) == {key(not_mine), key(future), key(wrong_audio)}
    assert "not scheduled on device LOA-1" in result.rejected[key(not_mine)]
    assert "in the future" in result.rejected[key(future)]
    assert "is not the audio of playlist item" in result.rejected[key(wrong_audio)]
    after = stored(engine)
    assert {k: after[k] for k in before} == before  # what was stored is kept as it was
    assert set(after) - set(before) == set(result.accepted)
    assert after[key(twice)][3] == twice.occurred_at  # the first of a batch's repeated ids is the one kept


def test_a_batch_where_nothing_passes_stores_nothing_and_says_why(engine, items) -> None:  # type: ignore[no-untyped-def]
    events = [played(items["LOA-2"]) for _ in range(3)]
    result = record(engine, "LOA-1", events)
    assert result.accepted == result.duplicates == result.conflicts == []
    assert list(result.rejected) == [str(e.event_id) for e in events]
    assert stored(engine) == {}
