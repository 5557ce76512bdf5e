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

`ExtraMounts` adds host directories to that view; it is a constructor
setting of the checker (a replay stand-in's script, fixtures and journal in
tests), never a request field, and is empty in production.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from scillm.integrations.certainly.checkers import prover_sandbox as sandbox


class HasProject(Protocol):
    """What a launch reads from `LeanConfig`: the Lake project."""

    @property
    def project(self) -> Path | None: ...


@dataclass(frozen=True)
class ExtraMounts:
    """Host directories a Lean sandbox also sees, at their own paths: read-only ones and one writable journal."""

    readonly: tuple[str, ...] = ()
    journal: str | None = None


def elan_home(binary: str) -> str | None:
    """The elan directory Lake's toolchain proxies resolve through: the one `binary` lives in, else `~/.elan`."""

    path = shutil.which(binary)
    if path is not None:
        prefix = os.path.dirname(os.path.dirname(os.path.realpath(path)))
        if os.path.isdir(os.path.join(prefix, "toolchains")):
            return prefix
    home = os.path.expanduser("~/.elan")
    return home if os.path.isdir(os.path.join(home, "toolchains")) else None


def lean_launch(config: HasProject, argv: Sequence[str], scratch: str,
                env: Mapping[str, str] | None = None, extra: ExtraMounts | None = None) -> sandbox.Launch:
    """The sandboxed (or, where the server allows it, plain) command for one Lean/Lake process."""
    readonly: list[tuple[str, str]] = []
    added = extra or ExtraMounts()
    variables: dict[str, str] = {}
    project = str(config.project) if config.project is not None else None
    if project is not None and os.path.isdir(project):
        readonly.append((project, project))
    elan = elan_home(argv[0])
    if elan is not None:
        readonly.append((elan, elan))
        variables["ELAN_HOME"] = elan
        variables["PATH"] = f"{elan}/bin:/usr/bin:/bin"
    variables.update(env or {})
    readonly += [(path, path) for path in added.readonly]
    writable = ((added.journal, added.journal),) if added.journal is not None else ()
    mounts = sandbox.Mounts(scratch=scratch, readonly=tuple(readonly), scratch_at=scratch, writable=writable)
    return sandbox.launch(list(argv), mounts, cwd=project if project in {r[0] for r in readonly} else scratch,
                          env=variables)


__all__ = ["ExtraMounts", "HasProject", "elan_home", "lean_launch"]
