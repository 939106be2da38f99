"""Where bantin keeps its data: the data dir, the database URL and the object store."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'bantin.db').resolve()}"

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"
