"""manifest changes and emergency repetition: what wakes waiting devices, how often an emergency repeats

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:50:00

``manifest_generation`` is one row whose counter every distribution or withdrawal raises (the row
lock orders them, so generations commit in order); ``manifest_change`` holds, per unit, the
generation of the last change to its devices' manifests: a gateway process polls the one row
cheaply and reads the changed units only when it moved. ``emergency_repeat`` sets how often an
emergency repeats on a unit's loudspeakers (``*`` is the default for every unit).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    generation = op.create_table(
        "manifest_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(generation, [{"id": 1, "generation": 0}])
    op.create_table(
        "manifest_change",
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("unit_code"),
    )
    op.create_index("ix_manifest_change_generation", "manifest_change", ["generation"])
    op.create_table(
        "emergency_repeat",
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("every_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("unit_code"),
    )


def downgrade() -> None:
    op.drop_table("emergency_repeat")
    op.drop_index("ix_manifest_change_generation", table_name="manifest_change")
    op.drop_table("manifest_change")
    op.drop_table("manifest_generation")
