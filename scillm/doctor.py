"""`scillm doctor`: what works here, checked for real, as a table (or JSON).

The checks come from `readiness.yml` (the working directory's, else the
copy shipped in the package): prover binaries and versions, the sandbox
backend, the engines, configured bridges' `/healthz`, an LLM preflight
when a key is set, and LiteLLM itself (version, inside the range scillm
declares, and a real call through scillm's registered provider). `--strict`
exits 1 when a component named in READINESS_EXPECT (or `--expect`) is
missing, when LiteLLM fails its check, or when no engine is usable at all.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import httpx
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from pydantic import BaseModel, ConfigDict, Field

from scillm.engines import new_engine
from scillm.errors import ConfigError, EngineNotReadyError
from scillm.settings import CertainlySettings, ChatSettings, DoctorSettings, bridge_token, names

CheckKind = Literal["certainly_backend", "engine", "sandbox", "binary", "bridge", "llm", "litellm"]
ENGINES = ("certainly", "codeworld")
Status = Literal["ok", "missing", "skipped"]


class CheckSpec(BaseModel):
    """One line of readiness.yml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    component: str
    kind: CheckKind
    optional: bool = False
    backend: str | None = None
    engine: Literal["certainly", "codeworld"] | None = None
    binary: str | None = None


class Readiness(BaseModel):
    """The whole readiness.yml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    checks: list[CheckSpec] = Field(..., min_length=1)


class CheckResult(BaseModel):
    """What one check found."""

    name: str
    component: str
    kind: CheckKind
    optional: bool
    status: Status
    detail: str


def load_readiness(path: Path | None = None) -> Readiness:
    """Read the given file, else ./readiness.yml, else the packaged copy."""

    candidates = [path] if path is not None else [Path.cwd() / "readiness.yml", Path(__file__).with_name("readiness.yml")]
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return Readiness.model_validate(yaml.safe_load(candidate.read_text()))

    raise ConfigError(f"readiness file not found: {', '.join(str(c) for c in candidates)}")


def _version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"version unknown ({type(exc).__name__})"
    lines = (out.stdout or out.stderr).strip().splitlines()
    return lines[0] if lines else "version unknown"


def _check_binary(spec: CheckSpec) -> tuple[Status, str]:
    binary = spec.binary or spec.name
    path = shutil.which(binary)
    return ("ok", f"{path}: {_version(binary)}") if path else ("missing", f"{binary} not on PATH")


def _check_backend(spec: CheckSpec) -> tuple[Status, str]:
    from scillm.integrations.certainly.engine import backend_statuses  # noqa: PLC0415  engines load only for the check that needs them

    status = backend_statuses(CertainlySettings.from_env()).get(spec.backend or spec.name)
    if status is None:
        return "missing", f"no certainly backend named {spec.backend!r}"
    if status.available:
        where = ", ".join(f"{k}={v}" for k, v in status.binaries.items() if v)
        return "ok", f"version {status.version or 'unknown'} ({where})"
    return "missing", status.reason or "unavailable"


def _check_engine(spec: CheckSpec) -> tuple[Status, str]:
    try:
        new_engine(spec.engine or spec.component)
    except (EngineNotReadyError, ConfigError) as exc:
        return "missing", str(exc)
    return "ok", "built into this scillm"


def _check_sandbox(spec: CheckSpec) -> tuple[Status, str]:
    from scillm.integrations.codeworld.sandbox import available_backends  # noqa: PLC0415  engines load only for the check that needs them

    reasons: dict[str, str | None] = available_backends()
    for name in ("bwrap", "unshare"):
        if name in reasons and reasons[name] is None:
            return "ok", f"{name} isolates untrusted code"
    return "missing", "; ".join(f"{k}: {v}" for k, v in reasons.items() if v) or "no sandbox backend"


def _check_bridge(spec: CheckSpec) -> tuple[Status, str]:
    from scillm.llms.fallback import bridge_base  # noqa: PLC0415  the LiteLLM adapter loads only for the bridge check

    engine = spec.engine or "certainly"
    base = bridge_base(engine)
    token = bridge_token()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.get(f"{base}/healthz", timeout=3.0, headers=headers)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return "missing", f"{base} unreachable ({type(exc).__name__})"
    if body.get("ready") and body.get("engine") == engine:
        return "ok", f"{base} ready (scillm {body.get('scillm_version')}, pool {body.get('pool')})"
    return "missing", f"{base} not ready: {body.get('engine_error') or body.get('health')}"


def _check_llm(spec: CheckSpec) -> tuple[Status, str]:
    chat = ChatSettings.from_env()
    base, key, model = chat.api_base, chat.api_key, chat.model
    if not (base and key and model):
        return "skipped", "no LLM key/base/model set (CHUTES_API_BASE, CHUTES_API_KEY, CHUTES_MODEL_ID)"
    from scillm.paved.helpers import sanity_preflight  # noqa: PLC0415  the paved helpers load only for the LLM check

    report = sanity_preflight(base, key, model, parallel=1, wall_time_s=20)
    if report.get("ok"):
        latencies = report.get("latencies_s") or []
        return "ok", f"{model} at {base} answered ({', '.join(f'{x:.2f}s' for x in latencies)})"
    reasons = ", ".join(str(f.get("reason")) for f in report.get("failures") or [])
    return "missing", f"{model} at {base} failed preflight: {reasons or 'unknown'}"


def litellm_range() -> str | None:
    """The LiteLLM specifier scillm's installed metadata declares (e.g. `>=1.60`), or None."""


    try:
        requires = importlib.metadata.requires("scillm") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for line in requires:
        req = Requirement(line)
        if req.name.lower() == "litellm" and req.marker is None:
            return str(req.specifier)
    return None


