"""`python -m scillm.bridges <certainly|codeworld> [--host H] [--port P]`."""

from __future__ import annotations

from scillm.bridges.serve import main

raise SystemExit(main())
