"""The offline tactic library: closers by measured family, and per-goal generators.

Closers are ordered by measured yield per second on miniF2F-rocq (see the
benchmark notes): `lra`, `field_simplify; lra`, `lia`, the Rabs split,
computation, logic, then the slow ones (`nra`, `nia`, `psatz R 2`). A
closer is offered only when the goal has the shape it needs (reals, `Rabs`,
`mod`, ...), so a step is rarely wasted. Generators read the focused goal:
its hypotheses (`rewrite H`, `pose proof (H c)`, `destruct H`), its
variables (induction, bounded case splits), `exists` (witnesses typed per
`nat`/`Z`/`R`, function witnesses), `sqrt`/`ln` terms (`real_terms.py`),
functional equations (`instances.py`) and complex equalities
(`apply injective_projections`). Everything here is pure text.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass

from scillm.integrations.certainly.models import Problem
from scillm.integrations.certainly.search.divisibility import divisibility_steps
from scillm.integrations.certainly.search.goals import GoalState
from scillm.integrations.certainly.search.instances import function_witnesses, instance_steps, product_splits
from scillm.integrations.certainly.search.modpow import (
    MOD_POW_IN_Z,
    big_nat_closers,
    has_power_mod,
    list_unfold_steps,
)
from scillm.integrations.certainly.search.real_terms import ln_steps, sqrt_steps
from scillm.integrations.certainly.search.residues import NAT_COMPUTE_IN_Z, NAT_TO_Z, residue_steps

_REAL = re.compile(r"\b(?:R|Rabs|sqrt|ln|exp|Rmax|Rmin|PI|INR|IZR|Rpower|pow|Rsqr|cos|sin)\b|%R|\bC\b")
_INT = re.compile(r"\b(?:nat|Z|N|mod|Nat|Zmod|Z\.\w+)\b|%nat|%Z")
_NUMERAL = re.compile(r"(?<![\w.'])(\d{1,6})(?![\w.'])")
_EXISTS = re.compile(r"^exists\s+([A-Za-z_][\w']*)(?:\s*:\s*([A-Za-z_][\w.]*))?\s*,")
_DEF = re.compile(r"^\s*(?:Definition|Fixpoint|Function)\s+([A-Za-z_][\w']*)", re.MULTILINE)
_BOUND = re.compile(r"^\(?\s*([A-Za-z_][\w']*)\s*(<|<=)\s*(\d{1,3})\s*\)?(?:%\w+)?$")
_RANGE = re.compile(r"^\(?\s*(\d{1,3})\s*(<|<=)\s*([A-Za-z_][\w']*)\s*(<|<=)\s*(\d{1,3})\s*\)?(?:%\w+)?$")
_LOWER = re.compile(r"^\(?\s*(\d{1,3})\s*(<|<=)\s*([A-Za-z_][\w']*)\s*\)?(?:%\w+)?$")
_MODULUS = re.compile(r"\bmod\s+(\d{1,2})\b")
_FORALL_ARITY = re.compile(r"^forall\s+(.*?),")

# nat `mod` is opaque to zify here: move every nat equation and the goal to Z, then divide there.
_NAT_MOD_IN_Z = (NAT_TO_Z + "lia.", NAT_TO_Z + "nia.")

HEAVY = re.compile(r"\b(?:nia|nra|psatz|vm_compute|compute|field_simplify|field|sauto|Z\.to_euclidean_division_equations)\b")


@dataclass(frozen=True)
class Shape:
    """What a goal is about, read from its text."""

    real: bool
    integer: bool
    rabs: bool
    minmax: bool
    modulo: bool
    complex: bool
    csdp: bool
    hammer: bool = False
    power_mod: bool = False


def shape_of(problem: Problem, state: GoalState) -> Shape:
    text = f"{state.text} {problem.header}"
    return Shape(
        real=bool(_REAL.search(state.text)) or "R_scope" in problem.header,
        integer=bool(_INT.search(state.text)),
        rabs="Rabs" in state.text,
        minmax=bool(re.search(r"\bR(?:max|min)\b", state.text)),
        modulo=bool(re.search(r"\bmod\b|\bmodulo\b|\bZ\.rem\b|\bdiv\b|/", state.text)),
        complex="Coquelicot" in text and bool(re.search(r"\bC\b|RtoC|Cmult|Cplus|Re\b|Im\b", state.text)),
        csdp=shutil.which("csdp") is not None,
        hammer="Hammer" in problem.header,
        power_mod=has_power_mod(state),
    )


def closers(shape: Shape) -> list[str]:
    """Leaf automation for the focused goal, best measured yield per second first."""
    out: list[str] = [MOD_POW_IN_Z] if shape.power_mod else []
    if shape.real:
        out += ["lra.", "field_simplify; lra."]
    out += ["lia.", "reflexivity."]
    if shape.rabs:
        out += ["unfold Rabs in *; repeat destruct Rcase_abs; lra.",
                "unfold Rabs in *; repeat destruct Rcase_abs; nra."]
    if shape.minmax:
        out += ["unfold Rmax, Rmin in *; repeat destruct Rle_dec; lra."]
    out += ["easy.", "vm_compute; reflexivity.", "congruence.", "intuition.", "ring."]
    if shape.complex:
        out += ["apply injective_projections; simpl; ring.", "apply injective_projections; simpl; lra.",
                "apply injective_projections; simpl; field; lra."]
    if shape.real:
        out += ["nra.", "field; lra.", "simpl in *; lra.", "simpl in *; nra."]
        if shape.csdp:
            out.append("psatz R 2.")
    if shape.integer or not shape.real:
        out += ["nia.", "simpl; lia.", "simpl in *; lia."]
        if shape.modulo:
            out += ["zify; Z.to_euclidean_division_equations; lia.", "Z.to_euclidean_division_equations; nia.",
                    "zify; Z.to_euclidean_division_equations; nia."]
            if not shape.real:
                out += _NAT_MOD_IN_Z
        out += ["apply Nat2Z.inj; vm_compute; reflexivity.", "compute; lia.", NAT_COMPUTE_IN_Z]
    out += ["auto.", "tauto.", "compute; lra." if shape.real else "simpl; ring."]
    if shape.hammer:
        out.append("sauto.")
    return out


def _numerals(text: str) -> list[str]:
    return list(dict.fromkeys(_NUMERAL.findall(text)))


def witnesses(state: GoalState, problem: Problem, limit: int = 24) -> list[str]:
    """`exists c.` for small constants and the statement's own constants, typed per binder type."""
    m = _EXISTS.match(state.conclusion)
    if m is None:
        return []
    ty = m.group(2) or ""
    scope = {"nat": "%nat", "Z": "%Z", "R": "%R"}.get(ty, "")
    consts = [str(i) for i in range(0, 11)] + _numerals(problem.statement + " " + state.text)
    out = [f"exists ({c}{scope})." for c in dict.fromkeys(consts)]
    if ty in ("Z", "R"):
        out += [f"exists (-{c}{scope})." for c in ("1", "2", "3")]
    return out[:limit]


