"""Offline, deterministic proof search: ranked tactic scripts per backend, repairs by error class.

No model, no network: the same problem always yields the same candidates in
the same order, so runs are reproducible and the portfolio is the baseline an
LLM proposer has to beat. Successive `propose` calls walk down the ranked list.
Coq scripts are ordered by measured yield per second on miniF2F-rocq and carry
the trusted decision-procedure imports (`Lia`, `Lra`, `Psatz`, `ZArith`) the
loop adds before the theorem, so `lia`/`lra`/`nia`/`nra` are always in reach.
The portfolio also steps (`next_tactics`), so it drives the best-first search.
"""

from __future__ import annotations

import re
import shutil

from scillm.integrations.certainly.models import CheckResult, Problem
from scillm.integrations.certainly.proposers.base import Candidate
from scillm.integrations.certainly.search.goals import GoalState
from scillm.integrations.certainly.search.libraries import search_imports
from scillm.integrations.certainly.search.library_proposer import LibraryStepProposer
from scillm.integrations.certainly.search.modpow import modpow_scripts
from scillm.integrations.certainly.search.residues import NAT_COMPUTE_IN_Z, NAT_TO_Z

# Measured order (yield per second, then yield): lra, lia, compute, field_simplify, split+lra, the Rabs split, logic.
_COQ_DIRECT = (
    "lia.", "intros; lra.", "reflexivity.", "intros; lia.", "intros; field_simplify; lra.", "split; intros; lra.",
    "intros; repeat split; lra.", "vm_compute; reflexivity.", "intros; unfold Rabs in *; repeat destruct Rcase_abs; lra.",
    "auto.", "intuition.", "congruence.", "easy.", "intros; nia.", "intros; nra.",
    "intros; unfold Rabs in *; repeat destruct Rcase_abs; nra.", "intros; psatz R 2.",
    "intros; apply injective_projections; simpl; ring.", "intros; apply injective_projections; simpl; lra.",
    "intros; Z.to_euclidean_division_equations; nia.", "apply Nat2Z.inj; vm_compute; reflexivity.",
    NAT_COMPUTE_IN_Z, "intros; " + NAT_TO_Z + "lia.",
    "tauto.", "nia.", "intros; simpl; auto.", "trivial.", "intros; ring.",
    "intros; field.", "lra.", "nra.", "intros; subst; auto.",
    "intros; split; auto.", "intros; simpl; lia.", "intros; reflexivity.", "now intros.",
    "intros; simpl; congruence.", "intros; discriminate.", "intros; contradiction.",
    "intros; exfalso; lia.", "intros; field; lra.", "compute; reflexivity.",
    "auto with arith.", "auto with zarith.", "intros; subst; simpl; reflexivity.", "intros; compute; lia.",
)
_COQ_HAMMER = ("sauto.",)
_LEAN_DIRECT = (
    "rfl", "decide", "simp", "omega", "norm_num", "linarith", "nlinarith", "positivity", "ring",
    "aesop", "intro h; simp_all", "simp_all", "tauto", "norm_num [*] at *", "field_simp",
    "intros; omega", "intros; linarith", "constructor <;> simp", "exact?",
)
_FINISHERS = ("auto", "lia", "congruence", "intuition", "firstorder", "nia", "simpl; auto", "simpl; lia")
_INDUCTION_TAILS = (
    "simpl; auto.", "simpl; lia.", "simpl; congruence.", "simpl; intuition.", "simpl; nia.",
    "simpl; [auto | rewrite IH; auto].", "simpl; try rewrite IH; auto.", "simpl; try rewrite IH; lia.",
    "simpl; try rewrite IH; reflexivity.", "simpl; try rewrite IH; ring.", "simpl in *; intuition; lia.",
)
_BINDER = re.compile(r"(?:forall|∀)\s+(.*?),", re.DOTALL)
_IDENT = re.compile(r"[A-Za-z_][\w']*")
_DEF = re.compile(r"^\s*(?:Definition|Fixpoint|Function)\s+([A-Za-z_][\w']*)", re.MULTILINE)


def _unique(scripts: list[str]) -> list[str]:
    return list(dict.fromkeys(scripts))


