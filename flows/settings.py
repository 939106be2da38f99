"""Settings the pipeline needs beyond storage; read at entry points and passed to flows."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.config import StorageSettings


class TranslationOptions(BaseSettings):
    """Where translation resources live and how strict the memory is (prefix ``BANTIN_``, read at entry points)."""

    model_config = SettingsConfigDict(env_prefix="BANTIN_", env_file=".env", extra="ignore")

    translation_models_dir: Path | None = Field(
        None, description="Local translation models, one directory per model (NLLB, M2M100 or Marian)."
    )
    glossary_dir: Path | None = Field(None, description="Glossaries as <code>.tsv; empty means bantin's own.")
    fuzzy_threshold: float = Field(
        0.9, ge=0.5, le=1.0, description="Lowest fuzzy memory score used unreviewed."
    )
    translator_timeout_seconds: int = Field(7 * 24 * 3600, ge=1, description="Longest wait for a translator.")
    translator_poll_seconds: float = Field(2.0, gt=0, description="How often a waiting run checks for input.")


class PipelineSettings(StorageSettings, TranslationOptions):
    """Storage locations plus speech, summary, review and translation settings (prefix ``BANTIN_``)."""

    model_config = SettingsConfigDict(env_prefix="BANTIN_", env_file=".env", extra="ignore")

    timezone: str = Field("Asia/Ho_Chi_Minh", description="Time zone of broadcast windows and schedules.")
    default_voice: str = Field("espeak-vi-north", description="Voice for Vietnamese speech.")
    tts_models_dir: Path | None = Field(
        None, description="Directory of local speech models, one subdirectory per voice (VITS or Coqui)."
    )
    summarizer_model_dir: Path | None = Field(
        None, description="Local seq2seq model for abstractive summaries; empty means extractive only."
    )
    review_timeout_seconds: int = Field(
        7 * 24 * 3600,
        ge=1,
        description="Longest wait for a review; a normal bulletin expires earlier, when its broadcast window starts.",
    )
    review_escalation_seconds: int = Field(
        2 * 3600, ge=1, description="A priority bulletin's review escalates one level up after this long."
    )
    emergency_review_timeout_seconds: int = Field(
        600, ge=1, description="An emergency bulletin's reviewers have this long before the review escalates."
    )
    review_poll_seconds: float = Field(
        2.0, gt=0, description="How often a waiting review run checks for input."
    )
    task_runner: str = Field("threads", description="threads, processes or dask (needs prefect-dask).")
