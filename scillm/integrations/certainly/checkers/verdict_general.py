"""The statement read with the header alone, the decls' names taken as parameters.

A statement that needs the decls (`marker -> 2 *-1 = 2` with decls
`Definition marker := True.`) has no header-alone reading to compare with,
so only checks of what the decls touch guarded it. Read instead as a
function of the decls' names that it uses, `fun (marker : _) => ...`,
elaborated before the decls with their types inferred, it has the meaning
the header gives to everything else: its notations, numerals, scopes,
instances and coercions. Applied after the decls to what those names mean
there, it must be convertible to the statement read with the decls
(`Verify.v`). A statement the header cannot read that way (it uses a decls
notation, matches on a decls inductive, or a type cannot be inferred) has no
such reading, and the other checks decide.
"""

from __future__ import annotations

from scillm.integrations.certainly.checkers import verdict_text as vt
from scillm.integrations.certainly.checkers.meaning import declared_names

_MAX_NAMES = 64


def general_names(decls: str, statement: str) -> list[str]:
    """The names the decls declare that the statement uses as words, in order of first use."""
    declared = declared_names(decls)
    words = [tok for tok, ident in vt.statement_tokens(statement) if ident and tok not in vt.KEYWORDS]
    return [w for w in words if w in declared][:_MAX_NAMES]


def before_decls(names: list[str], statement: str, parses: bool) -> list[str]:
    """`scillm_general_reading.f`: the statement as a function of `names`, or `tt` when it does not elaborate."""
    binders = " ".join(f"({n} : _)" for n in names)
    body = f"first [exact (fun {binders} => (({statement}) : Type)) | exact tt]" if names and parses else "exact tt"
    return ["Module scillm_general_reading.", 'Local Set Warnings "-all".', f"Definition f := ltac:({body}).",
            "End scillm_general_reading."]


def after_decls(problem: str, names: list[str]) -> str:
    """`scillm_general`: the reading applied to what `names` mean after the decls, None when it does not apply."""
    if not names:
        return "Definition scillm_general : option Type := @None Type."
    return (f"Definition scillm_general : option Type := ltac:(first [exact (Some ({problem}.scillm_general_reading.f "
            f"{' '.join(names)})) | exact (@None Type)]).")


def same_sentence(problem: str) -> str:
    """Verify.v's check, by the problem's full names, that the applied reading is the statement's."""
    return (f"Definition scillm_same_general : (match {problem}.scillm_general with Some T => T | None => "
            f"{problem}.scillm_statement end) -> {problem}.scillm_statement := fun x => x.")


__all__ = ["after_decls", "before_decls", "general_names", "same_sentence"]
