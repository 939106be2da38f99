"""Where bantin keeps its data: the data dir, the database URL and the object store."""

from __future__ import annotations

import base64
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
        "", description="Key for reviewers' code secrets and review links; empty: a key file in the data dir."
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
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first
                pass
            else:
                with os.fdopen(fd, "w") as handle:
                    handle.write(base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n")
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
