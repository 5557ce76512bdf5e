"""Which libraries a proof search may import and which axioms a `proved` may rest on.

Both lists are policy, kept apart from the checking code so a reviewer can read
them in one place. An axiom is trusted when it is declared by a library on
`AXIOM_LIBRARIES` (named one by one: a package may also ship an axiom that
proves `False`, as Coq's `Compat.AdmitAxiom` does) AND that library was loaded
by the problem's header or by a trusted import. Axioms declared by the
problem's decls, by a candidate, or by any other library are never trusted.
"""

from __future__ import annotations

from collections.abc import Iterable

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


AXIOM_LIBRARIES: frozenset[str] = frozenset(
    {
        # classical logic, choice, description, extensionality, proof irrelevance
        "Coq.Logic.Classical_Prop", "Coq.Logic.ClassicalEpsilon", "Coq.Logic.ClassicalUniqueChoice",
        "Coq.Logic.Description", "Coq.Logic.Epsilon", "Coq.Logic.Eqdep", "Coq.Logic.ExtensionalFunctionRepresentative",
        "Coq.Logic.FunctionalExtensionality", "Coq.Logic.IndefiniteDescription", "Coq.Logic.ProofIrrelevance",
        "Coq.Logic.PropExtensionality", "Coq.Logic.RelationalChoice", "Coq.Sets.Ensembles",
        # the real numbers
        "Coq.Reals.ClassicalDedekindReals", "Coq.Reals.Rdefinitions",
        # primitive integers, floats and arrays, and their specifications
        "Coq.Numbers.Cyclic.Int63.PrimInt63", "Coq.Numbers.Cyclic.Int63.Uint63", "Coq.Numbers.Cyclic.Int63.Sint63",
        "Coq.Floats.PrimFloat", "Coq.Floats.FloatAxioms", "Coq.Array.PArray",
        # fields of sealed modules (definitions `coqchk` lists as axioms)
        "Coq.ssr.ssrunder", "mathcomp.fingroup.perm", "mathcomp.ssreflect.bigop", "mathcomp.ssreflect.finfun",
        "mathcomp.ssreflect.finset", "mathcomp.ssreflect.fintype", "mathcomp.ssreflect.generic_quotient",
        "mathcomp.ssreflect.tuple",
    }
)
"""Libraries whose declared axioms a `proved` may rest on (Rocq 9's `Stdlib.`/`Corelib.` read as `Coq.`).

Every global axiom the installed standard library and Debian `libcoq-*`
packages declare is here except `Coq.Compat.AdmitAxiom.proof_admitted : False`
and the extraction-only `Coq.extraction.ExtrOcamlIntConv` parameters (listed
with `coqchk -o` over a module that `Require`s all of them).
"""


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
    """True when `name` (fully qualified) is declared by a loaded library on `AXIOM_LIBRARIES`."""
    library = library_of(name, loaded_libraries)
    if library is None:
        return False
    root, _, rest = library.partition(".")
    return (f"Coq.{rest}" if root in ("Stdlib", "Corelib") else library) in AXIOM_LIBRARIES


def normalize_import(module: str) -> str | None:
    """`module` spelled as in `TRUSTED_IMPORTS` (`Stdlib.` is read as `Coq.`), or None when it is not trusted."""
    if not isinstance(module, str):
        return None
    name = module.strip()
    if name.startswith("Stdlib."):
        name = "Coq." + name[len("Stdlib."):]
    return name if name in TRUSTED_IMPORTS else None


__all__ = ["AXIOM_LIBRARIES", "SEALED_MODULES", "TRUSTED_IMPORTS", "TRUSTED_ROOTS", "library_of", "normalize_import", "sealed_field",
           "trusted_axiom"]
