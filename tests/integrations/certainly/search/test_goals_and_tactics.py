"""Pure parts of the search: goal printing read into states, and the per-goal tactic generators."""

from __future__ import annotations

from scillm.integrations.certainly.models import Problem
from scillm.integrations.certainly.search import installed_coq_libraries
from scillm.integrations.certainly.search.best_first import hypotheses_used
from scillm.integrations.certainly.search.goals import parse_goals
from scillm.integrations.certainly.search.import_guard import fallbacks
from scillm.integrations.certainly.search.instances import function_witnesses, instance_steps
from scillm.integrations.certainly.search.libraries import meaning_probe, search_imports, with_imports
from scillm.integrations.certainly.search.real_terms import closed_value, ln_steps, sqrt_steps
from scillm.integrations.certainly.search.residues import residue_steps
from scillm.integrations.certainly.search.stepper import step_sentences
from scillm.integrations.certainly.search.tactics import closers, shape_of, structural, tactics_for, witnesses

TWO_GOALS = """2 goals (ID 5)

  x, y : R
  H : 0 < x
  H0 : forall n : nat,
       n < 3 -> x = y
  ============================
  x + 1 > 1

goal 2 (ID 6) is:
 x > 0
"""


def _problem(statement: str, header: str = "Require Import Reals.\nOpen Scope R_scope.", decls: str = "") -> Problem:
    return Problem(header=header, decls=decls, statement=statement, theorem_name="t")


def _state(hyps: str, concl: str) -> str:
    return f"1 goal (ID 3)\n  \n{hyps}  ============================\n  {concl}\n"


def test_goal_listing_is_read_into_a_state() -> None:
    state = parse_goals(TWO_GOALS)
    assert state is not None and state.count == 2
    assert [h.names for h in state.hypotheses] == [("x", "y"), ("H",), ("H0",)]
    assert state.hypotheses[2].type == "forall n : nat, n < 3 -> x = y"
    assert state.conclusion == "x + 1 > 1" and state.others == ("x > 0",)
    assert state.variables("R") == ["x", "y"]
    solved = parse_goals("No more goals.\n")
    assert solved is not None and solved.solved
    assert parse_goals("Toplevel input, characters 0-3:\nError: boom\n") is None


def test_equal_states_share_a_key_whatever_their_ids() -> None:
    a = parse_goals(TWO_GOALS)
    b = parse_goals(TWO_GOALS.replace("(ID 5)", "(ID 41)").replace("(ID 6)", "(ID 42)"))
    c = parse_goals(TWO_GOALS.replace("x + 1 > 1", "x + 2 > 1"))
    assert a is not None and b is not None and c is not None
    assert a.key() == b.key() != c.key()


def test_intros_comes_first_then_closers_by_measured_yield() -> None:
    p = _problem("forall x : R, 0 < x -> x + 1 > 1")
    root = parse_goals(_state("", "forall x : R, 0 < x -> x + 1 > 1"))
    assert root is not None
    assert tactics_for(p, root, 0)[0] == "intros."
    after = parse_goals(_state("  x : R\n  H : 0 < x\n", "x + 1 > 1"))
    assert after is not None
    ranked = closers(shape_of(p, after))
    assert ranked[:2] == ["lra.", "field_simplify; lra."]
    assert ranked.index("lra.") < ranked.index("nra.") < ranked.index("psatz R 2.") if "psatz R 2." in ranked else True


def test_witnesses_are_typed_and_include_the_statement_constants() -> None:
    p = _problem("exists n : nat, n * n = 49", header="")
    state = parse_goals(_state("", "exists n : nat, n * n = 49"))
    assert state is not None
    got = witnesses(state, p)
    assert "exists (7%nat)." in got and "exists (49%nat)." in got
    real = parse_goals(_state("", "exists x : R, x * 2 = 3"))
    assert real is not None and "exists (-1%R)." in witnesses(real, p)


def test_hypothesis_aware_steps_and_case_splits() -> None:
    p = _problem("forall f : R -> R, (forall x, f x = 2 * x) -> f 3 = 6")
    state = parse_goals(_state("  f : R -> R\n  H : forall x : R, f x = 2 * x\n  E : f 1 = 2\n"
                               "  n : nat\n  Hn : n < 4\n  z : Z\n  Hz : 0 <= z < 3\n", "f 3 = 6 \\/ n mod 3 = 1"))
    assert state is not None
    steps = structural(p, state, shape_of(p, state))
    assert "pose proof (H 3)." in steps and "rewrite E." in steps
    assert any(s.startswith("assert (Hcase : n = 0 \\/ n = 1 \\/ n = 2 \\/ n = 3) by lia") for s in steps)
    assert any(s.startswith("assert (Hcase : z = 0 \\/ z = 1 \\/ z = 2) by lia") for s in steps)
    assert any(s.startswith("assert (Hres : n mod 3 = 0 \\/ n mod 3 = 1 \\/ n mod 3 = 2)") for s in steps)
    assert "induction n." in steps and "left." in steps


def test_sqrt_terms_are_named_with_their_defining_facts() -> None:
    p = _problem("forall x : R, 0 <= x -> sqrt (x + 1) >= 0")
    state = parse_goals(_state("  x : R\n  H : 0 <= x\n", "sqrt (x + 1) >= 0"))
    assert state is not None
    steps = structural(p, state, shape_of(p, state))
    assert any("pose proof (sqrt_pos (x + 1))" in s and "sqrt_sqrt" in s for s in steps)


