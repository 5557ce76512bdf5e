"""One switch from a backend name to its probe, its mechanisms and the worker's command line."""

from __future__ import annotations

import os

from scillm.integrations.codeworld.sandbox import bwrap, unsandboxed, unshare
from scillm.integrations.codeworld.sandbox.interpreter import WORKER_DIR_INSIDE, worker_sources


def probe(name: str) -> str | None:
    """None when backend `name` works here, else the reason."""
    if name == "bwrap":
        return bwrap.probe()
    if name == "unshare":
        return unshare.probe()
    if name == "unsandboxed":
        return unsandboxed.probe()
    return f"unknown backend {name!r}"


def mechanisms(name: str) -> list[str]:
    """The isolation mechanisms a backend puts in force, for status and manifests."""
    return {"bwrap": bwrap.MECHANISMS, "unshare": unshare.MECHANISMS}.get(name, unsandboxed.MECHANISMS)


def worker_command(name: str, *, ctl_fd: int, nonce: str, private_dir: str, preimport: tuple[str, ...]) -> list[str]:
    """Command line that starts one warm worker under backend `name`.

    `private_dir` is an empty host directory owned by the pool: the mount point
    of the unshare backend's root, or the unsandboxed worker's scratch space.
    """
    fds = ["--ctl-fd", str(ctl_fd), "--nonce", nonce, "--preimport", ",".join(preimport)]
    if name == "bwrap":
        return bwrap.command([f"{WORKER_DIR_INSIDE}/worker.py", *fds])
    script = worker_sources()["worker.py"]
    if name == "unshare":
        return unshare.command([script, *fds, *unshare.worker_args(private_dir)])
    scratch = os.path.join(private_dir, f"worker-{nonce[:16]}")
    os.mkdir(scratch, 0o700)
    return unsandboxed.command([script, *fds, "--scratch", scratch])


__all__ = ["mechanisms", "probe", "worker_command"]
