"""outcome of each playlist item kept up to date as confirmations arrive; devices report free storage

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# One row per playlist item with at least one confirmation: what the evaluation needs of its
# confirmations, folded as they arrive so that a year's evaluation reads 1.5 million summaries
# instead of 5 million confirmations. Every figure is a maximum, a minimum or a count, so the order
# confirmations arrive in (late, duplicated) does not matter. Definitions as in storage.metrics:
# played = a 'played' or 'displayed'; on time = such a play inside the window at the earlier of the
# device's clock and the server's receipt; heard = the share of the rendition heard (displayed,
# or a play without durations, counts as whole).
_SUCCESS = "c.status IN ('played', 'displayed')"


def _fold(least: str, source: str, where: str = "") -> str:
    """SELECT of outcome rows from the confirmations in ``source`` (any number per item)."""
    played_at = f"{least}(c.occurred_at, c.received_at)"
    heard = (
        "CASE WHEN c.status = 'displayed' THEN 1.0 WHEN c.status = 'played' THEN "
        "CASE WHEN r.duration_s IS NULL OR r.duration_s <= 0 OR c.duration_s IS NULL THEN 1.0 "
        f"ELSE {least}(c.duration_s / r.duration_s, 1.0) END ELSE 0.0 END"
    )
    return f"""
SELECT c.playlist_item_id,
       MAX(CASE WHEN {_SUCCESS} THEN 1 ELSE 0 END),
       MAX(CASE WHEN {_SUCCESS} AND {played_at} >= i.starts_at AND {played_at} <= i.ends_at THEN 1 ELSE 0 END),
       MAX(CASE WHEN c.status = 'failed' THEN 1 ELSE 0 END),
       MAX({heard}),
       MIN(CASE WHEN {_SUCCESS} THEN {played_at} END),
       COUNT(*)
FROM {source} c
JOIN playlist_item i ON i.id = c.playlist_item_id
JOIN rendition r ON r.id = i.rendition_id
WHERE 1 = 1 {where}
GROUP BY c.playlist_item_id
ORDER BY c.playlist_item_id"""


_COLUMNS = "(playlist_item_id, played, played_on_time, failed, heard, first_played_at, confirmations)"

# PostgreSQL folds a whole statement's rows at once (a device's batch, or a COPY of millions).
_PG_MERGE = """
ON CONFLICT (playlist_item_id) DO UPDATE SET
    played = GREATEST(o.played, EXCLUDED.played),
    played_on_time = GREATEST(o.played_on_time, EXCLUDED.played_on_time),
    failed = GREATEST(o.failed, EXCLUDED.failed),
    heard = GREATEST(o.heard, EXCLUDED.heard),
    first_played_at = LEAST(o.first_played_at, EXCLUDED.first_played_at),
    confirmations = o.confirmations + EXCLUDED.confirmations"""
_PG_ADD = f"""
CREATE OR REPLACE FUNCTION playlist_item_outcome_add() RETURNS trigger AS $$
BEGIN
    INSERT INTO playlist_item_outcome AS o {_COLUMNS}
    {_fold("LEAST", "new_confirmations")}
    {_PG_MERGE};
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""
# Confirmations are append-only; should one be changed or removed, its item is folded again.
_PG_REFOLD = f"""
CREATE OR REPLACE FUNCTION playlist_item_outcome_refold() RETURNS trigger AS $$
BEGIN
    DELETE FROM playlist_item_outcome WHERE playlist_item_id = OLD.playlist_item_id;
    INSERT INTO playlist_item_outcome AS o {_COLUMNS}
    {_fold("LEAST", "playback_confirmation", "AND c.playlist_item_id = OLD.playlist_item_id")}
    {_PG_MERGE};
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER playlist_item_outcome_add AFTER INSERT ON playback_confirmation "
    "REFERENCING NEW TABLE AS new_confirmations FOR EACH STATEMENT EXECUTE FUNCTION playlist_item_outcome_add()",
    "CREATE TRIGGER playlist_item_outcome_refold AFTER UPDATE OR DELETE ON playback_confirmation "
    "FOR EACH ROW EXECUTE FUNCTION playlist_item_outcome_refold()",
)

_SQLITE_MERGE = """
ON CONFLICT (playlist_item_id) DO UPDATE SET
    played = max(played, excluded.played),
    played_on_time = max(played_on_time, excluded.played_on_time),
    failed = max(failed, excluded.failed),
    heard = max(heard, excluded.heard),
    first_played_at = coalesce(min(first_played_at, excluded.first_played_at), first_played_at,
                               excluded.first_played_at),
    confirmations = confirmations + excluded.confirmations"""
_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER playlist_item_outcome_add AFTER INSERT ON playback_confirmation
BEGIN
    INSERT INTO playlist_item_outcome {_COLUMNS}
    {_fold("min", "playback_confirmation", "AND c.id = NEW.id")}
    {_SQLITE_MERGE};
END""",
    *(
        f"""CREATE TRIGGER playlist_item_outcome_refold_{event.lower()} AFTER {event} ON playback_confirmation
BEGIN
    DELETE FROM playlist_item_outcome WHERE playlist_item_id = OLD.playlist_item_id;
    INSERT INTO playlist_item_outcome {_COLUMNS}
    {_fold("min", "playback_confirmation", "AND c.playlist_item_id = OLD.playlist_item_id")}
    {_SQLITE_MERGE};
END"""
        for event in ("UPDATE", "DELETE")
    ),
)


def upgrade() -> None:
    op.create_table(
        "playlist_item_outcome",
        sa.Column("playlist_item_id", sa.Integer(), nullable=False),
        sa.Column("played", sa.SmallInteger(), nullable=False),
        sa.Column("played_on_time", sa.SmallInteger(), nullable=False),
        sa.Column("failed", sa.SmallInteger(), nullable=False),
        sa.Column("heard", sa.Float(), nullable=False),
        sa.Column("first_played_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["playlist_item_id"], ["playlist_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("playlist_item_id"),
    )
    pg = op.get_bind().dialect.name == "postgresql"
    op.execute(
        f"INSERT INTO playlist_item_outcome {_COLUMNS} {_fold('LEAST' if pg else 'min', 'playback_confirmation')}"
    )
    if pg:
        op.execute(_PG_ADD)
        op.execute(_PG_REFOLD)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    with op.batch_alter_table("heartbeat") as batch:
        batch.add_column(sa.Column("free_storage_bytes", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("heartbeat") as batch:
        batch.drop_column("free_storage_bytes")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS playlist_item_outcome_add ON playback_confirmation")
        op.execute("DROP TRIGGER IF EXISTS playlist_item_outcome_refold ON playback_confirmation")
        op.execute("DROP FUNCTION IF EXISTS playlist_item_outcome_add()")
        op.execute("DROP FUNCTION IF EXISTS playlist_item_outcome_refold()")
    else:
        for name in ("add", "refold_update", "refold_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS playlist_item_outcome_{name}")
    op.drop_table("playlist_item_outcome")
