"""a loudspeaker plays a bulletin once per language: the language is part of a playlist item's key

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:10:00

Decree 49/2024: a commune station broadcasts in Vietnamese and in the local minority languages, one
after the other. A loudspeaker gets one item per language of a version in the same window, so the
unique key of ``playlist_item`` (device, version, broadcast date, window) gains ``language``.

SQLite cannot drop a UNIQUE constraint: the table is rebuilt (batch mode) with foreign keys off, as
SQLite's own procedure for schema changes says. With them on, dropping the old table would delete
its rows first, cascading to ``playlist_item_outcome`` and failing on ``playback_confirmation``; the
new table is renamed into place in legacy mode, which leaves the triggers of other tables (0007) as
they are. The rebuild loses the table's own trigger (0004), so it is created again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLE = "playlist_item"
OLD_COLUMNS = ["device_id", "version_id", "broadcast_date", "window_name"]
NEW_COLUMNS = [*OLD_COLUMNS, "language"]
NEW_NAME = "uq_playlist_item_device_version_window_language"
OLD_NAME = "uq_playlist_item_device_version_window"
# SQLite reflects the unnamed constraint of 0001 without a name: batch mode names it by this convention.
_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
_UNNAMED = "uq_playlist_item_device_id"

# As created by 0004: the device's unit is recorded on every new item.
_SQLITE_TRIGGER = """
CREATE TRIGGER playlist_item_unit AFTER INSERT ON playlist_item
FOR EACH ROW WHEN NEW.unit_code IS NULL
BEGIN
    UPDATE playlist_item SET unit_code = (SELECT unit_code FROM device WHERE id = NEW.device_id)
    WHERE id = NEW.id;
END
"""


def _unique_named(columns: list[str]) -> str | None:
    """The name of the table's unique constraint on exactly ``columns`` (None: unnamed or absent)."""
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints(TABLE):
        if list(constraint["column_names"]) == columns:
            return constraint["name"]
    return None


def _rebuild_sqlite(drop: str, create: str, columns: list[str]) -> None:
    context = op.get_context()
    with context.autocommit_block():  # PRAGMA foreign_keys is a no-op inside a transaction
        op.execute("PRAGMA foreign_keys=OFF")
    # The outcome triggers of 0007 name playlist_item: renaming the new table into place must not
    # re-check them while the old table is gone.
    op.execute("PRAGMA legacy_alter_table=ON")
    with op.batch_alter_table(TABLE, recreate="always", naming_convention=_CONVENTION) as batch:
        batch.drop_constraint(drop, type_="unique")
        batch.create_unique_constraint(create, columns)
    op.execute("PRAGMA legacy_alter_table=OFF")
    op.execute("DROP TRIGGER IF EXISTS playlist_item_unit")
    op.execute(_SQLITE_TRIGGER)
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign key check failed after rebuilding {TABLE}: {broken[:5]}")
    with context.autocommit_block():
        op.execute("PRAGMA foreign_keys=ON")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(_unique_named(OLD_COLUMNS) or _UNNAMED, NEW_NAME, NEW_COLUMNS)
        return
    old = _unique_named(OLD_COLUMNS)
    if old is not None:
        op.drop_constraint(old, TABLE, type_="unique")
    op.create_unique_constraint(NEW_NAME, TABLE, NEW_COLUMNS)


def downgrade() -> None:
    clashes = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {TABLE} GROUP BY {', '.join(OLD_COLUMNS)} "
                "HAVING COUNT(*) > 1) AS sequences"
            )
        )
        .scalar()
    )
    if clashes:
        raise RuntimeError(
            f"{clashes} loudspeaker program(s) play a version in several languages in one window: the "
            "one-language key of 0011 cannot hold them; delete those items first / "
            f"{clashes} chương trình cụm loa phát một phiên bản bằng nhiều ngôn ngữ trong cùng khung giờ: "
            "khóa một ngôn ngữ của 0011 không chứa được; hãy xoá các mục đó trước"
        )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(NEW_NAME, OLD_NAME, OLD_COLUMNS)
        return
    op.drop_constraint(NEW_NAME, TABLE, type_="unique")
    op.create_unique_constraint(OLD_NAME, TABLE, OLD_COLUMNS)
