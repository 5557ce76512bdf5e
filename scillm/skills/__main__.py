"""`python -m scillm.skills list|install|uninstall`."""

from __future__ import annotations

import sys

from scillm.skills.commands import main

if __name__ == "__main__":
    sys.exit(main())