def _needs_lia(script: str) -> bool:
    return bool(re.search(r"\b[ln]ia\b", script))


def _needs_lra(script: str) -> bool:
    return bool(re.search(r"\b[ln]ra\b", script))


def _has(header: str, *words: str) -> bool:
    return any(re.search(rf"\b{re.escape(w)}\b", header) for w in words)


def coq_variables(statement: str) -> list[str]:
    """Names bound by the statement's leading `forall` binders, in order."""
    names: list[str] = []
    for m in _BINDER.finditer(statement):
        for group in re.split(r"[()]", m.group(1)):
            left = group.split(":")[0] if ":" in group else group
            names.extend(n for n in _IDENT.findall(left) if n not in names and n != "forall")
    return names


def _coq_usable(script: str, problem: Problem, imports: tuple[str, ...] = ()) -> bool:
    """Drop scripts whose decision procedure is neither imported nor among the added `imports`."""
    header = problem.header + "\n" + problem.decls + "\n" + " ".join(imports)
    if _needs_lia(script) and not _has(header, "Lia", "Psatz", "Omega"):
        return False
    if _needs_lra(script) and not _has(header, "Lra", "Psatz", "Fourier"):
        return False
    real = _has(problem.statement + header, "R", "Reals", "R_scope", "Rabs", "sqrt", "PI")
    if re.search(r"\b(?:field|field_simplify|psatz R|Rabs|Rcase_abs)\b", script) and not real \
            and not _has(header, "Field", "QArith"):
        return False
    if "psatz" in script and (shutil.which("csdp") is None or not _has(header, "Psatz")):
        return False
    if "injective_projections" in script and not _has(header, "Coquelicot"):
        return False
    return not (("sauto" in script or "hammer" in script) and not _has(header, "Hammer"))


def coq_scripts(problem: Problem, imports: tuple[str, ...] = ()) -> list[str]:
    """The ranked Coq portfolio for one problem (usable scripts only, no duplicates).

    Cheap decision procedures first, then induction on each bound variable
    with the common closers, then the long tail.
    """
    head, tail = list(_COQ_DIRECT[:8]), list(_COQ_DIRECT[8:])
    head[:0] = modpow_scripts(problem.statement)
    variables = coq_variables(problem.statement)
    inductions: list[str] = []
    late: list[str] = []
    for var in variables:
        for closer in _INDUCTION_TAILS[:5]:
            inductions.append(f"intros; induction {var}; {closer}")
            late.append(f"induction {var}; intros; {closer}")
        late += [f"intros; induction {var} as [|? IH]; {closer}" for closer in _INDUCTION_TAILS[5:]]
        late += [f"intros; destruct {var}; simpl; auto.", f"intros; destruct {var}; lia."]
    unfolds = [f"intros; unfold {name} in *; {f}." for name in _DEF.findall(problem.decls) for f in _FINISHERS]
    scripts = head + unfolds[:4] + inductions + tail + unfolds[4:] + late
    if shutil.which("coqtop") and _has(problem.header, "Hammer"):
        scripts += list(_COQ_HAMMER)
    return _unique([s for s in scripts if _coq_usable(s, problem, imports)])


def lean_scripts(problem: Problem) -> list[str]:
    """The ranked Lean portfolio for one problem."""
    return [s for s in _LEAN_DIRECT if s != "exact?"]


def _strip_final(proof: str) -> str:
    return proof.rstrip().rstrip(".").rstrip()


