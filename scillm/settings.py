"""Settings objects, built once per entry point from the environment and validated when built.

`Settings.from_env()` is the one reader of scillm's environment variables
(through `scillm.config.env`); engines and checkers receive the part they
need (`CertainlySettings`, `LLMSettings`) and never read the environment
themselves. A bad value is a `ConfigError` naming the variable when the
settings are built, not a surprise at the first call.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scillm.config import env, env_bool, env_is_set
from scillm.errors import ConfigError
from scillm.names import did_you_mean

BackendName = Literal["coq", "lean"]
_Model = TypeVar("_Model", bound=BaseModel)
_BACKENDS: dict[str, BackendName | None] = {"coq": "coq", "rocq": "coq", "lean": "lean", "lean4": "lean", "auto": None}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CertainlySettings(_Frozen):
    """What a certainly engine is configured with (never chosen by a request)."""

    default_backend: BackendName | None = Field(
        default=None, description="CERTAINLY_BACKEND; None: Lean syntax picks Lean, else Lean when it works, else Coq.")
    cache_path: str | None = Field(default=None, description="CERTAINLY_CACHE: SQLite file of check results.")
    pool_size: int | None = Field(default=None, ge=1, description="CERTAINLY_POOL_SIZE; None: the core count.")
    lean_project: str | None = Field(default=None, description="CERTAINLY_LEAN_PROJECT: Lake project with the REPL.")
    unsandboxed_provers: bool = Field(default=False, description="CERTAINLY_UNSANDBOXED_PROVERS.")
    state_dir: str | None = Field(default=None, description="CERTAINLY_STATE_DIR: where the cache-signing key lives.")

    @classmethod
    def from_env(cls) -> CertainlySettings:
        """Read the CERTAINLY_* variables; ConfigError names the one that is wrong."""
        raw_backend = (env("CERTAINLY_BACKEND") or "").strip().lower()
        if raw_backend and raw_backend not in _BACKENDS:
            hint = did_you_mean(raw_backend, tuple(_BACKENDS))
            raise ConfigError(f"CERTAINLY_BACKEND={raw_backend!r} is not a backend{hint}; use coq, lean or auto")
        return _build(cls, "CERTAINLY_POOL_SIZE", default_backend=_BACKENDS.get(raw_backend),
                      cache_path=env("CERTAINLY_CACHE"), pool_size=pool_size(),
                      lean_project=env("CERTAINLY_LEAN_PROJECT"),
                      unsandboxed_provers=env_bool("CERTAINLY_UNSANDBOXED_PROVERS"),
                      state_dir=env("CERTAINLY_STATE_DIR"))


class LLMSettings(_Frozen):
    """Where the LiteLLM provider's HTTP fallback goes, and how it decides to go there."""

    certainly_bridge_base: str | None = Field(default=None, description="CERTAINLY_BRIDGE_BASE; None: not configured.")
    lean4_bridge_base: str | None = Field(default=None, description="LEAN4_BRIDGE_BASE (the lean4 provider).")
    codeworld_base: str | None = Field(default=None, description="CODEWORLD_BASE; None: not configured.")
    certainly_http_only: bool = Field(default=False, description="SCILLM_CERTAINLY_HTTP_ONLY.")
    certainly_direct_strict: bool = Field(default=False, description="SCILLM_CERTAINLY_DIRECT_STRICT.")
    bridge_token: str | None = Field(default=None, description="SCILLM_BRIDGE_TOKEN, sent to (or required by) a bridge.")

    @classmethod
    def from_env(cls) -> LLMSettings:
        return _build(cls, "SCILLM_*", certainly_bridge_base=_url("CERTAINLY_BRIDGE_BASE"),
                      lean4_bridge_base=_url("LEAN4_BRIDGE_BASE"), codeworld_base=_url("CODEWORLD_BASE"),
                      certainly_http_only=env_bool("SCILLM_CERTAINLY_HTTP_ONLY"),
                      certainly_direct_strict=env_bool("SCILLM_CERTAINLY_DIRECT_STRICT"),
                      bridge_token=bridge_token())


