"""The offline prover on miniF2F-Rocq (valid split): proved/N, family gains, and an outside re-check of every proof.

Run (the full valid split, 45 s per item, 2 items at a time on 2 cores; about an hour on an idle machine):
    python benchmarks/minif2f_coq.py
A stated subset: `--sample 40 --seed 1` (a fixed random subset) or `--match mathd_algebra`.
Every file goes through the engine (`arun_items`, the same path as the public
API) with one fixed budget per item, printed first. The output gives proved/N
(and the extrapolation to the 244 files when a subset is run), per-family
counts (which tactic families the found proofs use, and how many came from
the stepwise search rather than the flat first round), the median time per
proof, and a re-check of every proof OUTSIDE scillm: plain `coqc` on the
ORIGINAL file with the proof substituted (and the search's trusted imports
inserted before the theorem), `Print Assumptions` read for axioms beyond the
standard library's, `Check (name : S)` where S is the statement elaborated
BEFORE the imports (so the proved type is the original one), then `coqchk`
on the compiled module (no axiom outside the trusted libraries, no unsafe
flag). A file with several open theorems is proved for the one named like
the file (`theorem_name`). Any disagreement exits 1. Skips cleanly when
`../shared/benchmarks/minif2f-rocq/valid/` or `coqc` is absent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from scillm.integrations.certainly.checkers.split import SplitError
from scillm.integrations.certainly.engine import arun_items
from scillm.integrations.certainly.normalize import split_coq_file
from scillm.integrations.certainly.search.import_guard import fallbacks
from scillm.integrations.certainly.search.libraries import search_imports

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "minif2f-rocq" / "valid"
_CHEATS = re.compile(r"\b(?:Admitted|admit|Axiom|Parameter|Abort|give_up)\b|Unset\s+Guard")
_STD_AXIOMS = re.compile(r"^(?:ClassicalDedekindReals\.sig_(?:forall|not)_dec|FunctionalExtensionality\."
                         r"functional_extensionality_dep|Classical_Prop\.classic|PropExtensionality\.\w+|"
                         r"ClassicalEpsilon\.\w+|R\w*|Rle_\w+|up|total_order_T|completeness|archimed|"
                         r"INR\w*|IZR\w*|Raxioms\.\w+|Rdefinitions\.\w+|ConstructiveCauchyReals\.\w+|"
                         r"Eqdep\.Eq_rect_eq\.eq_rect_eq|JMeq\.JMeq_eq)$")
FAMILIES: dict[str, re.Pattern[str]] = {
    "lra": re.compile(r"\blra\b"), "lia": re.compile(r"\blia\b"), "nra": re.compile(r"\bnra\b"),
    "nia": re.compile(r"\bnia\b"), "psatz": re.compile(r"\bpsatz\b"), "Rabs split": re.compile(r"Rcase_abs"),
    "field_simplify": re.compile(r"\bfield_simplify\b"), "compute": re.compile(r"\b(?:vm_compute|reflexivity)\b"),
    "logic": re.compile(r"\b(?:intuition|easy|congruence|tauto|auto|trivial)\b"),
    "complex": re.compile(r"injective_projections"), "euclid": re.compile(r"to_euclidean_division"),
    "witness": re.compile(r"\bexists\b"), "case split": re.compile(r"\bH(?:case|res)\b"),
    "sqrt/ln terms": re.compile(r"sqrt_pos|sqrt_lem_1|ln_pow|ln_increasing|ln_mult"),
    "instances": re.compile(r"pose proof \(\w+ 0\); pose proof \(\w+ 1\)"),
    "fn witness": re.compile(r"exists \(fun\b"), "induction": re.compile(r"\binduction\b"),
    "residues": re.compile(r"\b(?:Nat|Z)\.div_mod\b"), "nat in Z": re.compile(r"\bNat2Z\.inj\b"),
    "hypothesis": re.compile(r"\b(?:pose proof|rewrite|apply H|destruct H)"),
    "modular power": re.compile(r"Zpow_mod_correct"), "list unfold": re.compile(r"cbn \[seq|map_ext"),
    "divisibility": re.compile(r"mod_divide|enough \(\(\("), "big nat": re.compile(r"Nat\.of_num_uint"),
}


_THEOREM_KW = r"(?:Theorem|Lemma|Example|Corollary|Proposition|Fact|Remark)"
_TRUSTED_PREFIXES = ("Coq.", "Coquelicot.", "mathcomp.", "Hammer.", "Interval.", "Flocq.")
_UNSAFE_NONE = ("type-in-type", "unsafe (co)fixpoints", "positivity is assumed")


def theorem_of(source: str, stem: str) -> str | None:
    """None when the file has one open theorem, else the one named like the file (several are open)."""
    try:
        split_coq_file(source)
    except SplitError:
        return stem
    return None


def _recheck_text(source: str, proof: str, imports: tuple[str, ...], theorem_name: str | None) -> tuple[str, str]:
    """The original file up to the theorem, its proof replaced by `proof`, then `Check` and `Print Assumptions`."""
    problem = split_coq_file(source, theorem_name)
    name = problem.theorem_name
    decl = re.search(rf"^[ \t]*{_THEOREM_KW}\s+{re.escape(name)}(?![\w'])", source, re.M)
    opened = re.compile(r"^\s*Proof\s*\.", re.M).search(source, decl.end()) if decl else None
    if decl is None or opened is None:
        raise LookupError("cannot find the theorem or its Proof. in the original file")
    before = f"Definition scillm_original_statement : Prop := ({problem.statement}).\n"
    if imports:
        before += "Require Import " + " ".join(imports) + ".\n"
    body = source[: decl.start()] + "\n" + before + source[decl.start(): opened.start()].rstrip()
    text = (f"{body}\nProof.\n{proof}\nQed.\nCheck ({name} : scillm_original_statement).\n"
            f"Print Assumptions {name}.\n")
    return name, text


def _assumptions_problem(stdout: str) -> str | None:
    m = re.search(r"^(?:Closed under the global context|Axioms:)", stdout, re.M)
    assumptions = stdout[m.start():] if m else ""
    if not assumptions:
        return "no Print Assumptions answer"
    if "Closed under the global context" not in assumptions:
        axioms = [m.group(1) for ln in assumptions.splitlines()[1:]
                  if (m := re.match(r"([A-Za-z_][\w.']*)(?:\s+:|\s*$)", ln))]
        bad = [a for a in axioms if not _STD_AXIOMS.match(a)]
        if bad or not axioms:
            return f"assumptions beyond the standard library: {bad or assumptions[-200:]}"
    return None


def _coqchk_problem(stdout: str) -> str | None:
    """Why coqchk's context summary is not clean: an axiom outside the trusted libraries, or an unsafe flag."""
    section = stdout.split("* Axioms:", 1)
    if len(section) != 2:
        return "coqchk printed no context summary"
    axioms = []
    for line in section[1].splitlines()[1:]:
        if line.startswith("*"):
            break
        if line.strip():
            axioms.append(line.strip())
    bad = [a for a in axioms if not a.startswith(_TRUSTED_PREFIXES)]
    if bad:
        return f"coqchk: axioms outside the trusted libraries: {bad[:5]}"
    for flag in _UNSAFE_NONE:
        m = re.search(rf"relying on {re.escape(flag)}:?\s*(.*)|{re.escape(flag)}:\s*(.*)", stdout)
        if m and "<none>" not in (m.group(1) or m.group(2) or ""):
            return f"coqchk: {flag}: {(m.group(1) or m.group(2))[:200]}"
    return None


