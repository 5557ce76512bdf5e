"""Cheap probes for what this machine can run, used by marker skips."""

from __future__ import annotations

import shutil
import subprocess


def bwrap_works() -> bool:
    """True when bubblewrap can actually create its namespaces here."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False
    try:
        proc = subprocess.run(
            [bwrap, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
            capture_output=True, timeout=10, env={},
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0
