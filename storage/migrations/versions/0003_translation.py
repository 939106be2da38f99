"""translation memory, per-unit broadcast languages, translators' languages

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 11:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translation_memory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("target_language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("source_text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("target_text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("target_template", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["bulletin_version.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("target_language", "source_hash"),
    )
    with op.batch_alter_table("translation_memory", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_translation_memory_target_language"), ["target_language"], unique=False
        )
    op.create_table(
        "unit_languages",
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_code"], ["admin_unit.code"]),
        sa.PrimaryKeyConstraint("unit_code"),
    )
    op.create_table(
        "translator_language",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id", "language"),
    )


def downgrade() -> None:
    op.drop_table("translator_language")
    op.drop_table("unit_languages")
    with op.batch_alter_table("translation_memory", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_translation_memory_target_language"))
    op.drop_table("translation_memory")
