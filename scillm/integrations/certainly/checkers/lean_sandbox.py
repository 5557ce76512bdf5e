"""Lean and Lake inside the prover sandbox: what a Lean run may see, built as one `Launch`.

A Lean run sees what a Coq run sees (read-only system directories, no
network, an empty environment, a new session) plus, read-only: the Lake
project (`LeanConfig.project`, also its working directory), the elan
toolchains (the elan directory the binary lives in, else `~/.elan`) and the prover's own
install prefix. The only writable path is the run's scratch directory,
mounted at its own host path because Lean's arguments name files in it
(the checked file, `-R root`, `-o Module.olean`). So a proof or header
cannot rewrite the project's `.olean` files, read another tenant's files or
reach the network, whatever a filter misses.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence

from scillm.integrations.certainly.checkers import prover_sandbox as sandbox
from scillm.integrations.certainly.checkers.lean_session import LeanConfig


def elan_home(binary: str) -> str | None:
    """The elan directory Lake's toolchain proxies resolve through: the one `binary` lives in, else `~/.elan`."""

    path = shutil.which(binary)
    if path is not None:
        prefix = os.path.dirname(os.path.dirname(os.path.realpath(path)))
        if os.path.isdir(os.path.join(prefix, "toolchains")):
            return prefix
    home = os.path.expanduser("~/.elan")
    return home if os.path.isdir(os.path.join(home, "toolchains")) else None


def lean_launch(config: LeanConfig, argv: Sequence[str], scratch: str,
                env: Mapping[str, str] | None = None) -> sandbox.Launch:
    """The sandboxed (or, where the server allows it, plain) command for one Lean/Lake process."""
    readonly: list[tuple[str, str]] = []
    extra: dict[str, str] = {}
    project = str(config.project) if config.project is not None else None
    if project is not None and os.path.isdir(project):
        readonly.append((project, project))
    elan = elan_home(argv[0])
    if elan is not None:
        readonly.append((elan, elan))
        extra["ELAN_HOME"] = elan
        extra["PATH"] = f"{elan}/bin:/usr/bin:/bin"
    extra.update(env or {})
    mounts = sandbox.Mounts(scratch=scratch, readonly=tuple(readonly), scratch_at=scratch)
    return sandbox.launch(list(argv), mounts, cwd=project if project in {r[0] for r in readonly} else scratch,
                          env=extra)


__all__ = ["elan_home", "lean_launch"]
