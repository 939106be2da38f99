"""proof of play: a confirmation keeps what was played, its slot, when it really played and how it ended

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 15:35:00

``content_sha256`` is the sha256 of the audio the device played (or, for a device that does not send
it, of the item's approved audio when the confirmation arrived); ``slot_starts_at``/``slot_ends_at``
the slot the device was given; ``started_at``/``ended_at`` when it really played (server time);
``outcome`` the device's own words ("completed", "interrupted", "amplifier failure"...). They are
copied onto the confirmation so it still says what was played after the bulletin is edited or its
items move or go.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


COLUMNS = (
    ("content_sha256", sqlmodel.sql.sqltypes.AutoString(length=64)),
    ("slot_starts_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    ("slot_ends_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    ("started_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    ("ended_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    ("outcome", sqlmodel.sql.sqltypes.AutoString(length=200)),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("playback_confirmation", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+): a table rebuild would drop the outcome triggers of 0007.
    for name, _ in reversed(COLUMNS):
        op.drop_column("playback_confirmation", name)
