"""The library view `coqchk` loads from: only the installed library directories the problem's context uses.

`coqchk` 8.16 looks every dependency edge of every library up in every
load-path entry: about 75,000 lookups for a `Reals` problem against every
installed package, a sixth of its time. With a load path of only the ~20
top-level directories the context loaded, it checks the same files faster.
They are the installed directories, bound read-only under the same logical
names, so each library resolves to the same file (and `coqchk` compares each
one's digest with what the candidate was compiled against). A check that
fails with the view is run again on the whole installation, so the view can
make a verdict faster, never different.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Iterable

#: Where the view is mounted inside the sandbox (`coqchk -coqlib VIEW_COQLIB`).
VIEW_COQLIB = "/coqlib/coq"
_PLUGINS = "/coqlib/coq-core/plugins"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_']*")


@functools.lru_cache(maxsize=4)
def installed_coqlib(compile_cmd: tuple[str, ...]) -> str | None:
    """The installation's library root (`coqc -where`), or None when it has no `theories` directory."""
    try:
        where = subprocess.run([*compile_cmd, "-where"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return where if where and os.path.isdir(os.path.join(where, "theories")) else None


def view_mounts(coqlib: str, libraries: Iterable[str], empty_dir: str) -> tuple[tuple[str, str], ...] | None:
    """Read-only mounts holding the top-level directories of `libraries` (logical names), or None when one of
    them is not an installed directory where its name says (then `coqchk` uses the whole installation).

    `Coq.Reals.Rdefinitions` needs `theories/Reals`, `Coquelicot.Hierarchy`
    needs `user-contrib/Coquelicot`; `empty_dir` stands in for the plugin
    directory `coqchk` opens and for an unused `user-contrib`.
    """
    theories: set[str] = set()
    contrib: set[str] = set()
    for name in libraries:
        parts = name.split(".")
        if len(parts) < 2 or not all(_IDENT.fullmatch(p) for p in parts):
            return None
        if parts[0] == "Coq":
            if len(parts) < 3:
                return None
            theories.add(parts[1])
        else:
            contrib.add(parts[0])
    if not theories:
        return None
    mounts: list[tuple[str, str]] = []
    for sub, names in (("theories", theories), ("user-contrib", contrib)):
        for top in sorted(names):
            host = os.path.join(coqlib, sub, top)
            if not os.path.isdir(host) or os.path.islink(host):
                return None
            mounts.append((host, f"{VIEW_COQLIB}/{sub}/{top}"))
    if not contrib:
        mounts.append((empty_dir, f"{VIEW_COQLIB}/user-contrib"))
    mounts.append((empty_dir, _PLUGINS))
    return tuple(mounts)


__all__ = ["VIEW_COQLIB", "installed_coqlib", "view_mounts"]
