"""Where bantin keeps its data: the data dir, the database URL and the object store."""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.errors import StorageError


class StorageSettings(BaseSettings):
    """Storage locations; defaults put everything in one data directory (no set-up)."""

    model_config = SettingsConfigDict(env_prefix="BANTIN_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("bantin-data"), description="Directory for the database, audio and reports.")
    database_url: str = Field("", description="SQLAlchemy URL; empty means a SQLite file in the data dir.")
    s3_endpoint: str = Field("", description="S3 endpoint URL; empty means objects live in the data dir.")
    s3_bucket: str = Field("bantin", description="S3 bucket for audio, uploads and reports.")
    s3_access_key: str = Field("", description="S3 access key id.")
    s3_secret_key: str = Field("", description="S3 secret access key.")
    s3_region: str = Field("us-east-1", description="S3 region name.")
    secret_key: str = Field(
        "",
        description="Key for reviewers' code secrets, review links and device token hashes (HMAC-SHA256); "
        "empty: a key file in the data dir (0600). Changing it signs every device out: issue new tokens.",
    )
    mqtt_url: str = Field(
        "",
        description="MQTT broker for 'poll now' notices to devices, e.g. mqtt://127.0.0.1:1883/PREFIX (path: "
        "topic prefix); empty: devices learn of changes by long-polling or polling.",
    )
    public_gateway_url: str = Field(
        "http://127.0.0.1:8080", description="The gateway's address as reviewers' browsers reach it."
    )

    def secret_key_bytes(self) -> bytes:
        """The secret key: the setting, else ``secret.key`` in the data dir (created 0600 on first use)."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written whole under a private name, then linked into place: another process starting at
            # the same moment either links its own first or reads a complete key, never an empty file.
            draft = path.with_name(f".secret.key.{os.getpid()}.{os.urandom(4).hex()}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w") as handle:
                    handle.write(base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
                with contextlib.suppress(FileExistsError):  # another process made it first: theirs is the key
                    os.link(draft, path)
            finally:
                draft.unlink(missing_ok=True)
        key = path.read_text().strip()
        if not key:
            raise StorageError(
                f"the secret key file {path} is empty: restore it from a backup or set BANTIN_SECRET_KEY",
                f"tệp khóa bí mật {path} bị trống: hãy khôi phục từ bản sao lưu hoặc đặt BANTIN_SECRET_KEY",
            )
        return key.encode()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'bantin.db').resolve()}"

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"
