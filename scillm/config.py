"""The single place where scillm reads environment variables.

Every variable scillm honours is declared in `ENV_VARS` with its default and
a one-line description; `docs/environment.md` is generated from this table
(a test fails when the two drift). Code elsewhere calls `env()`/`env_bool()`
/`env_float()` and never touches `os.environ` directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from scillm.errors import ConfigError


@dataclass(frozen=True)
class EnvVar:
    """One environment variable scillm reads."""

    name: str
    default: str | None
    description: str
    area: str


ENV_VARS: tuple[EnvVar, ...] = (
    # LLM endpoints (paved path)
    EnvVar("SCILLM_API_BASE", None, "Default OpenAI-compatible base URL for batch and paved helpers.", "llm"),
    EnvVar("CHUTES_API_BASE", None, "Chutes (or any OpenAI-compatible host) base URL; used when no api_base is passed.", "llm"),
    EnvVar("CHUTES_API_KEY", None, "API key for CHUTES_API_BASE; used when no api_key is passed.", "llm"),
    EnvVar("CHUTES_MODEL_ID", None, "Default model id for batch requests without a model.", "llm"),
    EnvVar("CHUTES_TEXT_MODEL", None, "Fallback default model id when CHUTES_MODEL_ID is unset.", "llm"),
    EnvVar("OPENROUTER_API_KEY", None, "OpenRouter key; the paved chat helpers use OpenRouter when it is the only key set.", "llm"),
    EnvVar("OPENROUTER_API_BASE", "https://openrouter.ai/api/v1", "OpenRouter base URL used with OPENROUTER_API_KEY.", "llm"),
    EnvVar("OPENROUTER_MODEL", "openai/gpt-4o-mini", "Default model of the paved chat helpers on OpenRouter.", "llm"),
    EnvVar("CHUTES_FALLBACK_MODELS", None, "Comma-separated model ids pinned as Router fallbacks by chutes_router_json.", "llm"),
    EnvVar("SCILLM_JSON_STRICT", "0", "1: a json_object completion raises JsonParseError on non-JSON replies.", "llm"),
    EnvVar("SCILLM_REPAIR_INVALID_JSON", "0", "1: batch functions try json-repair on invalid JSON replies.", "llm"),
    EnvVar("LITELLM_LOCAL_MODEL_COST_MAP", "True", "Set by scillm (unless already set) so LiteLLM never fetches its cost map at import.", "llm"),
    # certainly
    EnvVar("CERTAINLY_BACKEND", None, "Default proof backend (coq or lean) when neither item nor call names one.", "certainly"),
    EnvVar("CERTAINLY_LEAN_PROJECT", None, "Path to a Lake project with the Lean REPL; enables the Lean backend.", "certainly"),
    EnvVar("CERTAINLY_CACHE", None, "Path of a SQLite file that persists proof-check results across runs.", "certainly"),
    EnvVar("CERTAINLY_UNSANDBOXED_PROVERS", "0", "1: run coqtop/coqc/coqchk without bubblewrap when it is unavailable (server setting; default: refuse).", "certainly"),
    EnvVar("CERTAINLY_STATE_DIR", None, "Directory for the per-installation cache-signing key (default: ~/.local/state/scillm).", "certainly"),
    EnvVar("CERTAINLY_POOL_SIZE", None, "Warm prover sessions per pool (default: number of cores).", "certainly"),
    EnvVar("CERTAINLY_BRIDGE_BASE", "http://127.0.0.1:8787", "Base URL of the certainly HTTP bridge for the HTTP fallback.", "certainly"),
    EnvVar("LEAN4_BRIDGE_BASE", None, "Alias of CERTAINLY_BRIDGE_BASE for the lean4 provider.", "certainly"),
    EnvVar("SCILLM_CERTAINLY_HTTP_ONLY", "0", "1: the certainly provider always uses the HTTP bridge.", "certainly"),
    EnvVar("SCILLM_CERTAINLY_DIRECT_STRICT", "0", "1: fail instead of falling back to HTTP when direct mode cannot run.", "certainly"),
    # codeworld
    EnvVar("CODEWORLD_BASE", "http://127.0.0.1:8887", "Base URL of the codeworld HTTP bridge for the HTTP fallback.", "codeworld"),
    EnvVar("CODEWORLD_REDIS_URL", None, "Redis URL for codeworld plateau signals (default store: SQLite).", "codeworld"),
    EnvVar("CODEWORLD_DB", None, "Path of the SQLite file for codeworld plateau signals.", "codeworld"),
    # bridges and readiness
    EnvVar("SCILLM_BRIDGE_TOKEN", None, "Bearer token the bridges require when set.", "bridge"),
    EnvVar("READINESS_EXPECT", None, "Comma-separated components `scillm doctor --strict` must find (e.g. certainly,codeworld).", "bridge"),
)

_BY_NAME = {v.name: v for v in ENV_VARS}

_TRUE = {"1", "true", "yes", "on"}


def env(name: str, default: str | None = None) -> str | None:
    """Read a declared variable; the declared default applies when unset or empty."""
    spec = _BY_NAME.get(name)
    if spec is None:
        raise KeyError(f"{name} is not declared in scillm.config.ENV_VARS")
    value = os.environ.get(name)
    if value is None or value == "":
        return default if default is not None else spec.default
    return value


def env_is_set(name: str) -> bool:
    """True when the user set a declared variable (to anything non-empty), not just its default."""
    if name not in _BY_NAME:
        raise KeyError(f"{name} is not declared in scillm.config.ENV_VARS")
    return bool(os.environ.get(name))


def env_bool(name: str) -> bool:
    """A declared variable read as a flag (1/true/yes/on)."""
    return (env(name) or "").strip().lower() in _TRUE


def env_float(name: str, default: float | None = None) -> float | None:
    """A declared variable read as a number; an unparsable value is a clear error."""
    raw = env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:

        raise ConfigError(f"{name}={raw!r} is not a number; set it to a number or unset it") from exc


def set_default(name: str, value: str) -> None:
    """Set a declared variable only when the user has not set it (used for LiteLLM's switches)."""
    if name not in _BY_NAME:
        raise KeyError(f"{name} is not declared in scillm.config.ENV_VARS")
    os.environ.setdefault(name, value)


def environment_markdown() -> str:
    """The environment-variable reference, as shipped in docs/environment.md."""
    lines = [
        "# Environment variables",
        "",
        "Generated from `scillm.config.ENV_VARS`, the single place scillm reads the environment.",
        "",
        "| variable | area | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for v in ENV_VARS:
        default = f"`{v.default}`" if v.default is not None else "unset"
        lines.append(f"| `{v.name}` | {v.area} | {default} | {v.description} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    # Regenerate the reference: python -m scillm.config > docs/environment.md
    print(environment_markdown(), end="")
