"""evaluation: each playlist item keeps the unit its device was in when scheduled; indexes for metrics

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# A device moved to another village keeps its past plays counted where they happened: the database
# records the device's unit on every new playlist item, whatever code inserts it.
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION playlist_item_unit() RETURNS trigger AS $$
BEGIN
    IF NEW.unit_code IS NULL THEN
        SELECT unit_code INTO NEW.unit_code FROM device WHERE id = NEW.device_id;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
_PG_TRIGGER = (
    "CREATE TRIGGER playlist_item_unit BEFORE INSERT ON playlist_item "
    "FOR EACH ROW EXECUTE FUNCTION playlist_item_unit()"
)
_SQLITE_TRIGGER = """
CREATE TRIGGER playlist_item_unit AFTER INSERT ON playlist_item
FOR EACH ROW WHEN NEW.unit_code IS NULL
BEGIN
    UPDATE playlist_item SET unit_code = (SELECT unit_code FROM device WHERE id = NEW.device_id)
    WHERE id = NEW.id;
END
"""


def upgrade() -> None:
    with op.batch_alter_table("playlist_item") as batch:
        batch.add_column(sa.Column("unit_code", sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE playlist_item SET unit_code = (SELECT unit_code FROM device WHERE device.id = playlist_item.device_id)"
    )
    op.create_index("ix_playlist_item_starts_at", "playlist_item", ["starts_at"])
    op.create_index("ix_playlist_item_unit_code", "playlist_item", ["unit_code"])
    op.create_index("ix_heartbeat_device_received", "heartbeat", ["device_id", "received_at"])
    op.create_index("ix_citizen_feedback_created_at", "citizen_feedback", ["created_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS playlist_item_unit"
        + (" ON playlist_item" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS playlist_item_unit()")
    op.drop_index("ix_citizen_feedback_created_at", "citizen_feedback")
    op.drop_index("ix_heartbeat_device_received", "heartbeat")
    op.drop_index("ix_playlist_item_unit_code", "playlist_item")
    op.drop_index("ix_playlist_item_starts_at", "playlist_item")
    with op.batch_alter_table("playlist_item") as batch:
        batch.drop_column("unit_code")