def _hyp_tactics(state: GoalState) -> list[str]:
    out: list[str] = []
    consts = list(dict.fromkeys(_numerals(state.conclusion) + _numerals(state.text)))[:5]
    for hyp in state.hypotheses:
        ty = hyp.type
        for name in hyp.names:
            if ty.startswith("exists") or "/\\" in ty and not ty.startswith("forall"):
                out.append(f"destruct {name} as [? ?].")
            elif "\\/" in ty and not ty.startswith("forall"):
                out.append(f"destruct {name}.")
            if ty.startswith("forall"):
                body = ty.split(",", 1)[-1]
                if " = " in body:
                    head = body.split("=", 1)[0].split()
                    if head and not re.search(rf"\b{re.escape(head[0])}\b", body.split("=", 1)[1]):
                        out.append(f"repeat rewrite {name} in *.")
                    out += [f"rewrite {name} in *.", f"rewrite {name}."]
                    if re.search(r"\bmap\b", state.conclusion):
                        out.append(f"rewrite (map_ext _ _ {name}).")
                arity = _arity(ty)
                for c in consts:
                    out.append(f"pose proof ({name} {' '.join([c] * arity)}).")
                    out.append(f"pose proof ({name} {c}).")
                out.append(f"apply {name}.")
            elif " = " in ty and "forall" not in ty:
                out += [f"rewrite {name}.", f"rewrite <- {name}.", f"rewrite {name} in *."]
                if "/" in ty:
                    out += [f"field_simplify_eq in {name}.", f"field_simplify in {name}."]
            elif "->" in ty:
                out.append(f"apply {name}.")
    return list(dict.fromkeys(out))


