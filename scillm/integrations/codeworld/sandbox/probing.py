"""Running a launcher's start-up probe and saying why it failed, the same way for every launcher."""

from __future__ import annotations

import subprocess

_USERNS_HINT = " (unprivileged user namespaces are restricted here, e.g. kernel.apparmor_restrict_unprivileged_userns=1)"


def run_probe(tool: str, argv: list[str], denied_markers: tuple[str, ...]) -> str | None:
    """None when `argv` exits 0 within 20 s, else why not (with a user-namespace hint when stderr suggests one)."""
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=20, env={}, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{tool} failed to start: {exc}"
    if proc.returncode == 0:
        return None
    err = proc.stderr.decode("utf-8", "replace").strip()[-400:]
    hint = _USERNS_HINT if any(marker in err for marker in denied_markers) else ""
    return f"{tool} exited {proc.returncode}: {err}{hint}"


__all__ = ["run_probe"]
