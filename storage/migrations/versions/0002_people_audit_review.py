"""people, audit chain, review requests; approved content referenced by hash

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # SQLite stores enums as plain text; PostgreSQL's native type needs the new value.
        op.execute("ALTER TYPE bulletinstatus ADD VALUE IF NOT EXISTS 'expired'")
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "role", sa.Enum("editor", "reviewer", "translator", "officer", name="personrole"), nullable=False
        ),
        sa.Column("office", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("totp_secret_enc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["unit_code"], ["admin_unit.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_role"), ["role"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_unit_code"), ["unit_code"], unique=False)

    op.create_table(
        "review_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("flow_run_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "status", sa.Enum("waiting", "decided", "expired", name="reviewrequeststatus"), nullable=False
        ),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["bulletin_version.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id"),
    )
    with op.batch_alter_table("review_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_request_status"), ["status"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("row_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_bulletin_id"), ["bulletin_id"], unique=False)

    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "content_digest",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )
        batch_op.create_index(batch_op.f("ix_review_person_id"), ["person_id"], unique=False)
        batch_op.create_foreign_key("fk_review_person_id_person", "person", ["person_id"], ["id"])

    with op.batch_alter_table("playlist_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "audio_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=""
            )
        )
    _backfill_audio_sha256()


def _backfill_audio_sha256() -> None:
    """Items scheduled before this revision name the audio their rendition held (those versions are frozen)."""
    rendition = sa.table(
        "rendition",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("audio_key", sa.String),
        sa.column("details", sa.JSON),
    )
    item = sa.table(
        "playlist_item", sa.column("rendition_id", sa.Integer), sa.column("audio_sha256", sa.String)
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(rendition.c.id, rendition.c.audio_key, rendition.c.details).where(
            sa.cast(rendition.c.kind, sa.String) == "audio",
            rendition.c.id.in_(sa.select(item.c.rendition_id)),
        )
    ).all()
    for rendition_id, audio_key, details in rows:
        sha = (details or {}).get("sha256") or (audio_key or "").rsplit("/", 1)[-1].removesuffix(".mp3")
        if len(sha) == 64:
            bind.execute(item.update().where(item.c.rendition_id == rendition_id).values(audio_sha256=sha))


def downgrade() -> None:
    with op.batch_alter_table("playlist_item", schema=None) as batch_op:
        batch_op.drop_column("audio_sha256")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_constraint("fk_review_person_id_person", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_review_person_id"))
        batch_op.drop_column("content_digest")
        batch_op.drop_column("person_id")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_bulletin_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))
    op.drop_table("audit_event")
    with op.batch_alter_table("review_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_request_status"))
    op.drop_table("review_request")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_unit_code"))
        batch_op.drop_index(batch_op.f("ix_person_role"))
        batch_op.drop_index(batch_op.f("ix_person_name"))
    op.drop_table("person")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TYPE IF EXISTS reviewrequeststatus")
        op.execute("DROP TYPE IF EXISTS personrole")
    # 'expired' stays in PostgreSQL's bulletinstatus type: enum values cannot be dropped in place.