class ChatSettings(_Frozen):
    """The OpenAI-compatible host the paved helpers and the `openai_like` provider default to."""

    api_base: str | None = Field(default=None, description="SCILLM_API_BASE, else CHUTES_API_BASE.")
    api_key: str | None = Field(default=None, description="CHUTES_API_KEY.")
    model: str | None = Field(default=None, description="CHUTES_MODEL_ID, else CHUTES_TEXT_MODEL.")
    fallback_models: tuple[str, ...] = Field(default=(), description="CHUTES_FALLBACK_MODELS, comma-separated.")
    openrouter_api_base: str | None = Field(default=None, description="OPENROUTER_API_BASE.")
    openrouter_api_key: str | None = Field(default=None, description="OPENROUTER_API_KEY.")
    openrouter_model: str | None = Field(default=None, description="OPENROUTER_MODEL.")

    @classmethod
    def from_env(cls) -> ChatSettings:
        return _build(cls, "SCILLM_/CHUTES_/OPENROUTER_*",
                      api_base=env("SCILLM_API_BASE") or env("CHUTES_API_BASE"), api_key=env("CHUTES_API_KEY"),
                      model=env("CHUTES_MODEL_ID") or env("CHUTES_TEXT_MODEL"),
                      fallback_models=_names("CHUTES_FALLBACK_MODELS"),
                      openrouter_api_base=env("OPENROUTER_API_BASE"), openrouter_api_key=env("OPENROUTER_API_KEY"),
                      openrouter_model=env("OPENROUTER_MODEL"))


class DoctorSettings(_Frozen):
    """What `scillm doctor` expects to find."""

    expect: tuple[str, ...] = Field(default=(), description="READINESS_EXPECT: components that must be ready.")

    @classmethod
    def from_env(cls) -> DoctorSettings:
        return _build(cls, "READINESS_EXPECT", expect=_names("READINESS_EXPECT"))


class Settings(_Frozen):
    """Every part's settings, read once."""

    certainly: CertainlySettings
    llm: LLMSettings
    chat: ChatSettings

    @classmethod
    def from_env(cls) -> Settings:
        return cls(certainly=CertainlySettings.from_env(), llm=LLMSettings.from_env(), chat=ChatSettings.from_env())


def codeworld_store_from_env() -> dict[str, str | None]:
    """CODEWORLD_DB and CODEWORLD_REDIS_URL, as the `db_path` / `redis_url` of `CodeworldSettings`."""
    return {"db_path": env("CODEWORLD_DB"), "redis_url": env("CODEWORLD_REDIS_URL")}


def bridge_token() -> str | None:
    """SCILLM_BRIDGE_TOKEN: the one place the bridge token is read."""
    return env("SCILLM_BRIDGE_TOKEN")


def _url(name: str) -> str | None:
    """The variable's URL when the user set it (a declared default does not count as configured)."""
    return str(env(name)).rstrip("/") if env_is_set(name) else None


def pool_size() -> int | None:
    """CERTAINLY_POOL_SIZE (None when unset); anything but a positive integer is a ConfigError, everywhere."""
    return _int("CERTAINLY_POOL_SIZE")


def names(raw: str | None) -> tuple[str, ...]:
    """A comma-separated list, stripped, empty entries dropped."""
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


def _names(name: str) -> tuple[str, ...]:
    return names(env(name))


def _int(name: str) -> int | None:
    raw = (env(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name}={raw!r} is not a positive integer; set one (e.g. 4) or unset it")
    return int(raw)


def _build(cls: type[_Model], names: str, **values: object) -> _Model:
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid settings from {names}: {problems}") from None


__all__ = ["BackendName", "CertainlySettings", "ChatSettings", "DoctorSettings", "LLMSettings", "Settings",
           "bridge_token", "codeworld_store_from_env", "names", "pool_size"]
