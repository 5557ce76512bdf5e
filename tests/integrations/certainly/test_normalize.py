"""Item -> Problem: formal statements, whole files, library lemma names, plain English, bad input."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from scillm.integrations.certainly.checkers.lean_split import _in_term, split_lean_file
from scillm.integrations.certainly.checkers.lean_tokens import tokenize
from scillm.integrations.certainly.normalize import (
    COQ_DEFAULT_HEADER,
    looks_english,
    lookup_coq_lemma,
    normalize_item,
    with_statement,
)

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "benchmarks" / "minif2f-rocq" / "valid"


@pytest.mark.parametrize("key", ["requirement_text", "text", "requirement"])
def test_text_aliases_and_formal_statement(key: str) -> None:
    norm = normalize_item({key: "forall n : nat, n + 0 = n.", "id": 7}, 3, backend="coq")
    assert norm.kind == "statement"
    assert norm.item_id == "7" and norm.index == 3
    assert norm.problem is not None
    assert norm.problem.statement == "forall n : nat, n + 0 = n"
    assert norm.problem.header == COQ_DEFAULT_HEADER


def test_bare_string_item_and_explicit_parts() -> None:
    norm = normalize_item("2 + 2 = 4", 0, backend="coq")
    assert norm.kind == "statement" and norm.item_id == "item-0"
    custom = normalize_item({"text": "f 1 = 2", "header": "", "decls": "Definition f n := n + 1.",
                             "theorem_name": "f_one", "tactics": ["reflexivity"], "strategies": "direct",
                             "metadata": {"k": 1}}, 1, backend="coq")
    assert custom.problem is not None
    assert (custom.problem.header, custom.problem.decls, custom.problem.theorem_name) == (
        "", "Definition f n := n + 1.", "f_one")
    assert custom.tactics == ["reflexivity"] and custom.strategies == ["direct"]
    assert custom.metadata == {"k": 1}


def test_reals_statement_gets_reals_header() -> None:
    norm = normalize_item("forall x : R, Rabs x >= 0", 0, backend="coq")
    assert norm.problem is not None and "Reals" in norm.problem.header


def test_whole_file_with_one_open_theorem() -> None:
    text = ("Require Import Arith.\nDefinition f (n : nat) := n + 1.\n"
            "Lemma f_gt (n : nat) : f n > n.\nProof.\nAdmitted.\n")
    norm = normalize_item({"text": text}, 0, backend="coq")
    assert norm.kind == "file"
    assert norm.problem is not None
    assert norm.problem.header == "Require Import Arith."
    assert "Definition f" in norm.problem.decls
    assert norm.problem.theorem_name == "f_gt" and norm.problem.keyword == "Lemma"
    assert norm.problem.statement == "forall (n : nat), f n > n"


def test_file_without_proof_or_closer_is_still_read() -> None:
    for text in ("Theorem t : 1 = 1.", "Theorem t : 1 = 1.\nProof."):
        norm = normalize_item(text, 0, backend="coq")
        assert norm.kind == "file" and norm.problem is not None
        assert norm.problem.statement == "1 = 1"


@pytest.mark.needs_shared
def test_every_minif2f_file_splits() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent")
    files = sorted(SHARED.glob("*.v"))
    assert files
    norms = {f.stem: normalize_item({"text": f.read_text(), "theorem_name": f.stem}, 0, backend="coq") for f in files}
    assert {n.kind for n in norms.values()} == {"file"}
    assert all(n.problem is not None and n.problem.theorem_name == stem for stem, n in norms.items())
    unnamed = {f.stem: normalize_item(f.read_text(), 0, backend="coq") for f in files}
    two_open = {stem for stem, n in unnamed.items() if n.kind == "invalid"}
    assert two_open == {"imo_1966_p5"}, two_open
    assert "several open theorems: imo_1966_p5, imo_1966_p5'" in (unnamed["imo_1966_p5"].error or "")


def test_lemma_names_and_english_are_recognised() -> None:
    assert normalize_item("Nat.add_comm", 0, backend="coq").kind == "lemma"
    assert normalize_item("plus_n_O", 0, backend="coq").lemma_name == "plus_n_O"
    assert normalize_item("Prove that the sum of two even numbers is even.", 0, backend="coq").kind == "english"
    assert looks_english("For all natural numbers n, n + 0 = n")
    assert not looks_english("forall n : nat, n + 0 = n")
    assert not looks_english("x < y -> y < z -> x < z")


@pytest.mark.parametrize("item, fragment", [
    ({"text": ""}, "non-empty"),
    ({"requirement_text": 5}, "`requirement_text` must be a string, got int"),
    (42, "object or a string"),
    ({"text": "1 = 1", "colour": "red"}, "unknown item field"),
    ({"text": "1 = 1", "tactics": "lia"}, None),
    ({"text": "1 = 1", "tactics": "rewrite H1, H2"}, None),
    ({"text": "1 = 1", "tactics": [1]}, "list of strings"),
    ({"text": "1 = 1", "theorem_name": "not an ident"}, "not an identifier"),
    ({"text": "Theorem x : (* open"}, "unterminated comment"),
    ({"text": "x" * 300_000}, "limit"),
])
def test_bad_items_are_invalid_with_a_reason(item: object, fragment: str | None) -> None:
    norm = normalize_item(item, 0, backend="coq")
    if fragment is None:
        assert norm.kind == "statement" and norm.tactics == [item["tactics"]]  # one string is one script
    else:
        assert norm.kind == "invalid"
        assert norm.error is not None and fragment in norm.error


def test_lean_statement_and_file() -> None:
    norm = normalize_item("(a b : ℕ) → a + b = b + a", 0, backend="lean")
    assert norm.problem is not None and norm.problem.header == "import Mathlib"
    text = "import Mathlib\n\ntheorem foo (a b : ℕ) (h : a = b) : b = a := by\n  sorry\n"
    norm = normalize_item(text, 0, backend="lean")
    assert norm.kind == "file" and norm.problem is not None
    assert norm.problem.theorem_name == "foo"
    assert norm.problem.statement == "∀ (a b : ℕ) (h : a = b), b = a"
    bare = normalize_item("theorem t (n : Nat) : n + 0 = n", 0, backend="lean")
    assert bare.kind == "file" and bare.problem is not None
    assert bare.problem.statement == "∀ (n : Nat), n + 0 = n" and bare.problem.header == "import Mathlib"


def test_with_statement_builds_the_problem() -> None:
    norm = normalize_item("Nat.add_comm", 0, backend="coq")
    done = with_statement(norm, "forall n m : nat, n + m = m + n")
    assert done.problem is not None
    assert done.problem.theorem_name == "add_comm_certainly"


@pytest.mark.needs_coq
async def test_library_lemma_statement_is_looked_up_with_coq() -> None:
    assert await lookup_coq_lemma("Nat.add_comm") == "forall n m : nat, n + m = m + n"
    assert await lookup_coq_lemma("eq_refl") == "forall (A : Type) (x : A), x = x"  # implicits as binders, no `?x`
    with pytest.raises(LookupError, match="does not know"):
        await lookup_coq_lemma("No.such_lemma")


@pytest.mark.needs_coq
@pytest.mark.needs_bwrap
async def test_library_lemma_lookup_runs_in_the_prover_sandbox() -> None:
    target = Path("/tmp") / f"scillm_lookup_{secrets.token_hex(6)}"
    header = f'Time Redirect "{target}" Print nat.\nRequire Import Arith.'
    try:
        await lookup_coq_lemma("Nat.add_comm", header)
    except LookupError:
        pass
    assert not Path(f"{target}.out").exists() and not target.exists()


WARMUP = "Theorem warmup : True.\nProof. exact I. Qed.\n\nTheorem main : {stmt}.\nProof.\nAdmitted.\n"
Z_FILE = "From Coq Require Import ZArith.\nOpen Scope Z_scope.\nTheorem t : {stmt}.\nProof.\nAdmitted.\n"
DECL_FILE = "Definition f := {value}.\nTheorem t : f = 1.\nProof.\n"
# (case, attack item, honest twin): each attack was `proved` when a whole file's first theorem was the
# target and item header/decls silently replaced or extended the file's own.
FILE_CASES = [
    ("closed-warmup-is-not-the-target",
     {"text": WARMUP.format(stmt="1 = 2"), "tactics": ["exact I.", "reflexivity."]},
     {"text": WARMUP.format(stmt="2 = 2"), "tactics": ["exact I.", "reflexivity."]}),
    ("item-header-cannot-replace-the-files-scopes",
     {"text": Z_FILE.format(stmt="0 - 1 = 0"), "header": "Require Import Arith.", "tactics": ["reflexivity."]},
     {"text": Z_FILE.format(stmt="0 - 1 = -1"), "tactics": ["reflexivity."]}),
    ("item-decls-cannot-extend-the-file",
     {"text": DECL_FILE.format(value=0), "decls": "Notation \"'f'\" := 1.", "tactics": ["reflexivity."]},
     {"text": DECL_FILE.format(value=1), "tactics": ["reflexivity."]}),
]


@pytest.mark.needs_coq
def test_whole_file_attacks_are_not_proved_and_honest_files_are() -> None:
    import scillm

    items = [{"id": f"{case}:{side}", **item} for case, attack, honest in FILE_CASES
             for side, item in (("attack", attack), ("honest", honest))]
    response = scillm.certainly_prove(items=items, backend="coq",
                                      options={"tactics_only": True, "max_rounds": 1, "cache": False})
    results = response.additional_kwargs["certainly"]["results"]
    by_id = {r["item_id"]: r for r in results}
    for case, _, _ in FILE_CASES:
        attack, honest = by_id[f"{case}:attack"], by_id[f"{case}:honest"]
        assert attack["status"] != "proved", (case, attack)
        assert honest["status"] == "proved", (case, honest)
    assert by_id["closed-warmup-is-not-the-target:attack"]["status"] == "failed"
    for case in ("item-header-cannot-replace-the-files-scopes", "item-decls-cannot-extend-the-file"):
        assert by_id[f"{case}:attack"]["status"] == "error"
        assert "cannot be combined with a whole Coq file" in by_id[f"{case}:attack"]["explanation"]


def test_whole_file_with_item_header_or_decls_is_invalid() -> None:
    for extra in ({"header": ""}, {"decls": "Definition g := 2."}, {"header": "Require Import Arith.", "decls": "x"}):
        norm = normalize_item({"text": "Theorem t : 1 = 1.\nProof.\n", **extra}, 0, backend="coq")
        assert norm.kind == "invalid"
        assert norm.error is not None and "cannot be combined with a whole Coq file" in norm.error


def test_whole_file_target_rules_through_normalize() -> None:
    norm = normalize_item(WARMUP.format(stmt="1 = 2"), 0, backend="coq")
    assert norm.problem is not None
    assert (norm.problem.theorem_name, norm.problem.statement) == ("main", "1 = 2")
    assert "Theorem warmup" in norm.problem.decls
    several = normalize_item("Lemma a : True.\nAdmitted.\nLemma b : True.\nProof.\n", 0, backend="coq")
    assert several.kind == "invalid" and several.error is not None and "a, b" in several.error
    named = normalize_item({"text": "Lemma a : True.\nAdmitted.\nLemma b : 1 = 1.\nProof.\n", "theorem_name": "b"},
                           0, backend="coq")
    assert named.problem is not None and named.problem.statement == "1 = 1"
    z = normalize_item(Z_FILE.format(stmt="0 - 1 = -1"), 0, backend="coq")
    assert z.problem is not None
    assert z.problem.header == "From Coq Require Import ZArith.\nOpen Scope Z_scope."


def test_a_whole_file_without_imports_is_not_read_in_another_scope() -> None:
    norm = normalize_item({"text": "Theorem main : forall exp, exp - 1 + 1 = exp.\nAdmitted.\n"}, 0, backend="coq")
    assert norm.problem is not None and "Open Scope" not in norm.problem.header, norm.problem


HELPER = "theorem helper : True := trivial\n"


@pytest.mark.parametrize(("text", "name", "statement"), [
    (HELPER + "private theorem main : (2 : ℕ) + 2 = 5 := by sorry\n", "main", "(2 : ℕ) + 2 = 5"),
    (HELPER + "@[simp] theorem main : (2 : ℕ) + 2 = 5 := by sorry\n", "main", "(2 : ℕ) + 2 = 5"),
    (HELPER + "theorem «main» : (2 : ℕ) + 2 = 5 := by sorry\n", "main", "(2 : ℕ) + 2 = 5"),
    (HELPER + "example : (2 : ℕ) + 2 = 5 := by sorry\n", "certainly_goal", "(2 : ℕ) + 2 = 5"),
    ("theorem main : True -- below, c := 5\n    ∧ (2 : ℕ) + 2 = 5 := by sorry", "main", "True ∧ (2 : ℕ) + 2 = 5"),
    ("theorem main : let x := 1; x = 1 := by sorry", "main", "let x := 1; x = 1"),
])
def test_a_lean_file_gives_its_open_theorem_read_with_lean_tokens(text: str, name: str, statement: str) -> None:
    norm = normalize_item(text, 0, backend="lean")
    assert norm.kind == "file" and norm.problem is not None, norm.error
    assert (norm.problem.theorem_name, norm.problem.statement) == (name, statement)


def test_a_lean_comment_never_becomes_a_header_line() -> None:
    text = "import Mathlib\n/-\nset_option autoImplicit true\n-/\ntheorem main : (2 : ℕ) + 2 = 4 := by sorry"
    norm = normalize_item(text, 0, backend="lean")
    assert norm.problem is not None and norm.problem.header == "import Mathlib", norm.problem


@pytest.mark.parametrize(("item", "fragment"), [
    ("theorem a : True := sorry\ntheorem b : True := by sorry", "several open"),
    ("def x : ℕ := sorry\ntheorem b : True := by sorry", "outside the open theorem"),
    ("theorem h : True := trivial\ntheorem a : True := trivial\n", "no open theorem"),
    ({"text": "import Mathlib\ntheorem b : True := by sorry", "header": "import Lean"}, "whole Lean file"),
    ("proof_wanted main : 1 = 2\ntheorem t : True := by sorry", "several open"),
    ("foo bar\ntheorem t : True := by sorry", "does not begin a command"),
])
def test_a_lean_file_without_one_open_theorem_is_invalid(item: str | dict[str, str], fragment: str) -> None:
    norm = normalize_item(item, 0, backend="lean")
    assert norm.kind == "invalid" and norm.error is not None and fragment in norm.error, norm


def test_a_lean_file_that_is_one_closed_theorem_is_its_own_target() -> None:
    norm = normalize_item("theorem t (n : Nat) : n + 0 = n := by simp", 0, backend="lean")
    assert norm.problem is not None and norm.problem.statement == "∀ (n : Nat), n + 0 = n", norm


@pytest.mark.parametrize("command", ["export Nat (succ)", "irreducible_def f : Nat := 1", "#eval 1",
                                     "partial def f : Nat → Nat := f", "alias foo := Nat.succ"])
def test_every_lean_command_before_the_target_is_kept_in_the_decls(command: str) -> None:
    split = split_lean_file(f"{command}\ntheorem t : True := by sorry\n")
    assert (split.decls, split.name) == (command, "t")


class _CountingTokens(list):  # type: ignore[type-arg]
    """Tokens that count how many of them a reader looks at (a slice counts every token in it)."""

    looked = 0

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        got = super().__getitem__(index)
        _CountingTokens.looked += len(got) if isinstance(index, slice) else 1
        return got


def test_reading_a_long_lean_file_stays_linear() -> None:
    """`open` at the start of each indented line once made each look through the whole rest of the file."""
    code = tokenize("theorem t : True := sorry\n" + "  open X\n" * 5_000).code
    counting = _CountingTokens(code)
    for i, token in enumerate(code):
        if token.text == "open":
            _in_term(counting, i)
    assert _CountingTokens.looked < 10 * len(code)


@pytest.mark.parametrize("statement", ["forall (R : Prop) n, R -> n - 1 + 1 = n", "forall exp, exp - 1 + 1 = exp",
                                       "forall (f : nat -> nat) (sin : nat), f sin = sin"])
def test_a_bound_variable_named_like_a_real_function_keeps_the_default_header(statement: str) -> None:
    norm = normalize_item(statement, 0, backend="coq")
    assert norm.problem is not None and "R_scope" not in norm.problem.header, norm.problem


@pytest.mark.parametrize("statement", ["forall x : R, x * 1 = x", "exp 0 = 1", "(1 + 1 = 2)%R"])
def test_a_statement_about_the_reals_gets_the_reals_header(statement: str) -> None:
    norm = normalize_item(statement, 0, backend="coq")
    assert norm.problem is not None and "Reals" in norm.problem.header, norm.problem


@pytest.mark.parametrize("name", ["théorème", "main\n", "a b"])
def test_a_coq_theorem_name_the_checker_cannot_take_is_refused_at_intake(name: str) -> None:
    norm = normalize_item({"requirement_text": "1 = 1", "theorem_name": name}, 0, backend="coq")
    assert norm.kind == "invalid" and norm.error is not None and "not an identifier" in norm.error, norm


@pytest.mark.parametrize("statement", ["forall exp' : nat, exp' = exp' -> 0 < 1 / 2",
                                       "Nat.sqrt 4 = Nat.sqrt 4 -> 0 < 1 / 2", "Z.sqrt 4 = Z.sqrt 4 -> 1 / 2 <> 0",
                                       "forall sin' : nat, sin' = sin' -> 2 - 3 < 0", "(* %R *) 1 - 2 = 0"])
def test_a_real_function_name_inside_another_name_keeps_the_default_header(statement: str) -> None:
    norm = normalize_item(statement, 0, backend="coq")
    assert norm.problem is not None and "R_scope" not in norm.problem.header, norm.problem


@pytest.mark.parametrize("fields", [{"decls": "Definition le_n_S : Prop := 1 = 2."},
                                    {"header": "From Coq Require Import ZArith.\nOpen Scope Z_scope."}])
def test_a_lemma_name_with_its_own_header_or_decls_is_invalid(fields: dict[str, str]) -> None:
    norm = normalize_item({"requirement_text": "le_n_S", **fields}, 0, backend="coq")
    assert norm.kind == "invalid" and norm.error is not None and "library lemma name" in norm.error, norm


@pytest.mark.needs_coq
@pytest.mark.needs_bwrap
async def test_a_library_function_is_not_a_lemma() -> None:
    with pytest.raises(LookupError, match="not a lemma"):
        await lookup_coq_lemma("Nat.add")
    assert await lookup_coq_lemma("Nat.add_comm") == "forall n m : nat, n + m = m + n"
    assert await lookup_coq_lemma("eq_refl") == "forall (A : Type) (x : A), x = x"  # implicits as binders, no `?x`
