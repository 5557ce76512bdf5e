"""The lexer and a real coqtop cut the same adversarial scripts into the same number of sentences.

Scripts are drawn from a grammar of the pieces that make lexing hard (dot runs,
`...`, bullets and their repetitions, braces and goal selectors, nested
comments holding strings with `*)`, strings with `""` and `(*`, qualified
names, numbers, glued comments, non-ASCII spaces), inside a proof and outside
one. Several scripts run in one coqtop: each is preceded by `Abort All.` (and
`Goal True /\\ True.` for proof scripts) and followed by a
marker query whose error tells where its prompts end. coqtop prints one
prompt per sentence it reads, failed ones included, so the prompt count is
Coq's sentence count. Where the lexer refuses a script, Coq must fail to read
it too (a syntax or lexer error), so the refusal loses nothing honest.
Examples are derandomized so that a run is reproducible.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from scillm.integrations.certainly.checkers.sentences import LexError, split_sentences

pytestmark = pytest.mark.needs_coq

SENTENCES = [
    "idtac.", "exact I.", "split.", "idtac...", "split...", 'idtac "a. b"" (* c".', 'idtac "*)".', 'idtac "(*".',
    'idtac """".', "pose (n := Nat.add 1 2).", "pose (q := 1.5).", "idtac (* . *) .", "all: idtac.", "1: idtac.",
    "[x]: idtac.", "2-3, 1: idtac.", "let x := constr:(fun y => y) in idtac.", "Check (1, 2).", "exact x.(y).",
    "idtac.idtac.", "exact (fun x => x) ..", "exact 1.", "cbv [ Nat.add ] in *.", "simpl in *...",
    'idtac "é".', "apply (f ..).", "exact (1 +.. 2).", "idtac.... idtac.", "exact x...y.", "idtac ) .",
]
BULLETS_AND_BRACES = ["-", "+", "*", "--", "++", "***", "{", "}", "2: {", "[x]: {", "all: {", "1 (* c *) : {", "!: {",
                      "{|"]
SEPARATORS = [" ", "\n", "\t", "\r\n", " (* c. (* nested. *) \"*)\" *) ", "(**)", "(* a *)\n", "", "\u00a0",
              "\x0c", " (* \"(*\" *) "]

COMMANDS = [
    "Check nat.", "Check 1.5.", "Check (1, 2).", "Check Nat.add.", 'Check "a. ""b (* c".', "Check 1...",
    "Check x.(y).", "Check 1.", "Check (* . *) nat.", "Compute 1+1.", "Check (fun x => x) ..", "Check nat.Check nat.",
    "Check (1 +.. 2).", "Check 1.... Check 2.", "Check nat ) .", "Check all.",
]


def _scripts(sentences: list[str], *, in_proof: bool) -> st.SearchStrategy[str]:
    # Outside a proof Coq has no goal selectors, so `1: {` is not a sentence there; the lexer still cuts it
    # (one more cut than Coq, which only means more text is checked), so the count is compared in proofs only.
    braces = [b for b in BULLETS_AND_BRACES if in_proof or ": {" not in b]
    pieces = st.lists(st.tuples(st.sampled_from(sentences + braces), st.sampled_from(SEPARATORS)),
                      min_size=1, max_size=10)
    return pieces.map(lambda ps: "".join(p + s for p, s in ps).rstrip(" \t\n\r\x0c\u00a0") + " Check nat.")

_PROMPT = "<prompt>"
_MARKER = re.compile(r"Error: The \w+ certainly_marker_(\d+)")
_SYNTAX = re.compile(r"Syntax [Ee]rror")


def _coq_counts(batch: list[str], *, in_proof: bool) -> list[tuple[int, bool]]:
    """(sentences read, whether a syntax error was reported) for each script, from one coqtop."""
    opening = "Abort All.\nGoal True /\\ True.\n" if in_proof else "Abort All.\n"
    src = "".join(f"\n{opening}{s}\nCheck certainly_marker_{k}.\n" for k, s in enumerate(batch))
    proc = subprocess.run(["coqtop", "-q", "-emacs"], input=src, capture_output=True, text=True, timeout=120)
    err = proc.stderr
    out: list[tuple[int, bool]] = []
    start = 0
    for m in _MARKER.finditer(err):
        segment = err[start:m.start()]
        # prompts: the one after the previous marker (or the first), Abort All, Goal, then the script's
        out.append((segment.count(_PROMPT) - (3 if in_proof else 2), bool(_SYNTAX.search(segment))))
        start = m.end()
    assert len(out) == len(batch), err[-2000:]
    return out


def _agree(batch: list[str], *, in_proof: bool) -> None:
    coq = _coq_counts(batch, in_proof=in_proof)
    for script, (coq_count, coq_syntax_error) in zip(batch, coq, strict=True):
        try:
            ours = len(split_sentences(script))
        except LexError as exc:
            assert coq_syntax_error, f"lexer refused {script!r} ({exc}) but Coq reads it"
            continue
        assert ours == coq_count, f"{script!r}: lexer {ours} sentences, coqtop {coq_count}"


GLUED = ["Check nat.\u00a0--(**) Check nat.", "Check (1 +(* c. *) 2).", "Check (1 -(* . *) 2).",
         "Check nat.\u00a0<-(* . *) Check nat.", "Check (fun x => x)(* . *) nat.", "Check 1 ](* . *) Check nat.",
         "Check `(* . *) nat.", "Check x.(* . *) Check nat.", "Check nat.\u00a0-(**)-(**) Check nat."]


def test_lexer_and_coqtop_agree_on_comments_glued_to_symbols() -> None:
    if shutil.which("coqtop") is None:
        pytest.skip("coqtop not on PATH")
    _agree(GLUED, in_proof=False)
    _agree(["- (**) idtac.", "split;(**)-(**) idtac.", "exact (I)(* . *) ."], in_proof=True)


_SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                     phases=[Phase.explicit, Phase.reuse, Phase.generate],
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.skipif(shutil.which("coqtop") is None, reason="coqtop not on PATH")
@_SETTINGS
@given(st.lists(_scripts(SENTENCES, in_proof=True), min_size=25, max_size=25))
def test_lexer_and_coqtop_agree_on_proof_scripts(batch: list[str]) -> None:
    _agree(batch, in_proof=True)


@pytest.mark.skipif(shutil.which("coqtop") is None, reason="coqtop not on PATH")
@_SETTINGS
@given(st.lists(_scripts(COMMANDS, in_proof=False), min_size=25, max_size=25))
def test_lexer_and_coqtop_agree_on_vernacular(batch: list[str]) -> None:
    _agree(batch, in_proof=False)
