"""What a Lean header, declarations, statement and proof may contain, read token by token.

These rules reject early and clearly; they are not the proof of soundness
(`lean_verdict` re-checks every winner in fresh modules and reads
`#print axioms`). They are written against `lean_tokens`, so comments end
where Lean's `whitespace` ends them and strings hide nothing, `«sorry»` is
`sorry` and `«debug».«skipKernelTC»` is `debug.skipKernelTC`, while a
keyword is read from the raw token (`«namespace»` and `«in»` are names).

- Everywhere: `sorry`/`admit`/`sorryAx`, kernel and compiler bypasses
  (`unsafe`, `implemented_by`, `extern`, `ofReduceBool`, `debug.*`,
  `native_decide` unless allowed), meta-programming (`#eval` and every `#`
  command, `run_cmd`/`run_tac`/`by_elab`, `elab`, `macro`, `syntax`,
  notations, `simproc`, `initialize`), `axiom`, any `set_option` outside
  `OPTION_ALLOWED`, and text the tokenizer could not lex as Lean would
  (an unterminated comment, a comment glued to a symbol, a string whose
  end would move if Lean read it as interpolated).
- Everywhere but import names: Lean's metaprogramming API, IO and code
  evaluators (`lean_meta`: names under `Lean`, meta monads, `eval%`, name
  literals, Aesop's `tactic` builder); tactic configs hold only literals.
- A proof or statement is one term or tactic block: no command keyword, no
  attribute, and `open`/`set_option` only in their `... in` forms.
- Declarations (`lean_decls`) may declare (`def`, `theorem`, `structure`,
  `class`, `namespace`, ...) but not change what existing names or notation
  mean, and the statement is elaborated right after them: every
  `namespace`, `section` and `mutual` they open is closed (`end` / `end A.B`
  matched as Lean matches them); `open` only as `open ... in` before a
  declaration; nothing at their end that would apply to the statement
  (`... in`, attributes); attributes only from `ATTRIBUTES_ALLOWED`; an
  `instance` only when the head of its conclusion (after `∀ ...,` binders
  and arrows) or the type it is about (its first explicit argument; the
  second for `Membership`, `Singleton`, ... whose first is an `outParam`)
  is declared there, read as Lean resolves it (`lean_names`: not a name
  the instance or a `variable` binds, a protected short name, a keyword
  spelled like a `«»` name, or a short name a decls `def`/`abbrev` has;
  no argument by name unless the class is declared there); a `class` (or
  `class abbrev`) only extending classes declared there, since a parent's
  projection is an instance; `deriving instance` only for types declared
  there; where the statement may read the decls, no declared name under a
  first component they do not declare themselves (`def Nat.zero.succ`,
  `def NNReal.val` take over imported names and dot notation); no `export`;
  no `opaque` without
  a body (`partial def` is kept: the kernel sees it as an opaque constant
  whose type must be inhabited).
- The header holds only `import`s (first), `open`, `universe` and allowed
  `set_option`s; a `universe` takes plain names and both stop at the next
  command keyword (`unseal`, `seal`, `with_weak_namespace`, ...:
  `lean_rules.COMMAND_KEYWORDS`).
"""

from __future__ import annotations

import re

from scillm.integrations.certainly.checkers.lean_decls import ATTRIBUTES_ALLOWED, forbidden_in_decls
from scillm.integrations.certainly.checkers.lean_meta import meta_names, tactic_arguments
from scillm.integrations.certainly.checkers.lean_rules import (
    COMMANDS,
    DECL_STARTS,
    OPTION_ALLOWED,
    Violation,
    always,
    at,
    command_end,
    keyword,
    open_end,
    option_allowed,
    set_option_rule,
    unique,
)
from scillm.integrations.certainly.checkers.lean_tokens import Lexed, tokenize

ALLOWED_AXIOMS: frozenset[str] = frozenset({"propext", "Classical.choice", "Quot.sound"})
NATIVE_AXIOMS: frozenset[str] = frozenset({"Lean.ofReduceBool", "Lean.ofReduceNat", "Lean.trustCompiler"})
"""Axioms `native_decide` adds; accepted only with `allow_native_decide`."""