def outside_recheck(source: str, proof: str, imports: tuple[str, ...], theorem_name: str | None = None) -> str | None:
    """None when plain `coqc` and `coqchk` accept the ORIGINAL file with `proof` substituted, else why not.

    The imports go just before the theorem; the statement is also elaborated
    before them (a definition), and `Check (name : that)` holds only when the
    proved theorem's type is convertible to the original statement. `Print
    Assumptions` may list only the standard library's axioms, and `coqchk`
    re-checks the compiled module's kernel terms: no axiom outside the trusted
    libraries (none from the file itself), no unsafe flag.
    """
    if _CHEATS.search(proof):
        return "the proof contains a forbidden sentence"
    try:
        _, text = _recheck_text(source, proof, imports, theorem_name)
    except LookupError as exc:
        return str(exc)
    with tempfile.TemporaryDirectory(prefix="minif2f-recheck-") as tmp:
        path = Path(tmp) / "Recheck.v"
        path.write_text(text, encoding="utf-8")
        got = subprocess.run(["coqc", "-q", "-Q", tmp, "Scillm", str(path)], cwd=tmp, capture_output=True,
                             text=True, timeout=300)
        if got.returncode != 0:
            return f"coqc exit {got.returncode}: {(got.stderr or got.stdout)[-300:]}"
        why = _assumptions_problem(got.stdout)
        if why is not None:
            return why
        chk = subprocess.run(["coqchk", "-silent", "-o", "-norec", "Scillm.Recheck", "-Q", tmp, "Scillm"],
                             cwd=tmp, capture_output=True, text=True, timeout=300)
        if chk.returncode != 0:
            return f"coqchk exit {chk.returncode}: {(chk.stderr or chk.stdout)[-300:]}"
        return _coqchk_problem(chk.stdout + chk.stderr)  # coqchk prints its summary on stderr


