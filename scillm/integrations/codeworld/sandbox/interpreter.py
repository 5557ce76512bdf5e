"""The minimal file set a sandboxed interpreter needs, and where the worker's sources live.

Both isolating backends mount only these paths read-only: the interpreter
binary, its shared library, the standard library (with site-packages masked),
the system's shared-library directories, and the worker's own modules.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WORKER_DIR_INSIDE = "/opt/codeworld"
"""Where the worker's modules appear inside the sandbox."""

DEFAULT_PREIMPORT = (
    "array", "bisect", "collections", "copy", "dataclasses", "decimal", "fractions", "functools",
    "heapq", "itertools", "math", "operator", "random", "re", "statistics", "string", "typing",
)
"""Standard modules a worker imports once so that forked children need not."""

WORKER_MODULES = ("worker.py", "child.py", "seccomp.py", "rootfs.py")
"""Standard-library-only modules the worker imports inside the sandbox."""


@dataclass(frozen=True)
class InterpreterFiles:
    """Host paths to expose read-only, and the paths to hide under them."""

    executable: str
    binds: tuple[str, ...]
    masked: tuple[str, ...]
    lib_links: tuple[tuple[str, str], ...]
    """(path, link target) for top-level library symlinks such as /lib -> usr/lib."""


def worker_sources() -> dict[str, str]:
    """Host path of each worker module, keyed by its file name."""
    here = Path(__file__).resolve().parent
    return {name: str(here / name) for name in WORKER_MODULES}


@lru_cache(maxsize=1)
def interpreter_files() -> InterpreterFiles:
    """The interpreter running scillm, resolved through venvs and symlinks."""
    executable = os.path.realpath(sys.executable)
    stdlib = os.path.dirname(os.path.realpath(os.__file__))
    binds = [executable, stdlib]
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        libdir = sysconfig.get_config_var("LIBDIR") or ""
        soname = sysconfig.get_config_var("INSTSONAME") or ""
        shared = os.path.join(libdir, soname)
        if soname and os.path.exists(shared) and not shared.startswith(("/usr/lib", "/lib")):
            binds.append(os.path.realpath(shared))
    masked = tuple(p for p in {os.path.join(stdlib, "site-packages"), os.path.join(stdlib, "dist-packages")}
                   if os.path.isdir(p))
    links: list[tuple[str, str]] = []
    for top in ("/lib", "/lib64", "/lib32", "/libx32", "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32"):
        if os.path.islink(top):
            links.append((top, os.readlink(top)))
        elif os.path.isdir(top):
            binds.append(top)
    return InterpreterFiles(executable, tuple(binds), tuple(sorted(masked)), tuple(links))


__all__ = ["DEFAULT_PREIMPORT", "WORKER_DIR_INSIDE", "WORKER_MODULES", "InterpreterFiles", "interpreter_files", "worker_sources"]
