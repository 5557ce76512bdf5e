"""Start a bridge under uvicorn: argument parsing, fail-closed exposure and the connection limits.

Used by `scillm bridge <engine>`, `python -m scillm.bridges <engine>` and
`python -m scillm.bridges.certainly`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import uvicorn
from starlette.types import ASGIApp

from scillm.bridges.app import create_app
from scillm.bridges.early import WORK_PATHS, Door
from scillm.bridges.settings import DEFAULT_PORTS, BridgeSettings, EngineName


def add_arguments(parser: argparse.ArgumentParser, *, with_engine: bool = True) -> None:
    """The bridge options, shared by the CLI subcommand and `python -m`."""
    if with_engine:
        parser.add_argument("engine", choices=sorted(DEFAULT_PORTS), help="engine to serve")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 8787 certainly, 8887 codeworld)")
    parser.add_argument("--max-concurrent", type=int, default=None, help="requests running at once")
    parser.add_argument("--queue-size", type=int, default=None, help="requests waiting before 429")
    parser.add_argument("--max-body-bytes", type=int, default=None, help="larger bodies get 413")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level")
    parser.add_argument("--insecure-no-token", action="store_true",
                        help="allow a non-loopback address without SCILLM_BRIDGE_TOKEN (anyone reaching it can use it)")
    parser.add_argument("--allowed-host", action="append", default=None,
                        help="Host header value to accept (repeatable; default: loopback names; '*': any)")
    parser.add_argument("--job-store", default=None, metavar="URL_OR_PATH",
                        help="where jobs are kept: a SQLite file (default, ':memory:' keeps none across restarts) "
                        "or redis://host:port/db")
    parser.add_argument("--jobs-path", default=None, help="SQLite file for jobs (the same as --job-store PATH)")
    parser.add_argument("--cache-path", default=None, help="certainly: SQLite proof cache file")
    parser.add_argument("--llm-model", default=None, help="LiteLLM model the server uses for LLM proposals")
    parser.add_argument("--llm-api-base", default=None, help="LLM endpoint the server calls (never a request's)")
    parser.add_argument("--model-alias", action="append", default=None, metavar="NAME=MODEL",
                        help="a model name a request may choose and the LiteLLM model it means (repeatable)")


def _aliases(raw: list[str] | None) -> dict[str, str] | None:
    if not raw:
        return None
    out: dict[str, str] = {}
    for entry in raw:
        name, sep, model = entry.partition("=")
        if not sep or not name or not model:
            raise SystemExit(f"--model-alias wants NAME=MODEL, got {entry!r}")
        out[name] = model
    return out


def job_store_settings(raw: str | None) -> dict[str, str]:
    """`--job-store` as settings: a Redis URL goes to `jobs_redis_url`, anything else is a SQLite path."""
    if not raw:
        return {}
    if raw.startswith(("redis://", "rediss://", "unix://")):
        return {"jobs_redis_url": raw}
    return {"jobs_path": raw.removeprefix("sqlite://")}


def settings_from_args(args: argparse.Namespace, engine: EngineName) -> BridgeSettings:
    hosts = tuple(args.allowed_host) if getattr(args, "allowed_host", None) else None
    store = job_store_settings(getattr(args, "job_store", None))
    return BridgeSettings.from_env(
        engine, host=args.host, port=args.port, max_concurrent=args.max_concurrent, queue_size=args.queue_size,
        max_body_bytes=args.max_body_bytes, insecure_no_token=getattr(args, "insecure_no_token", False) or None,
        allowed_hosts=hosts, jobs_path=store.get("jobs_path", getattr(args, "jobs_path", None)),
        jobs_redis_url=store.get("jobs_redis_url"), cache_path=getattr(args, "cache_path", None),
        llm_model=getattr(args, "llm_model", None), llm_api_base=getattr(args, "llm_api_base", None),
        model_aliases=_aliases(getattr(args, "model_alias", None)))


def exposure_warning(settings: BridgeSettings) -> str | None:
    """Why a bridge other hosts can reach without a token is dangerous; None when it is safe."""
    if settings.is_loopback or settings.token:
        return None
    return (f"binding {settings.host}:{settings.port} without SCILLM_BRIDGE_TOKEN; anyone who can reach "
            "this address can use the prover and the sandbox. Set SCILLM_BRIDGE_TOKEN or bind 127.0.0.1.")


def refusal(settings: BridgeSettings) -> str | None:
    """The reason not to start at all: exposed without a token and without `--insecure-no-token`."""
    warning = exposure_warning(settings)
    if warning is None or settings.insecure_no_token:
        return None
    return f"refusing to start: {warning} (pass --insecure-no-token to start anyway)"


def uvicorn_config(settings: BridgeSettings, app: ASGIApp, log_level: str = "warning") -> uvicorn.Config:
    """The uvicorn config with the connection limits the settings name, the app behind the admission door."""
    return uvicorn.Config(Door(app, WORK_PATHS[settings.engine]), host=settings.host, port=settings.port, log_level=log_level, lifespan="on",
                          limit_concurrency=settings.limit_concurrency,
                          timeout_keep_alive=settings.timeout_keep_alive_s,
                          timeout_graceful_shutdown=settings.timeout_graceful_shutdown_s)


def serve(settings: BridgeSettings, log_level: str = "warning") -> int:
    """Run the bridge until interrupted; refuse to start when exposed without a token (exit status 2)."""
    refused = refusal(settings)
    if refused:
        print(refused, file=sys.stderr, flush=True)
        return 2
    warning = exposure_warning(settings)
    if warning:
        print(f"WARNING: {warning}", file=sys.stderr, flush=True)
    config = uvicorn_config(settings, create_app(settings), log_level)
    uvicorn.Server(config).run()
    return 0


def run(args: argparse.Namespace) -> int:
    """Entry for parsed arguments (the CLI subcommand's handler)."""
    return serve(settings_from_args(args, args.engine), log_level=args.log_level)


def main(argv: Sequence[str] | None = None, engine: EngineName | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scillm bridge", description="serve a scillm engine over HTTP")
    add_arguments(parser, with_engine=engine is None)
    args = parser.parse_args(argv)
    if engine is not None:
        args.engine = engine
    return run(args)


__all__ = ["add_arguments", "exposure_warning", "job_store_settings", "main", "refusal", "serve", "settings_from_args", "uvicorn_config"]
