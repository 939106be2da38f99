"""How much one gateway process takes on at once: worker threads, database requests, queue wait."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewayLimits(BaseSettings):
    """How much one gateway process takes on at once (prefix ``BANTIN_``)."""

    model_config = SettingsConfigDict(env_prefix="BANTIN_", env_file=".env", extra="ignore")

    gateway_threads: int = Field(
        16,
        ge=2,
        le=512,
        description="Worker threads per gateway process; its database pool has as many connections.",
    )
    gateway_max_requests: int = Field(
        12,
        ge=1,
        description="Requests using the database served at once per gateway process (at most threads - 1); "
        "more wait briefly, then get 503 with Retry-After.",
    )
    gateway_queue_seconds: float = Field(
        2.0, ge=0, le=30, description="Longest wait for a turn before a request is answered 503."
    )

    @property
    def admitted(self) -> int:
        """Requests admitted at once: fewer than the threads, so one always serves a connection's holder."""
        return max(1, min(self.gateway_max_requests, self.gateway_threads - 1))