def test_every_generated_step_passes_the_soundness_whitelist() -> None:
    p = _problem("forall x : R, Rabs x >= 0 /\\ exists y : R, y = x", decls="Definition g (x : R) := x.")
    state = parse_goals(_state("  x : R\n  H : x = 1 /\\ x > 0\n  H1 : forall y, g y = y\n", "Rabs (sqrt x) >= 0"))
    assert state is not None
    for step in tactics_for(p, state, 1):
        assert isinstance(step_sentences(step), list), step


def test_cheating_steps_never_reach_the_prover() -> None:
    for bad in ("admit.", "Admitted.", "idtac. Axiom cheat : False.", "exact_no_check I.", "Timeout 1 lia.",
                "lia", "(* open comment lia.", "- lia.", "<prompt>Coq < 3 |t| 0 < </prompt>"):
        assert isinstance(step_sentences(bad), str), bad
    assert step_sentences("intros x. lra.") == ["intros x.", "lra."]


def test_imports_are_loaded_by_the_header_and_imported_just_before_the_theorem() -> None:
    p = _problem("1 = 1", header="Require Import Arith.\nOpen Scope nat_scope.", decls="Definition k := 1.")
    imports = search_imports(p)
    assert "Coq.micromega.Lia" in imports and "Coq.micromega.Lra" in imports
    extended = with_imports(p, imports)
    assert extended.header.startswith("Require Import Arith.\nOpen Scope nat_scope.\nRequire Coq.micromega.Lia")
    assert extended.decls.startswith("Definition k := 1.\nRequire Import Coq.micromega.Lia")
    assert extended.decls.endswith("Open Scope nat_scope.")
    assert extended.statement == p.statement
    probe, proof = meaning_probe(p, imports)
    assert probe.header == extended.header and proof == "exact eq_refl."
    assert probe.decls.index("Definition k") < probe.decls.index("Definition scillm_original_statement") \
        < probe.decls.index("Require Import")
    assert fallbacks(imports)[0] == imports and fallbacks(imports)[-1] == ()
    assert "Coq.ZArith.ZArith" not in fallbacks(imports)[1]


def test_installed_libraries_are_listed_by_debian_package() -> None:

    found = installed_coq_libraries()
    assert {"libcoq-coquelicot", "libcoq-mathcomp-ssreflect", "libcoq-mathcomp-algebra", "libcoq-hammer",
            "libcoq-interval", "coinor-csdp"} <= set(found)
    assert all(isinstance(v, bool) for v in found.values())
    found["libcoq-coquelicot"] = not found["libcoq-coquelicot"]
    assert installed_coq_libraries() != found


def test_closed_sqrt_terms_are_rewritten_to_their_value_and_sqrt_goals_squared() -> None:

    assert closed_value("2 * 8 - 7") == 9 and closed_value("(1 + 1) / 4") == closed_value("1 / 2")
    assert closed_value("x + 1") is None and closed_value("__import__('os')") is None
    state = parse_goals(_state("  f : R -> R\n", "3 * sqrt (2 * 8 - 7) - 8 = 1"))
    assert state is not None
    steps = sqrt_steps(state)
    assert "rewrite (sqrt_lem_1 (2 * 8 - 7) 3) in * by lra." in steps
    goal = parse_goals(_state("  x, y : R\n  H : x + y = 13\n", "sqrt (x ^ 2 + y ^ 2) = 11"))
    assert goal is not None and "apply sqrt_lem_1; nra." in sqrt_steps(goal)
    logs = parse_goals(_state("", "ln (5 ^ 4) / ln (5 ^ 2) = 2"))
    assert logs is not None
    got = ln_steps(logs)
    assert "rewrite !ln_pow in * by lra." in got
    assert not any("0 < ln x" in s for s in got)


def test_functional_equations_are_instantiated_and_function_witnesses_named() -> None:

    state = parse_goals(_state("  a, b, c : R\n  H : 0 < a\n  H2 : forall x : R, 24 * x ^ 2 = (a * x - 5) * c\n",
                               "a * b - 3 * c = -9"))
    assert state is not None
    steps = instance_steps(state, real=True)
    assert steps[0].startswith("pose proof (H2 0); pose proof (H2 1); pose proof (H2 (-1))") and steps[0].endswith("lra.")
    assert not any("(H " in s for s in steps)
    wit = parse_goals(_state("  sigma : R -> R\n", "exists g : R -> R, (forall x0 : R, g x0 = (x0 + 12) / 5) -> "
                                                    "sigma 1 = g 1"))
    assert wit is not None
    assert function_witnesses(wit)[0] == "exists (fun x0 => (x0 + 12) / 5)."
    p = _problem("True")
    assert tactics_for(p, wit, 1)[0] != "intros."
    for step in steps + function_witnesses(wit):
        assert isinstance(step_sentences(step), list), step


def test_hypotheses_named_by_the_path_count_as_used() -> None:
    state = parse_goals(TWO_GOALS)
    assert state is not None
    assert hypotheses_used(state, ()) == 0
    assert hypotheses_used(state, ("intros.", "rewrite H0 in *.")) == 1
    assert hypotheses_used(state, ("pose proof (H0 1).", "apply H.")) == 2


def test_residue_steps_decompose_the_variables_under_mod() -> None:
    state = parse_goals(_state("  x, y : nat\n  H : x mod 19 = 4\n", "((x + 1) ^ 2 * y) mod 19 = 13"))
    assert state is not None
    steps = residue_steps(state)
    assert steps[0].startswith("pose proof (Nat.div_mod x 19") and "try subst r_x" in steps[0]
    assert any("Nat.div_mod y 19" in s and "r_y = 18" in s for s in steps)
    assert all(s.endswith("lia.") for s in steps)
    assert all(not isinstance(step_sentences(s), str) for s in steps)
    assert residue_steps(parse_goals(_state("  x : nat\n", "x + 1 = 2"))) == []  # type: ignore[arg-type]
