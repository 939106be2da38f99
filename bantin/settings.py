"""Settings read from the environment (prefix ``BANTIN_``) at entry points and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from storage.config import StorageSettings


class Settings(StorageSettings):
    """Everything bantin reads from the environment; storage fields come from StorageSettings."""

    model_config = SettingsConfigDict(env_prefix="BANTIN_", env_file=".env", extra="ignore")

    timezone: str = Field("Asia/Ho_Chi_Minh", description="Time zone of broadcast windows and schedules.")
    default_voice: str = Field("", description="Voice for Vietnamese speech; empty means the engine default.")
    tts_models_dir: Path | None = Field(
        None, description="Directory of local speech models, one subdirectory per voice (VITS or Coqui)."
    )
    summarizer_model_dir: Path | None = Field(
        None,
        description="Local seq2seq model directory for abstractive summaries; empty means extractive only.",
    )
    gateway_url: str = Field("", description="Public URL of the device gateway; empty starts one locally.")
    review_timeout_seconds: int = Field(
        7 * 24 * 3600, description="How long a draft waits for a reviewer before the run times out."
    )


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides (used by the CLI and tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