def _term_rules(lexed: Lexed, allow_native_decide: bool) -> list[Violation]:
    """A proof or statement: one term or tactic block for the target theorem."""
    found = always(lexed, allow_native_decide) + meta_names(lexed)
    code = lexed.code
    found += tactic_arguments(code, proof=True)
    k = 0
    while k < len(code):
        tok, word = code[k], keyword(code[k])
        if word in ("open", "set_option"):
            if word == "open":
                bad, after = None, open_end(code, k)
            else:
                bad, after = set_option_rule(code, k)
            if bad is not None:
                found.append(bad)
            if after >= len(code) or keyword(code[after]) != "in":
                found.append(at(tok, f"command `{word}` (only `{word} ... in` is allowed in a proof)"))
            k = max(after, k + 1)
            continue
        if word in COMMANDS:
            found.append(at(tok, f"command `{word}` (a proof is one term or tactic block)"))
        k += 1
    return found


def forbidden_in_proof(proof: str, *, allow_native_decide: bool = False) -> list[Violation]:
    """Everything that may not appear in a proof body (a `by` block or a term)."""
    return unique(_term_rules(tokenize(proof), allow_native_decide))


def forbidden_in_statement(statement: str, *, allow_native_decide: bool = False) -> list[Violation]:
    """The statement is spliced into `theorem name : <statement> :=`, so it obeys the proof's rules."""
    return unique(_term_rules(tokenize(statement), allow_native_decide))


def header_parts(header: str) -> tuple[str, str, list[Violation]]:
    """(import lines, the rest, violations): the header allows `import`s first, then `open`, `universe`, `set_option`."""
    lexed = tokenize(header)
    found = [at(p, p.name) for p in lexed.problems]
    code = lexed.code
    k, imports_end = 0, 0
    while k < len(code) and keyword(code[k]) == "import":
        if k + 1 >= len(code) or code[k + 1].kind != "ident" or keyword(code[k + 1]) in COMMANDS:
            found.append(at(code[k], "`import` without a module name"))
            k += 1
            break
        imports_end = code[k + 1].end
        k += 2
    while k < len(code):
        tok, word = code[k], keyword(code[k])
        if word == "open":
            after = open_end(code, k)
            if after < len(code) and keyword(code[after]) == "in":
                found.append(at(code[after], "`open ... in` in the header (nothing follows it there)"))
                after += 1
            k = max(after, k + 1)
        elif word == "universe":
            k += 1
            while (k < len(code) and code[k].kind == "ident" and len(code[k].parts) == 1
                   and keyword(code[k]) not in DECL_STARTS):
                k += 1
        elif word == "set_option":
            bad, k = set_option_rule(code, k)
            if bad is not None:
                found.append(bad)
            if k < len(code) and keyword(code[k]) == "in":
                found.append(at(code[k], "`set_option ... in` in the header"))
                k += 1
        else:
            what = "`import` after other commands" if word == "import" else f"`{tok.text}`"
            found.append(at(tok, f"{what} is not allowed in the header (only `import`, then `open`, `universe` "
                                  f"and `set_option` of {', '.join(OPTION_ALLOWED)})"))
            k = command_end(code, k)
    found += always(lexed, False) + meta_names(lexed)
    return header[:imports_end].strip(), header[imports_end:].strip(), unique(found)


_SORRY_WARNING = re.compile(r"declaration uses ['`]sorry['`]")


def is_sorry_warning(text: str) -> bool:
    """Lean's warning for a declaration that depends on `sorry` (both quote styles seen in releases)."""
    return _SORRY_WARNING.search(text) is not None


def blank_comments_and_strings(text: str) -> str:
    """The same text with comments and string/char literals blanked (positions kept)."""
    out = list(text)
    for tok in tokenize(text).tokens:
        if tok.kind in ("comment", "string", "char"):
            for i in range(tok.start, tok.end):
                if out[i] != "\n":
                    out[i] = " "
    return "".join(out)


__all__ = [
    "ALLOWED_AXIOMS",
    "ATTRIBUTES_ALLOWED",
    "NATIVE_AXIOMS",
    "OPTION_ALLOWED",
    "Violation",
    "blank_comments_and_strings",
    "forbidden_in_decls",
    "forbidden_in_proof",
    "forbidden_in_statement",
    "header_parts",
    "is_sorry_warning",
    "option_allowed",
]
