"""Residue steps for `mod` goals: write a variable as `m * q + r`, split `r` over `0..m-1`, close with `lia`.

`lia` decides linear integer arithmetic and treats a nonlinear monomial as
an atom, so once every variable under a `mod m` is replaced by `m * q + r`
with `r` a numeral, `Z.to_euclidean_division_equations` turns each `mod`
into a linear fact about those atoms and `lia` finishes: `(x + 1)^2 mod 19`
with `x mod 19 = 4` becomes arithmetic on `q`, `q^2`. A `nat` goal is first
cast to `Z` (casts pushed through `mod`, `/`, `+`, `*`, `^`; no `simpl`, which
would unfold `Z.mul` on a numeral into a match). Everything here is pure text.
"""

from __future__ import annotations

import re

from scillm.integrations.certainly.search.goals import GoalState

NAT_TO_Z = ("try apply Nat2Z.inj; repeat match goal with H : @eq nat _ _ |- _ => apply Nat2Z.inj_iff in H end; "
            "rewrite ?Nat2Z.inj_mod, ?Nat2Z.inj_div, ?Nat2Z.inj_add, ?Nat2Z.inj_mul, ?Nat2Z.inj_pow in *; "
            "Z.to_euclidean_division_equations; ")
# Casts pushed by syntactic matching with explicit arguments: a bare `rewrite ?Nat2Z.inj_pow` unifies up to
# conversion and can unfold a huge `nat` numeral expression while trying to match it.
NAT_COMPUTE_IN_Z = ("apply Nat2Z.inj; repeat match goal with "
                    "|- context [Z.of_nat (?a mod ?b)] => rewrite (Nat2Z.inj_mod a b) "
                    "| |- context [Z.of_nat (?a + ?b)] => rewrite (Nat2Z.inj_add a b) "
                    "| |- context [Z.of_nat (?a * ?b)] => rewrite (Nat2Z.inj_mul a b) "
                    "| |- context [Z.of_nat (?a ^ ?b)] => rewrite (Nat2Z.inj_pow a b) end; vm_compute; reflexivity.")
_MODULUS = re.compile(r"\bmod\s+\(?(\d{1,3})\b")
_MAX_CASES = 20


def _pattern(n: int) -> str:
    pat = "Hc"
    for _ in range(n - 1):
        pat = f"[Hc|{pat}]"
    return pat


def _known_residue(state: GoalState, var: str, m: int) -> bool:
    """Whether a hypothesis says `var mod m = c` outright (then `r` is substituted, no split needed)."""
    rx = re.compile(rf"^\(?\s*{re.escape(var)}\s+mod\s+{m}\s*\)?(?:%\w+)?\s*=\s*\(?\d+")
    return any(rx.match(h.type) for h in state.hypotheses)


def _decompose(var: str, m: int, nat: bool) -> str:
    q, r = f"q_{var}", f"r_{var}"
    if nat:
        facts = f"pose proof (Nat.div_mod {var} {m} ltac:(lia)); pose proof (Nat.mod_upper_bound {var} {m} ltac:(lia))"
    else:
        facts = f"pose proof (Z.div_mod {var} {m} ltac:(lia)); pose proof (Z.mod_pos_bound {var} {m} ltac:(lia))"
    return f"{facts}; set ({q} := {var} / {m}) in *; set ({r} := {var} mod {m}) in *; clearbody {q} {r}; subst {var}"


def _split(var: str, m: int) -> str:
    r = f"r_{var}"
    cases = " \\/ ".join(f"{r} = {c}" for c in range(m))
    return f"assert (Hc : {cases}) by lia; destruct Hc as {_pattern(m)}; subst {r}"


def residue_steps(state: GoalState, limit: int = 6) -> list[str]:
    """Closers that decompose the variables under a `mod` and decide the rest with `lia` (in `Z`)."""
    moduli = [m for m in dict.fromkeys(int(x) for x in _MODULUS.findall(state.text)) if m > 1]
    if not moduli:
        return []
    nats, ints = state.variables("nat"), state.variables("Z")
    pairs = [(v, m, v in nats) for m in moduli for v in [*nats, *ints]
             if re.search(rf"\b{re.escape(v)}\b\s*(?:\)\s*)*(?:mod|\)|\^|\*|\+)", state.text)]
    if not pairs:
        return []
    out: list[str] = []
    nat_goal = any(nat for _, _, nat in pairs) and not ints
    closer = (NAT_TO_Z if nat_goal else "Z.to_euclidean_division_equations; ") + "lia."
    known = [(v, m, nat) for v, m, nat in pairs if _known_residue(state, v, m)]
    seen_vars: set[str] = set()
    if known:
        steps = []
        for v, m, nat in known:
            if v not in seen_vars:
                seen_vars.add(v)
                steps.append(f"{_decompose(v, m, nat)}; try subst r_{v}")
        out.append("; ".join(steps) + f"; {closer}")
    for v, m, nat in pairs:
        if m <= _MAX_CASES and not _known_residue(state, v, m):
            out.append(f"{_decompose(v, m, nat)}; {_split(v, m)}; {closer}")
    return list(dict.fromkeys(out))[:limit]


__all__ = ["NAT_COMPUTE_IN_Z", "NAT_TO_Z", "residue_steps"]
