"""Each item's outcome is folded from its confirmations by the database as they arrive (migration 0007).

The evaluation reads these outcomes; they must give the hand-computed figures however confirmations
arrive: in batches through the device API's storage function, late, duplicated, changed or removed,
and for confirmations stored before the migration (its backfill).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

import storage
from storage.db import alembic_config
from storage.metrics import day_period, reach_metrics
from storage.models import Device, PlaybackConfirmation, PlaybackStatus, PlaylistItem, PlaylistItemOutcome
from storage.playback import ConfirmationEvent, record_confirmations
from tests.storage.test_metrics import DAY, NOW, at, build_reach_world

# Columns added by migration 0010, after the revision this test goes back to.
PROOF_OF_PLAY_COLUMNS = {
    "content_sha256",
    "slot_starts_at",
    "slot_ends_at",
    "started_at",
    "ended_at",
    "outcome",
}


def bulletin_counts(engine, bulletin_id: int):  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        result = reach_metrics(session=session, period=day_period(DAY), now=NOW)
    return next(r.counts for r in result.by_bulletin if r.key["bulletin_id"] == bulletin_id)


def item_of(engine, device: str, bulletin_id: int, window: str) -> int:
    with storage.session_scope(engine) as session:
        return session.exec(
            select(PlaylistItem.id).where(
                PlaylistItem.device_id == device,
                PlaylistItem.bulletin_id == bulletin_id,
                PlaylistItem.window_name == window,
            )
        ).one()


def confirm(engine, device: str, *events: ConfirmationEvent, received=None):  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        return record_confirmations(
            session=session, device=session.get(Device, device), events=list(events), now=received or NOW
        )


def test_batches_arriving_one_after_another_update_the_outcome(engine) -> None:  # type: ignore[no-untyped-def]
    world = build_reach_world(engine)
    before = bulletin_counts(engine, world["b1"])
    d2_evening = item_of(engine, "D2", world["b1"], "chiều")  # failed so far, never fetched
    # A late batch: a partial play inside the window, then (another batch) a full one after it, with
    # a resend of the first; the failure stops counting, the item counts once, and in full.
    first = ConfirmationEvent(uuid.uuid4(), d2_evening, PlaybackStatus.played, at(10, 20, day=11), 30.0)
    result = confirm(engine, "D2", first, received=at(8, 0, day=12))
    assert result.accepted == [str(first.event_id)]
    full = ConfirmationEvent(uuid.uuid4(), d2_evening, PlaybackStatus.played, at(12, 0, day=11), 100.0)
    resend = ConfirmationEvent(uuid.uuid4(), d2_evening, PlaybackStatus.played, at(10, 20, day=11), 30.0)
    confirm(engine, "D2", full, resend, received=at(9, 0, day=12))
    after = bulletin_counts(engine, world["b1"])
    assert after.played == before.played + 1
    assert after.failed == before.failed - 1
    assert after.played_on_time == before.played_on_time + 1  # the 17:20 local play was inside the window
    assert after.played_full == before.played_full + 1
    assert after.completion_sum == pytest.approx(before.completion_sum + 1.0)
    with storage.session_scope(engine) as session:
        outcome = session.get(PlaylistItemOutcome, d2_evening)
        assert (outcome.played, outcome.failed, outcome.confirmations) == (1, 1, 4)
        assert outcome.first_played_at == at(10, 20, day=11)


def test_a_removed_confirmation_is_taken_out_of_the_outcome(engine) -> None:  # type: ignore[no-untyped-def]
    world = build_reach_world(engine)
    d1_morning = item_of(engine, "D1", world["b1"], "sáng")  # played twice (a replay), both in full
    with storage.session_scope(engine) as session:
        rows = session.exec(
            select(PlaybackConfirmation)
            .where(PlaybackConfirmation.playlist_item_id == d1_morning)
            .order_by(PlaybackConfirmation.occurred_at)
        ).all()
        session.delete(rows[0])
    with storage.session_scope(engine) as session:
        outcome = session.get(PlaylistItemOutcome, d1_morning)
        assert outcome.confirmations == 1 and outcome.first_played_at == at(23, 6)
    assert bulletin_counts(engine, world["b1"]).first_play_delay_s == pytest.approx(66 * 60)  # approved 22:00
    with storage.session_scope(engine) as session:
        left = select(PlaybackConfirmation).where(PlaybackConfirmation.playlist_item_id == d1_morning)
        session.delete(session.exec(left).one())
    with storage.session_scope(engine) as session:
        assert session.get(PlaylistItemOutcome, d1_morning) is None
    counts = bulletin_counts(engine, world["b1"])
    assert counts.played == 4 and counts.first_play_delay_s == pytest.approx(70 * 60)  # D2's 23:10 play


def test_the_migration_backfills_confirmations_stored_before_it(engine, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    world = build_reach_world(engine)
    expected = bulletin_counts(engine, world["b1"]), bulletin_counts(engine, world["b2"])
    engine.dispose()
    command.downgrade(alembic_config(db_url), "0006")  # the outcome table and its triggers are gone
    table = PlaybackConfirmation.__table__
    old_columns = [c for c in table.c if c.name not in PROOF_OF_PLAY_COLUMNS]  # not there before 0010
    with storage.session_scope(engine) as session:
        late = session.execute(select(*old_columns).order_by(table.c.id)).first()
        # A confirmation stored while no trigger existed: only the backfill can count it.
        session.execute(
            table.insert().values(
                event_id=uuid.uuid4(),
                device_id=late.device_id,
                playlist_item_id=late.playlist_item_id,
                status=PlaybackStatus.played,
                occurred_at=late.occurred_at - timedelta(minutes=4),
                received_at=late.received_at,
                duration_s=100.0,
            )
        )
    command.upgrade(alembic_config(db_url), "head")
    engine.dispose()
    b1, b2 = bulletin_counts(engine, world["b1"]), bulletin_counts(engine, world["b2"])
    assert b2 == expected[1]
    assert (b1.targeted, b1.played, b1.played_full, b1.played_on_time, b1.failed) == (6, 5, 4, 4, 1)
    assert b1.completion_sum == pytest.approx(expected[0].completion_sum)
    assert b1.first_play_delay_s == pytest.approx(61 * 60)  # the backfilled 23:01 play is now the first


def test_the_officer_schedule_counts_plays_from_the_outcomes(engine) -> None:  # type: ignore[no-untyped-def]
    world = build_reach_world(engine)
    with storage.session_scope(engine) as session:
        status = storage.unit_status(session=session, unit_code="C1", now=at(2, 0, day=11))
    rows = [(s["window_name"], s["bulletin_id"], s["devices"], s["played"]) for s in status.schedule]
    # Morning: D1, D2, the e-board and DM (in V2 when scheduled) all played; evening: D1 late, D2 failed.
    assert rows == [("sáng", world["b1"], 4, 4), ("chiều", world["b1"], 2, 1)]