def _arity(ty: str) -> int:
    m = _FORALL_ARITY.match(ty)
    if m is None:
        return 1
    names = [w for w in re.split(r"[\s()]+", m.group(1).split(":")[0]) if w]
    return max(1, min(len(names), 3))


def _case_splits(state: GoalState) -> list[str]:
    """Bounded case splits on nat/Z variables with small bounds, and residue splits for `mod`."""
    nats = set(state.variables("nat"))
    ints = set(state.variables("Z"))
    lower: dict[str, int] = {}
    out: list[str] = []
    for hyp in state.hypotheses:
        ty = re.sub(r"%\w+", "", hyp.type).strip()
        lo = _LOWER.match(ty)
        if lo:
            lower[lo.group(3)] = int(lo.group(1)) + (1 if lo.group(2) == "<" else 0)
        rg = _RANGE.match(ty)
        if rg and (rg.group(3) in nats or rg.group(3) in ints):
            lo_v = int(rg.group(1)) + (1 if rg.group(2) == "<" else 0)
            hi_v = int(rg.group(5)) - (1 if rg.group(4) == "<" else 0)
            if 0 < hi_v - lo_v + 1 <= 40:
                out += _split_values(rg.group(3), list(range(lo_v, hi_v + 1)))
    for hyp in state.hypotheses:
        ty = re.sub(r"%\w+", "", hyp.type).strip()
        m = _BOUND.match(ty)
        if m is None:
            continue
        var, op, k = m.group(1), m.group(2), int(m.group(3))
        hi = k - 1 if op == "<" else k
        if var in nats:
            lo_v = lower.get(var, 0)
        elif var in ints and var in lower:
            lo_v = lower[var]
        else:
            continue
        if 0 < hi - lo_v + 1 <= 16:
            out += _split_values(var, list(range(lo_v, hi + 1)))
    moduli = list(dict.fromkeys(int(m) for m in _MODULUS.findall(state.text)))
    pairs = [(v, m) for m in moduli for v in [*nats, *ints] if re.search(rf"\b{re.escape(v)}\b", state.conclusion)]
    for var, m_int in pairs[:4]:
        if 1 < m_int <= 12:
            bound = (f"Nat.mod_upper_bound {var} {m_int}" if var in nats
                     else f"Z.mod_pos_bound {var} {m_int}")
            cases = " \\/ ".join(f"{var} mod {m_int} = {r}" for r in range(m_int))
            pat = _pattern(m_int)
            out.append(f"assert (Hres : {cases}) by (pose proof ({bound} ltac:(lia)); lia); "
                       f"destruct Hres as {pat}.")
    return out


def _pattern(n: int) -> str:
    pat = "Hc"
    for _ in range(n - 1):
        pat = f"[Hc|{pat}]"
    return pat


