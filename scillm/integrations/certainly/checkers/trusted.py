"""Which libraries a proof search may import and which axioms a `proved` may rest on.

Both lists are policy, kept apart from the checking code so a reviewer can read
them in one place. An axiom is trusted when it is declared by a library on
`trusted_axioms.TRUSTED_AXIOMS` (named one by one: a package may also ship an
axiom that proves `False`, as Coq's `Compat.AdmitAxiom` does, and a release
may state a primitive's specification wrongly, as Sint63's `asr_spec` in every
release up to Rocq 9.2) AND the library declaring it was loaded
by the problem's header or by a trusted import. Axioms declared by the
problem's decls, by a candidate, or by any other library are never trusted.
"""

from __future__ import annotations

from collections.abc import Iterable

from scillm.integrations.certainly.checkers.trusted_axioms import KNOWN_FALSE, TRUSTED_AXIOMS

TRUSTED_IMPORTS: frozenset[str] = frozenset(
    {
        "Coq.micromega.Lia",
        "Coq.micromega.Lra",
        "Coq.micromega.Psatz",
        "Coq.ZArith.ZArith",
        "Coq.ZArith.Zpow_facts",
        "Coq.Reals.Reals",
        "Coq.QArith.QArith",
        "Coq.Arith.Arith",
        "Coq.Bool.Bool",
        "Coq.Lists.List",
        "Coq.setoid_ring.Ring",
        "Coq.setoid_ring.Field",
        "Coq.Logic.Classical",
        "Coq.Logic.FunctionalExtensionality",
        "Coquelicot.Coquelicot",
        "mathcomp.ssreflect.ssreflect",
        "mathcomp.ssreflect.ssrnat",
        "mathcomp.ssreflect.ssrbool",
        "mathcomp.ssreflect.eqtype",
        "mathcomp.algebra.ssralg",
        "Hammer.Tactics.Tactics",
        "Interval.Tactic",
    }
)
"""Logical module paths a search may add as `Require Import` before the theorem."""

TRUSTED_ROOTS: frozenset[str] = frozenset(
    {"Coq", "Stdlib", "Ltac2", "Coquelicot", "mathcomp", "Flocq", "Interval", "Hammer", "Bignums"}
)
"""Logical roots of the packages whose declared axioms are accepted (the Debian `libcoq-*` set)."""


AXIOM_LIBRARIES: frozenset[str] = frozenset(TRUSTED_AXIOMS)
"""Libraries that declare a trusted axiom (`trusted_axioms.TRUSTED_AXIOMS` names each one)."""


SEALED_MODULES: frozenset[str] = frozenset(
    {
        "Coq.ssr.ssrunder.Under_rel",
        "Coq.Reals.Rdefinitions.RbaseSymbolsImpl",
        "Coq.Reals.Rdefinitions.RinvImpl",
    }
)
"""Standard-library modules sealed by a module type whose fields `coqchk -o` lists as axioms.

Each is defined (`Module M : SIG. Definition ... End M.`); `Print Assumptions`
looks through the seal and never reports them. A context whose only
`coqchk` axioms are these fields gives every theorem an empty assumption list.
"""


def sealed_field(name: str) -> bool:
    """True for a field of one of `SEALED_MODULES` (`Coq.ssr.ssrunder.Under_rel.over_rel`)."""
    return name.rpartition(".")[0] in SEALED_MODULES


def library_of(name: str, loaded_libraries: Iterable[str]) -> str | None:
    """The longest loaded library that is a strict prefix of the qualified name `name`."""
    loaded = loaded_libraries if isinstance(loaded_libraries, (set, frozenset)) else frozenset(loaded_libraries)
    parts = name.split(".")
    for k in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:k])
        if prefix in loaded:
            return prefix
    return None


def trusted_axiom(name: str, loaded_libraries: Iterable[str]) -> bool:
    """True when `name` (fully qualified) is on `TRUSTED_AXIOMS` under a loaded library that declares it."""
    library = library_of(name, loaded_libraries)
    if library is None:
        return False
    root, _, rest = library.partition(".")
    spelled = f"Coq.{rest}" if root in ("Stdlib", "Corelib") else library
    relative = name[len(library) + 1:]
    return f"{spelled}.{relative}" not in KNOWN_FALSE and relative in TRUSTED_AXIOMS.get(spelled, frozenset())


def known_false(name: str) -> str | None:
    """Why `name` (fully qualified, Rocq 9 roots read as `Coq`) is an axiom known to be false, or None."""
    root, _, rest = name.partition(".")
    return KNOWN_FALSE.get(f"Coq.{rest}" if root in ("Stdlib", "Corelib") else name)


def normalize_import(module: str) -> str | None:
    """`module` spelled as in `TRUSTED_IMPORTS` (`Stdlib.` is read as `Coq.`), or None when it is not trusted."""
    if not isinstance(module, str):
        return None
    name = module.strip()
    if name.startswith("Stdlib."):
        name = "Coq." + name[len("Stdlib."):]
    return name if name in TRUSTED_IMPORTS else None


__all__ = ["AXIOM_LIBRARIES", "SEALED_MODULES", "TRUSTED_IMPORTS", "TRUSTED_ROOTS", "known_false", "library_of", "normalize_import", "sealed_field",
           "trusted_axiom"]
