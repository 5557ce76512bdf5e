"""Server configuration of codeworld: what only the operator decides, never a request.

Built once by the entry point (a bridge's lifespan, the CLI, a direct caller)
and passed to `arun_items(settings=...)`. LLM endpoints and keys live here
under aliases a request may name; whether unsandboxed execution is allowed,
where the plateau store lives and how much output a batch may echo back are
here too. A request can only pick among what this object declares.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from scillm.integrations.codeworld.engine import DEFAULT_BATCH_OUTPUT_BYTES, DEFAULT_ITEM_OUTPUT_BYTES
from scillm.settings import codeworld_store_from_env


class ModelEndpoint(BaseModel):
    """One LLM a request may use for autogenerate, under an alias; the key never leaves the server."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = Field(min_length=1, description="LiteLLM model string, e.g. `openai/gpt-4o-mini`.")
    api_base: str | None = Field(default=None, description="Endpoint; None lets LiteLLM pick the provider's.")
    api_key: SecretStr | None = Field(default=None, description="Key; None lets LiteLLM read the provider's env var.")
    custom_llm_provider: str | None = None


class CodeworldSettings(BaseModel):
    """Everything about a codeworld run that a request may not choose."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    models: dict[str, ModelEndpoint] = Field(
        default_factory=dict, description="alias -> endpoint; `autogenerate.model` must be one of these aliases.")
    allow_unsandboxed: bool = Field(
        default=False, description="Run in plain processes when no isolating sandbox works (trusted code only).")
    db_path: str | None = Field(default=None, description="SQLite plateau store (CODEWORLD_DB); None: the user's cache.")
    redis_url: str | None = Field(default=None, description="Redis plateau store (CODEWORLD_REDIS_URL); None: SQLite.")
    max_timeout_ms: int = Field(default=60_000, ge=10, le=600_000,
                                description="Largest `strategy_config.timeout_ms` (wall per call) a request may ask for.")
    max_item_output_bytes: int = Field(default=DEFAULT_ITEM_OUTPUT_BYTES, ge=0,
                                       description="Reply bytes one item's results may echo back.")
    max_batch_output_bytes: int = Field(default=DEFAULT_BATCH_OUTPUT_BYTES, ge=0,
                                        description="Reply bytes one call's results may echo back in all.")

    @classmethod
    def from_env(cls, **overrides: object) -> CodeworldSettings:
        """Settings with the plateau store from `CODEWORLD_DB` / `CODEWORLD_REDIS_URL` (built by an entry point).

        The variables are read by `scillm.settings`, the one reader of the environment.
        """
        return cls.model_validate({**codeworld_store_from_env(), **overrides})

    def endpoint(self, alias: str) -> ModelEndpoint | None:
        """The endpoint declared under `alias`, if any."""
        return self.models.get(alias)


__all__ = ["CodeworldSettings", "ModelEndpoint"]
