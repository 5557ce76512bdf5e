"""Run many Python code blocks in one fresh interpreter, each in its own namespace, and report each.

Usage: `python block_runner.py blocks.json outcomes.json` where blocks.json is
`[{"id": ..., "code": ...}, ...]`. Each block runs as `__main__` in a new
globals dict, in order, with its own captured stdout/stderr; outcomes.json
gets `{id: {"ok": bool, "output": str, "error": str | null}}`. One
interpreter per file keeps the suite fast (LiteLLM is imported once) while a
failing block still fails only its own test. Standalone: stdlib only.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback


def run_block(block_id: str, code: str) -> dict[str, object]:
    out = io.StringIO()
    error = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            exec(compile(code, f"<{block_id}>", "exec"), {"__name__": "__main__", "__file__": block_id})
        except SystemExit as exc:
            if exc.code not in (None, 0):
                error = f"SystemExit({exc.code!r})"
        except BaseException:  # noqa: BLE001  a doc block's failure is reported with the block
            error = traceback.format_exc()
    return {"ok": error is None, "output": out.getvalue(), "error": error}


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as fh:
        blocks = json.load(fh)
    outcomes: dict[str, object] = {}
    for block in blocks:
        outcomes[block["id"]] = run_block(block["id"], block["code"])
        with open(argv[2], "w", encoding="utf-8") as fh:
            json.dump(outcomes, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
