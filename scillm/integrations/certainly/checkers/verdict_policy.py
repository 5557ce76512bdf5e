"""Which kernel-checked proofs the independent verdict accepts, read from `coqchk` and `Print Assumptions`.

`coqchk -o` lists every axiom of the loaded context and every weakened
kernel check; that list decides. `Print Assumptions` (slow: it reloads the
opaque proofs of every lemma the theorem uses) only narrows the context's
axioms down to the ones the theorem uses, so it runs only when the context
has an axiom it could report (`needs_assumptions`).
"""

from __future__ import annotations

from scillm.integrations.certainly.checkers import verdict_text as vt
from scillm.integrations.certainly.checkers.trusted import (
    TRUSTED_ROOTS,
    known_false,
    sealed_field,
    trusted_axiom,
)
from scillm.integrations.certainly.checkers.verdict_result import Verdict


def needs_assumptions(summary: vt.KernelSummary) -> bool:
    """True when `Print Assumptions` could name an axiom: the context has one besides sealed-module fields."""
    return any(not sealed_field(name) for name in summary.axioms)


def policy(summary: vt.KernelSummary, assumed: vt.Assumptions, loaded: frozenset[str], problem_root: str,
           root: str) -> Verdict:
    """Accept only trusted axioms and unweakened kernel checks; name what is refused."""
    if not summary.predicative:
        return Verdict(status="rejected", message="the kernel checker reports an impredicative Set")
    if summary.weakened:
        return Verdict(status="rejected", message=f"kernel checks weakened: {'; '.join(summary.weakened)[:300]}")
    if assumed.other:
        return Verdict(status="rejected", message=f"the theorem rests on {', '.join(assumed.other)[:300]}")
    used: set[str] = set()
    for short in assumed.axioms:
        full = [a for a in summary.axioms if a == short or a.endswith("." + short)]
        if not full:
            return Verdict(status="rejected", message=f"axiom {short} is not in the kernel checker's list")
        used.update(full)
    for name in summary.axioms:
        first = name.split(".", 1)[0]
        if first == problem_root:
            return Verdict(status="rejected", message=f"the decls declare the axiom {name.split('.', 2)[-1]}")
        if first == root:
            return Verdict(status="rejected", message=f"the proof declares the axiom {name.split('.', 2)[-1]}")
        if trusted_axiom(name, loaded):
            continue
        why = known_false(name) if name in used else None
        if why is not None:
            return Verdict(status="rejected", message=f"proof depends on axiom {name}, which is not trusted: {why}")
        if first not in TRUSTED_ROOTS or name in used:
            return Verdict(status="rejected", message=f"proof depends on axiom {name}, which no trusted library "
                           "loaded by the header or the search's imports declares")
    return Verdict(status="proved", axioms=tuple(sorted(used)))


__all__ = ["needs_assumptions", "policy"]
