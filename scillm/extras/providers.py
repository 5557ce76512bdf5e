"""Re-exports at the import paths existing pipelines use (`scillm.extras.providers.certainly_prove`)."""

from __future__ import annotations

from scillm.llms.prove import (
    certainly_prove,
    certainly_prove_iter,
    certainly_prove_simple,
    certainly_prove_simple_iter,
)

__all__ = ["certainly_prove", "certainly_prove_iter", "certainly_prove_simple", "certainly_prove_simple_iter"]
