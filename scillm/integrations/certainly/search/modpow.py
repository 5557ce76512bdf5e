"""Big modular powers and sums over lists, decided in binary `Z` with the standard modular exponentiation.

`1999 ^ 2000 mod 5` cannot be built in unary `nat`, and even in `Z`
`vm_compute` multiplies 20 000-bit numbers 2000 times. The closer here casts a
`nat` goal to `Z` by syntactic matching only (as `NAT_COMPUTE_IN_Z` does, so
no huge numeral is unfolded), pushes `mod` through `+` and `*` with
`Z.add_mod`/`Z.mul_mod` (each applied once per sum: a sum whose left side is
already reduced is left alone, so the rewriting terminates), and replaces each
`a ^ b mod n` by the standard library's `Zpow_mod a b n`
(`Coq.ZArith.Zpow_facts`, proved equal by `Zpow_mod_correct`), which squares
modulo `n`; `vm_compute` then finishes with numbers below `n`. A sum written
with `seq`/`map`/`fold_right`/`list_sum` is first unfolded to its terms with a
`cbn` restricted to those list functions, so no arithmetic is evaluated early.
Everything here is pure text.
"""

from __future__ import annotations

import re

from scillm.integrations.certainly.search.goals import GoalState

#: The standard-library module whose `Zpow_mod`/`Zpow_mod_correct` the closer uses.
ZPOW_IMPORT = "Coq.ZArith.Zpow_facts"

_CASTS = ("try apply Nat2Z.inj; repeat match goal with "
          "|- context [Z.of_nat (?a mod ?b)] => rewrite (Nat2Z.inj_mod a b) "
          "| |- context [Z.of_nat (?a + ?b)] => rewrite (Nat2Z.inj_add a b) "
          "| |- context [Z.of_nat (?a * ?b)] => rewrite (Nat2Z.inj_mul a b) "
          "| |- context [Z.of_nat (?a ^ ?b)] => rewrite (Nat2Z.inj_pow a b) end; ")
_SPREAD = ("repeat match goal with "
           "|- context [Z.modulo (?a + ?b) ?n] => lazymatch a with Z.modulo _ _ => fail | _ => "
           "rewrite (Z.add_mod a b n) by lia end "
           "| |- context [Z.modulo (?a * ?b) ?n] => lazymatch a with Z.modulo _ _ => fail | _ => "
           "rewrite (Z.mul_mod a b n) by lia end end; ")
_POWERS = ("repeat match goal with |- context [Z.modulo (Z.pow ?a ?b) ?n] => "
           "rewrite <- (Zpow_facts.Zpow_mod_correct a b n) by lia end; ")
#: Closes `E mod n = c` (nat or Z) with `E` built from numerals by `+`, `*`, `^`.
MOD_POW_IN_Z = _CASTS + _SPREAD + _POWERS + "vm_compute; reflexivity."

_ONE_BIG = ("let x := fresh \"big\" in set (x := Nat.of_num_uint u) in *; "
            "let v := eval vm_compute in (Z.of_nat x) in assert (Z.of_nat x = v) by (vm_compute; reflexivity); "
            "clearbody x")
#: Each `nat` numeral above 5000 (kept by Coq as `Nat.of_num_uint <digits>`, opaque to `lia`) becomes an atom
#: with its value in `Z` as a fact; then `lia`/`nia` decide the rest.
BIG_NAT_AS_ATOMS = ("repeat match goal with | H : context [Nat.of_num_uint ?u] |- _ => " + _ONE_BIG +
                    " | |- context [Nat.of_num_uint ?u] => " + _ONE_BIG + " end; ")
_BIG_NAT = re.compile(r"\bof_num_uint\b|\bDecimal\.D\d")
_LIST_FUNS = ("seq", "map", "fold_right", "fold_left", "list_sum", "repeat", "app", "rev")
_UNFOLD = "cbn [" + " ".join(_LIST_FUNS) + "]"
_LIST_WORD = re.compile(r"\b(?:seq|fold_right|fold_left|list_sum)\b")
_POW_UNDER_MOD = re.compile(r"\^|\bpow\b")
_MOD = re.compile(r"\bmod\b|\bZ\.modulo\b")


def power_mod_text(text: str) -> bool:
    """Whether `text` takes a power modulo something, with no list to unfold first (the closer's only use)."""
    return bool(_MOD.search(text) and _POW_UNDER_MOD.search(text)) and not _LIST_WORD.search(text)


def modpow_scripts(statement: str) -> list[str]:
    """Whole scripts for a statement that takes powers modulo something: unfolded first when it sums a list."""
    if power_mod_text(statement):
        return ["intros; " + MOD_POW_IN_Z]
    if _LIST_WORD.search(statement) and _MOD.search(statement) and _POW_UNDER_MOD.search(statement):
        return [f"intros; {_UNFOLD}; {MOD_POW_IN_Z}"]
    return []


def big_nat_closers(state: GoalState) -> list[str]:
    """`lia`/`nia` after naming each large `nat` numeral of the goal with its value."""
    if not _BIG_NAT.search(state.text):
        return []
    return [BIG_NAT_AS_ATOMS + "lia.", BIG_NAT_AS_ATOMS + "nia."]


def has_power_mod(state: GoalState) -> bool:
    """Whether the focused goal takes a power modulo something."""
    return power_mod_text(state.conclusion)


def list_unfold_steps(state: GoalState) -> list[str]:
    """`cbn` restricted to the list functions when the goal sums over a list, then rewriting and computing."""
    if not _LIST_WORD.search(state.conclusion):
        return []
    unfold = _UNFOLD
    equations = [name for h in state.hypotheses if _is_equation(h.type) for name in h.names]
    rewrites = [f"rewrite ?{name}" for name in equations]
    # `map f l` with `H : forall n, f n = e`: one rewrite under `map` (then nothing is left opaque to compute).
    out = [f"rewrite (map_ext _ _ {name}); vm_compute; reflexivity." for name in equations
           if re.search(r"\bmap\b", state.conclusion)]
    out.append(f"{unfold}.")
    if rewrites:
        out.append(f"{unfold}; {'; '.join(rewrites)}; vm_compute; reflexivity.")
    if _MOD.search(state.conclusion):
        out.append(f"{unfold}; {MOD_POW_IN_Z}")
    out.append(f"{unfold}; vm_compute; reflexivity.")
    return out


def _is_equation(ty: str) -> bool:
    return ty.startswith("forall") and " = " in ty.split(",", 1)[-1] and "->" not in ty


__all__ = ["BIG_NAT_AS_ATOMS", "MOD_POW_IN_Z", "big_nat_closers", "ZPOW_IMPORT", "has_power_mod", "list_unfold_steps", "modpow_scripts", "power_mod_text"]