def _split_values(var: str, values: list[int]) -> list[str]:
    if len(values) == 1:
        return [f"assert ({var} = {values[0]}) by lia; subst {var}."]
    cases = " \\/ ".join(f"{var} = {v}" for v in values)
    head = f"assert (Hcase : {cases}) by lia; destruct Hcase as {_pattern(len(values))}; subst {var}"
    return [f"{head}; simpl in *; try lia.", f"{head}."]


def _square_hints(state: GoalState) -> list[str]:
    """`nra` with the squares of the real variables' sums and differences as extra facts."""
    reals = state.variables("R")[:3]
    if not reals:
        return []
    terms = [*reals, *(f"{a} - {b}" for i, a in enumerate(reals) for b in reals[i + 1:]),
             *(f"{a} + {b}" for i, a in enumerate(reals) for b in reals[i + 1:])]
    facts = "; ".join(f"pose proof (pow2_ge_0 ({t}))" for t in terms)
    return [f"{facts}; nra."]


def structural(problem: Problem, state: GoalState, shape: Shape) -> list[str]:
    """Steps that change the goal without closing it, most often useful first."""
    concl = state.conclusion
    out: list[str] = []
    if "/\\" in concl or "<->" in concl:
        out.append("split.")
    out += function_witnesses(state)
    out += divisibility_steps(state)
    out += witnesses(state, problem)
    out += sqrt_steps(state)
    out += ln_steps(state)
    out += instance_steps(state, shape.real)
    if shape.real:
        out += product_splits(state)
    out += _case_splits(state)
    if "fun " in state.text:
        out.append("cbv beta in *.")
    if shape.real:
        out += _square_hints(state)
    if shape.rabs:
        out.append("unfold Rabs in *; repeat destruct Rcase_abs.")
    if shape.minmax:
        out.append("unfold Rmax, Rmin in *; repeat destruct Rle_dec.")
    if shape.complex:
        out.append("apply injective_projections; simpl.")
    out += _hyp_tactics(state)
    out += [f"unfold {name} in *." for name in _DEF.findall(problem.decls)]
    out.append("subst.")
    if "\\/" in concl:
        out += ["left.", "right."]
    for var in state.variables("nat"):
        out += [f"induction {var}.", f"destruct {var}."]
    out += ["simpl.", "field_simplify." if shape.real else "simpl in *."]
    return list(dict.fromkeys(out))


def _introducible(concl: str) -> bool:
    if concl.startswith(("exists", "{")):
        return False
    return concl.startswith(("forall", "~")) or "->" in concl or concl.startswith("not ")


def tactics_for(problem: Problem, state: GoalState, depth: int) -> list[str]:
    """The ranked next steps for `state`: `intros` first when it applies, else closers then structure."""
    if state.solved:
        return []
    shape = shape_of(problem, state)
    if _introducible(state.conclusion):
        first = ["intros."]
        if depth == 0:
            first += [f"induction {v}; intros; simpl in *; lia." for v in _leading_nat_binders(state.conclusion)]
        return first + closers(shape)[:6]
    cl = closers(shape)
    if depth > 1:  # psatz proves at the root or not at all on miniF2F; deeper it only spends csdp time
        cl = [c for c in cl if not c.startswith("psatz")]
    residues = residue_steps(state) if shape.modulo else []
    unfold = list_unfold_steps(state)
    first = big_nat_closers(state) + cl[:4]
    return list(dict.fromkeys(first + unfold + residues + cl[4:] + structural(problem, state, shape)))


def _leading_nat_binders(concl: str) -> list[str]:
    m = re.match(r"forall\s+([\w'\s]+)\s*:\s*nat\s*,", concl)
    return m.group(1).split() if m else []


def is_heavy(step: str) -> bool:
    """Whether a step is one of the slow decision procedures (it gets the longer timeout)."""
    return bool(HEAVY.search(step))


__all__ = ["Shape", "closers", "is_heavy", "shape_of", "structural", "tactics_for", "witnesses"]
