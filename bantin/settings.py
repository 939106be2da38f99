"""Settings read from the environment (prefix ``BANTIN_``) at entry points and passed down."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from flows.settings import PipelineSettings
from gateway.limits import GatewayLimits


class Settings(PipelineSettings, GatewayLimits):
    """Everything bantin reads from the environment; see the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="BANTIN_", env_file=".env", extra="ignore")

    gateway_url: str = Field(
        "", description="URL of the device gateway; empty starts one locally when needed."
    )


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides (used by the CLI and tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