def _probe_registration() -> str | None:
    """None when a call reaches scillm's handler through LiteLLM and comes back as scillm's error, else why not."""
    import litellm  # noqa: PLC0415  keeps import scillm light: LiteLLM loads on first use

    from scillm.llms.errors import LLMInvalidRequestError  # noqa: PLC0415  keeps import scillm light: LiteLLM loads on first use
    from scillm.llms.registry import register_providers  # noqa: PLC0415  keeps import scillm light: LiteLLM loads on first use

    register_providers()
    try:
        litellm.completion(model="certainly/auto", messages=[{"role": "user", "content": "doctor"}], items=[])
    except LLMInvalidRequestError as exc:
        return None if "items must be a non-empty list" in str(exc) else f"unexpected answer: {exc}"
    except Exception as exc:  # noqa: BLE001  a probe that breaks is reported as a failed check
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    return "the call returned instead of reaching scillm's handler"


def _check_litellm(spec: CheckSpec) -> tuple[Status, str]:
    version = importlib.metadata.version("litellm")
    wanted = litellm_range()
    in_range = wanted is None or Version(version) in SpecifierSet(wanted)
    fix = f"pip install 'litellm{wanted or ''}'"
    if not in_range:
        return "missing", f"LiteLLM {version} is outside scillm's supported range {wanted}; fix: {fix}"
    why = _probe_registration()
    if why is not None:
        return "missing", (f"LiteLLM {version} (range {wanted or 'undeclared'}): provider registration does not "
                           f"work: {why}; fix: install a release the suite passes on ({fix}, e.g. the floor "
                           f"{wanted.lstrip('>=') if wanted else ''}) and report the break")
    return "ok", f"LiteLLM {version} (supported range {wanted or 'undeclared'}); providers registered and answering"


_RUNNERS: dict[str, Callable[[CheckSpec], tuple[Status, str]]] = {
    "certainly_backend": _check_backend, "engine": _check_engine, "sandbox": _check_sandbox,
    "binary": _check_binary, "bridge": _check_bridge, "llm": _check_llm, "litellm": _check_litellm,
}


def run_checks(readiness: Readiness) -> list[CheckResult]:
    """Run every check; a check that crashes is reported missing with the exception, never skipped."""
    results = []
    for spec in readiness.checks:
        try:
            status, detail = _RUNNERS[spec.kind](spec)
        except Exception as exc:  # noqa: BLE001  a probe that breaks is reported as a failed check
            status, detail = "missing", f"check failed: {type(exc).__name__}: {exc}"
        results.append(CheckResult(name=spec.name, component=spec.component, kind=spec.kind,
                                   optional=spec.optional, status=status, detail=detail))
    return results


def components(results: list[CheckResult]) -> dict[str, str]:
    """component -> `direct`, `bridge` or `missing`."""
    out: dict[str, str] = {}
    for name in dict.fromkeys(r.component for r in results):
        mine = [r for r in results if r.component == name]
        local = [r for r in mine if r.kind != "bridge"]
        required = [r for r in local if not r.optional]
        if (all(r.status == "ok" for r in required) if required else any(r.status == "ok" for r in local)):
            out[name] = "direct"
        elif any(r.kind == "bridge" and r.status == "ok" for r in mine):
            out[name] = "bridge"
        else:
            out[name] = "missing"
    return out


def render_table(results: list[CheckResult], ready: dict[str, str]) -> str:
    rows = [("check", "component", "status", "detail")]
    rows += [(r.name, r.component, r.status + (" (optional)" if r.optional and r.status != "ok" else ""), r.detail)
             for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3] for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 6)
    lines.append("")
    lines.append("components: " + ", ".join(f"{k}={v}" for k, v in ready.items()))
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true", help="exit 1 when an expected component is missing")
    parser.add_argument("--expect", default=None, help="comma-separated components (default: READINESS_EXPECT)")
    parser.add_argument("--config", type=Path, default=None, help="readiness.yml to use")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    """Print the report; with --strict, 1 when an expected component is missing."""

    results = run_checks(load_readiness(args.config))
    ready = components(results)
    expected = list(names(args.expect) if args.expect else DoctorSettings.from_env().expect)
    missing = [c for c in expected if ready.get(c, "missing") == "missing"]
    if ready.get("litellm") == "missing" and "litellm" not in missing:
        missing.append("litellm")
    usable = [c for c in ENGINES if ready.get(c, "missing") != "missing"]
    if not usable:
        missing.append("any engine (certainly or codeworld)")
    if args.json:
        print(json.dumps({"checks": [r.model_dump() for r in results], "components": ready,
                          "expected": expected, "missing": missing}, indent=2))
    else:
        print(render_table(results, ready))
        if expected:
            print(f"expected: {', '.join(expected)}; missing: {', '.join(missing) or 'none'}")
    return 1 if args.strict and missing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scillm doctor", description="check what scillm can run here")
    add_arguments(parser)
    return run(parser.parse_args(argv))


__all__ = ["CheckResult", "CheckSpec", "Readiness", "add_arguments", "components", "load_readiness", "main",
           "run", "run_checks"]


if __name__ == "__main__":
    raise SystemExit(main())
