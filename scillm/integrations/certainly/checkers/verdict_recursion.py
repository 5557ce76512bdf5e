"""Verify.v's reading of the proof term: a `fix` or `cofix` of the proof's own is not trusted.

Recursion is accepted by Coq's guard checker, and `coqchk` shares it, so a
guard bug is a proof of `False` that no second kernel check catches: Coq 8.16
accepts a recursive call on a match over a match (rocq#20455), and later
releases fixed that one and have others open. The candidate theorem is
compiled transparent (`Defined`), and an Ltac2 walk over its kernel term (the
proof's own constants, made by `transparent_abstract`, unfolded) finds every
`Fix`/`CoFix` node. One is accepted only when it is, syntactically, the body
of a constant outside the candidate of the name it carries: a library or
decls function that `cbv` or `unfold` put there, guard-checked when it was
defined. An opaque constant of the proof's own (`abstract`) cannot be read,
so it counts as recursion. Bodies are taken by delta alone, without reducing
them, since a term accepted through a guard bug need not normalize.
"""

from __future__ import annotations

import re

_SCAN = r"""Ltac2 scillm_own (k : constant) : bool :=
  match Env.path (Std.ConstRef k) with r :: _ => Ident.equal r @ROOT | [] => false end.
Ltac2 scillm_body (k : constant) : constr option :=
  let c := Env.instantiate (Std.ConstRef k) in
  let b := Std.eval_cbv { Std.rBeta := false; Std.rMatch := false; Std.rFix := false; Std.rCofix := false;
                          Std.rZeta := false; Std.rDelta := false; Std.rConst := [Std.ConstRef k] } c in
  if Constr.equal b c then None else Some b.
Ltac2 scillm_defined (c : constr) (name : ident option) : bool :=
  match name with
  | None => false
  | Some id => List.exist (fun r => match r with
      | Std.ConstRef k => if scillm_own k then false else
          match scillm_body k with Some b => Constr.equal b c | None => false end
      | _ => false end) (Env.expand [id])
  end.
Ltac2 rec scillm_recursion (c : constr) : bool :=
  match Constr.Unsafe.kind c with
  | Constr.Unsafe.Evar _ args => Array.exist scillm_recursion args
  | Constr.Unsafe.Cast a _ t => Bool.or (scillm_recursion a) (scillm_recursion t)
  | Constr.Unsafe.Prod b t => Bool.or (scillm_recursion (Constr.Binder.type b)) (scillm_recursion t)
  | Constr.Unsafe.Lambda b t => Bool.or (scillm_recursion (Constr.Binder.type b)) (scillm_recursion t)
  | Constr.Unsafe.LetIn b v t =>
      Bool.or (scillm_recursion (Constr.Binder.type b)) (Bool.or (scillm_recursion v) (scillm_recursion t))
  | Constr.Unsafe.App f args => Bool.or (scillm_recursion f) (Array.exist scillm_recursion args)
  | Constr.Unsafe.Constant k _ =>
      if scillm_own k then match scillm_body k with Some b => scillm_recursion b | None => true end else false
  | Constr.Unsafe.Case _ ret inv scrut branches =>
      Bool.or (scillm_recursion ret) (Bool.or (scillm_recursion scrut) (Bool.or
        (Array.exist scillm_recursion branches)
        (match inv with Constr.Unsafe.CaseInvert idx => Array.exist scillm_recursion idx | _ => false end)))
  | Constr.Unsafe.Fix _ i bs _ => Bool.neg (scillm_defined c (Constr.Binder.name (Array.get bs i)))
  | Constr.Unsafe.CoFix i bs _ => Bool.neg (scillm_defined c (Constr.Binder.name (Array.get bs i)))
  | Constr.Unsafe.Proj _ x => scillm_recursion x
  | Constr.Unsafe.Array _ elems d t =>
      Bool.or (Array.exist scillm_recursion elems) (Bool.or (scillm_recursion d) (scillm_recursion t))
  | _ => false
  end."""

_ANSWER = re.compile(r"\s*- : bool = (true|false)\s*")

#: What the verdict says when the scan finds recursion of the proof's own.
MESSAGE = ("the proof defines its own recursion (a `fix`/`cofix` that is not the body of a defined function, or "
           "`abstract`), which rests on the kernel's guard checker alone, and that has known soundness bugs "
           "(rocq#20455 in Coq 8.16, coqchk included); recurse with `induction` or a function of the decls")


def recursion_sentences(candidate_root: str, theorem: str, before: str, after: str) -> list[str]:
    """The scan of `theorem` (its full name) as the last sentences of Verify.v, answered between two `Locate`s."""
    return ["From Ltac2 Require Import Ltac2.", _SCAN.replace("@ROOT", f"@{candidate_root}"), before,
            f"Ltac2 Eval (scillm_recursion constr:({theorem})).", after]


def recursion_answer(region: str) -> bool | None:
    """True when the scan found recursion of the proof's own, False when none, None when it did not answer."""
    m = _ANSWER.fullmatch(region)
    return None if m is None else m.group(1) == "true"
