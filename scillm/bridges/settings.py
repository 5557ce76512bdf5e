"""Bridge configuration: one validated object, built once and passed to `create_app`.

Nothing here is read at import time; `BridgeSettings.from_env()` is the one
place a bridge consults the environment (through `scillm.config`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scillm.integrations.certainly.options import RequestCaps
from scillm.settings import bridge_token

EngineName = Literal["certainly", "codeworld"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

DEFAULT_PORTS: dict[str, int] = {"certainly": 8787, "codeworld": 8887}


class BridgeSettings(BaseModel):
    """Limits and identity of one bridge server; validated when built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    engine: EngineName = Field("certainly", description="Which engine this bridge serves.")
    host: str = Field("127.0.0.1", description="Address uvicorn binds.")
    port: int = Field(8787, ge=0, le=65535, description="Port uvicorn binds (0: a free one).")
    token: str | None = Field(None, description="Bearer token required on every request when set.")
    max_concurrent: int = Field(4, ge=1, le=1024, description="Requests whose work runs at once.")
    queue_size: int = Field(16, ge=0, le=100_000, description="Requests allowed to wait for a slot; more get 429.")
    retry_after_s: int = Field(1, ge=1, le=3600, description="Run time assumed for Retry-After until runs have been measured.")
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Request bodies above this get 413.")
    max_items: int = Field(1000, ge=1, description="Items per request above this get 413.")
    max_item_bytes: int = Field(256 * 1024, ge=64, description="One item serialised above this gets 422.")
    default_max_seconds: float = Field(300.0, gt=0, description="Deadline when a request sets no max_seconds.")
    max_jobs: int = Field(256, ge=1, description="Finished and running jobs kept in memory.")
    job_ttl_s: float = Field(3600.0, gt=0, description="Finished jobs are forgotten after this long.")
    disconnect_poll_s: float = Field(0.1, gt=0, le=5, description="How often a running request checks its client.")
    jobs_path: str | None = Field(None, description="SQLite file for jobs and results (None: a file in the state dir; ':memory:' keeps them in memory).")
    jobs_redis_url: str | None = Field(None, description="Keep jobs in Redis at this URL instead of SQLite.")
    jobs_max_bytes: int = Field(256 * 1024 * 1024, ge=1024, description="Stored job results above this evict the oldest finished jobs; a job that cannot fit is refused.")
    body_timeout_s: float = Field(15.0, gt=0, le=600, description="A request body not fully received by then is answered 408 and closed.")
    allowed_hosts: tuple[str, ...] = Field(LOOPBACK_HOSTS, description="Host header values accepted (names, no port); '*' accepts any.")
    limit_concurrency: int = Field(1024, ge=1, description="Connections uvicorn serves at once before answering 503.")
    timeout_keep_alive_s: int = Field(5, ge=1, le=600, description="Idle keep-alive connections are closed after this.")
    timeout_graceful_shutdown_s: int = Field(10, ge=1, le=600, description="On SIGTERM, open requests get this long; running jobs are marked and not waited for.")
    insecure_no_token: bool = Field(False, description="Allow binding a non-loopback address without a token.")
    llm_model: str | None = Field(None, description="LiteLLM model the server uses when a request names none.")
    llm_api_base: str | None = Field(None, description="LLM endpoint the server calls (never taken from a request).")
    llm_api_key: str | None = Field(None, repr=False, description="LLM key the server sends (never taken from a request).")
    model_aliases: dict[str, str] = Field(default_factory=dict, description="Names a request may choose -> LiteLLM models.")
    cache_path: str | None = Field(None, description="Certainly's SQLite proof cache (None: the process default).")
    caps: RequestCaps = Field(default_factory=RequestCaps, description="The most one request may ask for.")
    max_item_seconds: float = Field(600.0, gt=0, description="Largest max_seconds a request may set.")

    @classmethod
    def from_env(cls, engine: EngineName, **overrides: object) -> BridgeSettings:
        """Settings for `engine` with the token from SCILLM_BRIDGE_TOKEN unless given."""
        values: dict[str, object] = {"engine": engine, "port": DEFAULT_PORTS[engine], "token": bridge_token()}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)

    @property
    def is_loopback(self) -> bool:
        """True when only this machine can reach the bound address."""
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")


__all__ = ["DEFAULT_PORTS", "LOOPBACK_HOSTS", "BridgeSettings", "EngineName"]