def _family_table(proved: list[dict[str, object]]) -> list[str]:
    lines = []
    used = {str(r["id"]): {f for f, rx in FAMILIES.items() if rx.search(str(r["proof"]))} for r in proved}
    for family in FAMILIES:
        uses = [r for r in proved if family in used[str(r["id"])]]
        if uses:
            only = sum(1 for r in uses if used[str(r["id"])] == {family})
            search = sum(1 for r in uses if str(r["origin"]).startswith("search"))
            lines.append(f"  {family:<15} in {len(uses):>3} proofs, the only family in {only:>3} "
                         f"({search} found by the stepwise search)")
    return lines


def _yield_per_second(results: list[dict[str, object]]) -> list[str]:
    """Per family, over the whole-script checks of every item: proofs found per second of checking spent."""
    spent: dict[str, float] = dict.fromkeys(FAMILIES, 0.0)
    found: Counter[str] = Counter()
    for r in results:
        for a in r["attempts"]:  # type: ignore[attr-defined]
            fams = {f for f, rx in FAMILIES.items() if rx.search(str(a["proof"]))}
            for f in fams:
                spent[f] += float(a["time_ms"]) / 1000
                found[f] += int(a["status"] == "proved")
    ranked = sorted(spent, key=lambda f: -(found[f] / spent[f] if spent[f] else 0.0))
    return [f"  {f:<15} {found[f]:>3} proofs in {spent[f]:7.1f} s of checks = {found[f] / spent[f]:.3f}/s"
            for f in ranked if spent[f] > 0]