def coq_repairs(problem: Problem, failed_proof: str, result: CheckResult, imports: tuple[str, ...] = ()) -> list[str]:
    """Repairs chosen by error class: finish open goals, intros first, unfold, case split, swap tactics."""
    body = _strip_final(failed_proof)
    error_class = result.error_class or "other"
    out: list[str] = []
    if error_class == "unsolved_goals":
        out += [f"{body}; {f}." for f in _FINISHERS]
        out += [f"{body}. all: {f}." for f in ("auto", "lia", "congruence", "intuition")]
    if error_class in {"tactic_failed", "unsolved_goals", "type_mismatch"}:
        if not body.startswith("intros"):
            out.append(f"intros; {body}.")
        out.append(f"intros; simpl in *; {body}.")
        out += [f"intros; unfold {n} in *; {body}." for n in _DEF.findall(problem.decls)]
        for var in coq_variables(problem.statement)[:3]:
            out.append(f"intros; destruct {var}; {body}.")
            out.append(f"intros; induction {var}; simpl; {body}.")
        out.append(f"intros; split; {body}.")
    if error_class == "unknown_identifier":
        for a, b in (("lia", "nia"), ("nia", "lia"), ("lra", "nra"), ("omega", "lia"), ("ring", "field")):
            if re.search(rf"\b{a}\b", body):
                out.append(re.sub(rf"\b{a}\b", b, body) + ".")
        out += [f"intros; {f}." for f in _FINISHERS]
    if error_class == "parse_error":
        cleaned = re.sub(r"^\s*[-+*]+\s*", "", body, flags=re.MULTILINE)
        out.append(re.sub(r"\s+", " ", cleaned).strip() + ".")
    if error_class == "timeout":
        out += [f"intros; {f}." for f in ("auto", "lia", "congruence")]
    if error_class == "other" or not out:
        out += [f"intros; {f}." for f in _FINISHERS]
    return _unique([s for s in out if _coq_usable(s, problem, imports)])


def lean_repairs(problem: Problem, failed_proof: str, result: CheckResult) -> list[str]:
    """Lean repairs: intro first, then strong finishers."""
    body = failed_proof.strip()
    return [f"intros\n{body}", f"{body}\nall_goals simp_all", f"{body} <;> omega", f"{body} <;> linarith"]


class PortfolioProposer:
    """Deterministic ranked tactic scripts; item `tactics` go first (or alone with `tactics_only`)."""

    name = "portfolio"
    model: str | None = None

    def __init__(self, tactics: list[str] | None = None, *, tactics_only: bool = False) -> None:
        self.tactics = [t.strip() for t in (tactics or []) if isinstance(t, str) and t.strip()]
        self.tactics_only = tactics_only
        self._cursor: dict[Problem, int] = {}

    def imports(self, problem: Problem) -> tuple[str, ...]:
        """The trusted imports its Coq candidates carry (none for Lean)."""
        return search_imports(problem) if problem.backend == "coq" else ()

    def scripts(self, problem: Problem) -> list[str]:
        """The full ranked list for `problem`."""
        own = [t if problem.backend != "coq" or t.endswith(".") else t + "." for t in self.tactics]
        if self.tactics_only:
            return own
        base = coq_scripts(problem, self.imports(problem)) if problem.backend == "coq" else lean_scripts(problem)
        return own + [s for s in base if s not in own]

    async def propose(self, problem: Problem, n: int) -> list[Candidate]:
        start = self._cursor.get(problem, 0)
        chosen = self.scripts(problem)[start:start + max(n, 0)]
        self._cursor[problem] = start + len(chosen)
        imports = self.imports(problem)
        return [Candidate(proof=s, origin="portfolio", imports=imports) for s in chosen]

    async def next_tactics(self, problem: Problem, state: GoalState, path: tuple[str, ...], n: int) -> list[str]:
        """Steps for the best-first search: the item's tactics at the root, then the tactic library."""
        if self.tactics_only:
            return []
        return await LibraryStepProposer(self.tactics).next_tactics(problem, state, path, n)

    async def repair(
        self, problem: Problem, failed_proof: str, check_result: CheckResult, n: int
    ) -> list[Candidate]:
        if self.tactics_only:
            return []
        imports = self.imports(problem)
        if problem.backend == "coq":
            fixes = coq_repairs(problem, failed_proof, check_result, imports)[: max(n, 0)]
        else:
            fixes = lean_repairs(problem, failed_proof, check_result)[: max(n, 0)]
        return [Candidate(proof=s, origin=f"portfolio:repair:{check_result.error_class or 'other'}", imports=imports)
                for s in fixes]


__all__ = ["PortfolioProposer", "coq_repairs", "coq_scripts", "coq_variables", "lean_repairs", "lean_scripts"]
