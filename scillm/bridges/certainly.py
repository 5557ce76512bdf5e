"""`python -m scillm.bridges.certainly`: serve the certainly bridge (the same as `scillm bridge certainly`)."""

from __future__ import annotations

from scillm.bridges.serve import main

if __name__ == "__main__":
    raise SystemExit(main(engine="certainly"))
