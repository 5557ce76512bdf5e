"""Start a bridge under uvicorn: argument parsing and the non-loopback warning.

Used by `scillm bridge <engine>`, `python -m scillm.bridges <engine>` and
`python -m scillm.bridges.certainly`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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


def settings_from_args(args: argparse.Namespace, engine: EngineName) -> BridgeSettings:
    return BridgeSettings.from_env(engine, host=args.host, port=args.port, max_concurrent=args.max_concurrent,
                                   queue_size=args.queue_size, max_body_bytes=args.max_body_bytes)


def exposure_warning(settings: BridgeSettings) -> str | None:
    """The warning for a bridge other hosts can reach without a token; None when it is safe."""
    if settings.is_loopback or settings.token:
        return None
    return (f"WARNING: binding {settings.host}:{settings.port} without SCILLM_BRIDGE_TOKEN; anyone who can reach "
            "this address can use the prover and the sandbox. Set SCILLM_BRIDGE_TOKEN or bind 127.0.0.1.")


def serve(settings: BridgeSettings, log_level: str = "warning") -> None:
    """Run the bridge until interrupted; warn when it is reachable from other hosts without a token."""
    import uvicorn

    from scillm.bridges.app import create_app

    warning = exposure_warning(settings)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=log_level)


def run(args: argparse.Namespace) -> int:
    """Entry for parsed arguments (the CLI subcommand's handler)."""
    serve(settings_from_args(args, args.engine), log_level=args.log_level)
    return 0


def main(argv: Sequence[str] | None = None, engine: EngineName | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scillm bridge", description="serve a scillm engine over HTTP")
    add_arguments(parser, with_engine=engine is None)
    args = parser.parse_args(argv)
    if engine is not None:
        args.engine = engine
    return run(args)


__all__ = ["add_arguments", "exposure_warning", "main", "serve", "settings_from_args"]
