"""keyed device tokens: stored token hashes become HMAC-SHA256 with the server's secret key

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:45:00

Before this revision a device's token was stored as the bare sha256 hex of the token. The keyed
form is HMAC-SHA256(key derived from the secret key, that sha256 hex), so it is computed from the
stored value without the token. The secret key reaches the migration through the Alembic config's
attributes (``storage.upgrade_database(url, secret_key=...)``, as ``bantin`` commands do); when it
is not given, the bare hashes stay and the gateway keys each one when its device next signs in.
No schema change: the keyed form ("h1$" + 43 characters) fits the 64-character column.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import sqlalchemy as sa
from alembic import context, op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


KEYED_PREFIX = "h1$"


def key_legacy_hash(legacy: str, secret_key: bytes) -> str:
    """The keyed form of a bare sha256 hex, as storage.devices.key_legacy_hash makes it (fixed here)."""
    key = hmac.new(secret_key, b"bantin device token v1", hashlib.sha256).digest()
    digest = hmac.new(key, legacy.encode("ascii"), hashlib.sha256).digest()
    return KEYED_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def upgrade() -> None:
    secret_key = context.config.attributes.get("secret_key")
    if not secret_key:
        return
    connection = op.get_bind()
    device = sa.table("device", sa.column("id", sa.String), sa.column("token_hash", sa.String))
    rows = connection.execute(sa.select(device.c.id, device.c.token_hash)).all()
    for device_id, stored in rows:
        if stored and not stored.startswith(KEYED_PREFIX):
            connection.execute(
                device.update()
                .where(device.c.id == device_id)
                .values(token_hash=key_legacy_hash(stored, secret_key))
            )


def downgrade() -> None:
    # A keyed hash cannot be turned back into the bare sha256; devices keep working on 0008 only.
    pass
