"""scillm: LiteLLM with scientific providers (certainly, lean4, codeworld).

`import scillm` stays light: every public name below is resolved on first
attribute access (PEP 562), so LiteLLM, FastAPI and the engines load only
when they are used. Type checkers and IDEs read the `TYPE_CHECKING` block
instead, which imports the same names from the same modules (a test keeps
the block and `_LAZY` equal), so they see the real signatures.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scillm import errors as errors
    from scillm.llms.prove import certainly_prove as certainly_prove
    from scillm.llms.prove import certainly_prove_iter as certainly_prove_iter
    from scillm.llms.prove import certainly_prove_simple as certainly_prove_simple
    from scillm.llms.prove import certainly_prove_simple_iter as certainly_prove_simple_iter
    from scillm.llms.registry import ModelResponse as ModelResponse
    from scillm.llms.registry import Router as Router
    from scillm.llms.registry import acompletion as acompletion
    from scillm.llms.registry import completion as completion
    from scillm.llms.registry import register_providers as register_providers
    from scillm.llms.requirement import prove_requirement as prove_requirement
    from scillm.llms.requirement import prove_requirement_sync as prove_requirement_sync
    from scillm.paved.batch import batch_acompletions as batch_acompletions
    from scillm.paved.batch import batch_acompletions_iter as batch_acompletions_iter
    from scillm.paved.batch import parallel_acompletions as parallel_acompletions
    from scillm.paved.batch import parallel_acompletions_iter as parallel_acompletions_iter

__version__ = "0.1.0"

# public name -> "module:attribute"; the single table of the public API.
_LAZY: dict[str, str] = {
    # LiteLLM's own objects, with scillm's providers registered first.
    "completion": "scillm.llms.registry:completion",
    "acompletion": "scillm.llms.registry:acompletion",
    "Router": "scillm.llms.registry:Router",
    "ModelResponse": "scillm.llms.registry:ModelResponse",
    "register_providers": "scillm.llms.registry:register_providers",
    # batch fan-out (paved path)
    "parallel_acompletions": "scillm.paved.batch:parallel_acompletions",
    "parallel_acompletions_iter": "scillm.paved.batch:parallel_acompletions_iter",
    "batch_acompletions": "scillm.paved.batch:batch_acompletions",
    "batch_acompletions_iter": "scillm.paved.batch:batch_acompletions_iter",
    # certainly
    "certainly_prove": "scillm.llms.prove:certainly_prove",
    "certainly_prove_simple": "scillm.llms.prove:certainly_prove_simple",
    "certainly_prove_iter": "scillm.llms.prove:certainly_prove_iter",
    "certainly_prove_simple_iter": "scillm.llms.prove:certainly_prove_simple_iter",
    "prove_requirement": "scillm.llms.requirement:prove_requirement",
    "prove_requirement_sync": "scillm.llms.requirement:prove_requirement_sync",
    # errors
    "errors": "scillm.errors",
}

__all__ = ["__version__", *_LAZY]


if not TYPE_CHECKING:  # a checker sees the imports above, never an `Any` from __getattr__

    def __getattr__(name: str) -> object:
        target = _LAZY.get(name)
        if target is None:
            raise AttributeError(f"module 'scillm' has no attribute {name!r}")
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(module_name)
        value = getattr(module, attr) if attr else module
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)