async def run(files: list[Path], args: argparse.Namespace) -> int:
    items = []
    for f in files:
        text = f.read_text(encoding="utf-8")
        item = {"id": f.stem, "requirement_text": text, "backend": "coq"}
        name = theorem_of(text, f.stem)
        if name is not None:
            item["theorem_name"] = name
        items.append(item)
    options = {"max_seconds": args.max_seconds, "timeout_ms_per_check": args.timeout_ms, "check_concurrency": 1,
               "concurrency": args.jobs, "cache": False, "explain_failures": False}
    print(f"budget: max_seconds={args.max_seconds} per item, timeout_ms_per_check={args.timeout_ms}, "
          f"{args.jobs} items at a time, cores={os.cpu_count()}, files={len(files)} of {len(list(DATA.glob('*.v')))}")
    t0 = time.perf_counter()
    payload = await arun_items(items, options=options, request_timeout=None)
    wall_s = time.perf_counter() - t0
    results = payload["results"]
    counts = Counter(r["status"] for r in results)
    proved = []
    for r in results:
        if r["status"] == "proved":
            winner = next((a for a in reversed(r["attempts"]) if a["status"] == "proved"), None)
            proved.append({"id": r["item_id"], "proof": r["proof"], "time_ms": r["stats"]["time_ms"],
                           "origin": winner["origin"] if winner else ""})
    over = [r for r in results if r["stats"]["time_ms"] > args.max_seconds * 1000 * 1.05]
    print("counts: " + ", ".join(f"{k}={counts.get(k, 0)}" for k in
                                 ("proved", "failed", "timeout", "env_unavailable", "error", "rejected")))
    print(f"proved {len(proved)}/{len(files)}"
          + (f" (extrapolated to the 244-file split: {len(proved) * 244 / len(files):.0f}/244)"
             if len(files) < 244 else ""))
    times = [p["time_ms"] for p in proved]
    print(f"median time per proof: {statistics.median(times) / 1000:.2f} s" if times else "median time per proof: n/a")
    print(f"wall={wall_s:.1f} s; items over max_seconds+5%: {len(over)}"
          + "".join(f" {r['item_id']}={r['stats']['time_ms'] / 1000:.1f}s" for r in over))
    print("families (a proof may use several; `only` = the family's marginal gain: proofs no other family took part in):")
    print("\n".join(_family_table(proved)))
    print("yield per second of whole-script checks (search steps not counted), best first:")
    print("\n".join(_yield_per_second(results)))
    print(f"found by the stepwise search: {sum(1 for p in proved if str(p['origin']).startswith('search'))}, "
          f"by the flat first round: {sum(1 for p in proved if not str(p['origin']).startswith('search'))}")
    disagreements = []
    for p in proved:
        source = next(f for f in files if f.stem == p["id"]).read_text(encoding="utf-8")
        # The loop may have kept only part of the wanted imports; any set that re-checks is a confirmation.
        why = None
        name = theorem_of(source, str(p["id"]))
        for imports in fallbacks(search_imports(split_coq_file(source, name))):
            why = outside_recheck(source, str(p["proof"]), imports, name)
            if why is None:
                break
        if why is not None:
            disagreements.append((p["id"], why))
    print(f"outside re-check (plain coqc + coqchk on the original file, Print Assumptions, elaborated statement) of "
          f"{len(proved)} proofs: {len(disagreements)} disagreements")
    for item_id, why in disagreements:
        print(f"DISAGREEMENT {item_id}: {why}", file=sys.stderr)
    if args.out:
        Path(args.out).write_text(json.dumps(proved, indent=1), encoding="utf-8")
    return 1 if disagreements else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sample", type=int, default=None, help="a fixed random subset of this many files")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--match", default="", help="only files whose name contains this")
    ap.add_argument("--ids", default="", help="only these files (comma-separated names without .v)")
    ap.add_argument("--max-seconds", type=float, default=45.0, help="wall-clock budget per item")
    ap.add_argument("--timeout-ms", type=int, default=10_000, help="limit of one whole-script check")
    ap.add_argument("--jobs", type=int, default=2, help="items proved at once")
    ap.add_argument("--out", default="", help="write the proofs as JSON here")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent")
        return 0
    if shutil.which("coqc") is None:
        print("skipped: coqc is not on PATH (apt-get install coq)")
        return 0
    files = [f for f in sorted(DATA.glob("*.v")) if args.match in f.stem]
    if args.ids:
        wanted = set(args.ids.split(","))
        files = [f for f in files if f.stem in wanted]
    if args.sample:
        files = sorted(random.Random(args.seed).sample(files, min(args.sample, len(files))))
    return asyncio.run(run(files, args))


if __name__ == "__main__":
    sys.exit(main())
