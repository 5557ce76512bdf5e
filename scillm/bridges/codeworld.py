"""`python -m scillm.bridges.codeworld`: serve the codeworld bridge (the same as `scillm bridge codeworld`)."""

from __future__ import annotations

from scillm.bridges.serve import main

if __name__ == "__main__":
    raise SystemExit(main(engine="codeworld"))
