"""`unshare` command line for the warm worker: the fallback when bubblewrap is missing.

A user namespace (so the namespace root is nobody outside it and `setns`
back to the host is refused), plus pid, net, ipc, uts and mount namespaces;
the worker then builds a minimal read-only root itself (`rootfs.py`) and
pivots into it; each child gets its own mount namespace with a fresh tmpfs
on `/tmp` and drops every capability before reading its request. The environment is empty for
`unshare` and for the interpreter.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from functools import lru_cache

from scillm.integrations.codeworld.sandbox.interpreter import (
    WORKER_DIR_INSIDE,
    interpreter_files,
    worker_sources,
)
from scillm.integrations.codeworld.sandbox.probing import run_probe

MECHANISMS = [
    "unshare", "user+pid+net+ipc+uts+mount namespaces", "no capabilities in the child",
    "read-only minimal root (pivot_root)", "fresh tmpfs per child (own mount namespace)", "empty environment", "rlimits", "no_new_privs", "seccomp", "wall-clock SIGKILL",
]


def rootfs_spec(root_dir: str) -> dict[str, object]:
    """What `rootfs.enter` mounts, as JSON-able data passed on the worker's command line."""
    files = interpreter_files()
    return {
        "root": root_dir,
        "binds": list(files.binds),
        "masked": list(files.masked),
        "links": [list(link) for link in files.lib_links],
        "worker_files": worker_sources(),
        "worker_dir": WORKER_DIR_INSIDE,
    }


def command(python_args: list[str]) -> list[str]:
    """`unshare ... python -I -S <python_args>`; raises FileNotFoundError when unshare is missing."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise FileNotFoundError("unshare not on PATH (util-linux)")
    return [
        unshare, "--user", "--map-root-user", "--net", "--pid", "--fork", "--ipc", "--uts", "--mount",
        "--kill-child", interpreter_files().executable, "-I", "-S", *python_args,
    ]


def worker_args(root_dir: str) -> list[str]:
    """Extra worker arguments: build the root at `root_dir` (an empty host directory) first."""
    return ["--rootfs", json.dumps(rootfs_spec(root_dir))]


@lru_cache(maxsize=1)
def probe() -> str | None:
    """None when `unshare` can start an isolated interpreter in its own root here, else why not."""
    sources = worker_sources()
    with tempfile.TemporaryDirectory(prefix="codeworld-probe-") as root_dir:
        code = (
            "import json, sys; sys.path.insert(0, sys.argv[1]); import rootfs; "
            "rootfs.enter(json.loads(sys.argv[2]))"
        )
        spec = json.dumps(rootfs_spec(root_dir))
        try:
            argv = command(["-c", code, sources["rootfs.py"].rsplit("/", 1)[0], spec])
        except FileNotFoundError as exc:
            return str(exc)
        return run_probe("unshare", argv, ("uid map", "Permission denied", "Operation not permitted"))


__all__ = ["MECHANISMS", "command", "probe", "rootfs_spec", "worker_args"]
