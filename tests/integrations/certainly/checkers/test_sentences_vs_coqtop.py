"""The lexer and a real coqtop cut the same adversarial scripts into the same number of sentences.

Scripts are drawn from a grammar of the pieces that make lexing hard (dot runs,
`...`, bullets and their repetitions, braces and goal selectors, nested
comments holding strings with `*)`, strings with `""` and `(*`, qualified
names, numbers, glued comments, non-ASCII spaces). Several scripts run in one
coqtop: each is preceded by `Abort All. Goal True /\\ True.` and followed by a
marker query whose error tells where its prompts end. coqtop prints one
prompt per sentence it reads, failed ones included, so the prompt count is
Coq's sentence count. Where the lexer refuses a script, Coq must fail to read
it too (a syntax or lexer error), so the refusal loses nothing honest.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
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

pieces = st.lists(st.tuples(st.sampled_from(SENTENCES + BULLETS_AND_BRACES), st.sampled_from(SEPARATORS)),
                  min_size=1, max_size=10)
scripts = pieces.map(lambda ps: "".join(p + s for p, s in ps).rstrip(" \t\n\r\x0c\u00a0") + " idtac.")

_PROMPT = "<prompt>"
_MARKER = re.compile(r"Error: The \w+ certainly_marker_(\d+)")
_SYNTAX = re.compile(r"Syntax [Ee]rror")


def _coq_counts(batch: list[str]) -> list[tuple[int, bool]]:
    """(sentences read, whether a syntax error was reported) for each script, from one coqtop."""
    src = "".join(f"\nAbort All.\nGoal True /\\ True.\n{s}\nCheck certainly_marker_{k}.\n" for k, s in enumerate(batch))
    proc = subprocess.run(["coqtop", "-q", "-emacs"], input=src, capture_output=True, text=True, timeout=120)
    err = proc.stderr
    out: list[tuple[int, bool]] = []
    start = 0
    for m in _MARKER.finditer(err):
        segment = err[start:m.start()]
        # prompts: the one after the previous marker (or the first), Abort All, Goal, then the script's
        out.append((segment.count(_PROMPT) - 3, bool(_SYNTAX.search(segment))))
        start = m.end()
    assert len(out) == len(batch), err[-2000:]
    return out


@pytest.mark.skipif(shutil.which("coqtop") is None, reason="coqtop not on PATH")
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(scripts, min_size=25, max_size=25))
def test_lexer_and_coqtop_agree_on_sentence_count(batch: list[str]) -> None:
    coq = _coq_counts(batch)
    for script, (coq_count, coq_syntax_error) in zip(batch, coq, strict=True):
        try:
            ours = len(split_sentences(script))
        except LexError as exc:
            assert coq_syntax_error, f"lexer refused {script!r} ({exc}) but Coq reads it"
            continue
        assert ours == coq_count, f"{script!r}: lexer {ours} sentences, coqtop {coq_count}"
