"""Verify.v's reading of the proof term: recursion that only the kernel's guard checker vouches for is refused.

Recursion is accepted by Coq's guard checker, and `coqchk` shares it, so a
guard bug is a proof of `False` that no second kernel check catches: Coq 8.16
accepts a recursive call on a match over a match (rocq#20455), and later
releases fixed that one and have others open. The candidate theorem is
compiled transparent (`Defined`), and so are the decls' proofs
(`transparent_proofs`); an Ltac2 walk over the theorem's kernel term, and
over every constant of the problem or the candidate it reaches, finds each
`Fix`/`CoFix` node. A fix that is, syntactically, the body of a library
constant of the name it carries (what `cbv` or `unfold` of a library
function put there) was checked when the library was built. Any other fix
of the decls (or a decls body the proof unfolded) must pass a structural
check that shares nothing with the kernel's: its decreasing argument is a
lambda of its body, and every call of the block's functions has, in that
argument's place, a variable that a match on the decreasing argument (or
on such a variable) binds to a constructor argument of the same inductive.
The proof's own fixes, cofixes and opaque constants are refused outright.
Bodies are taken by delta alone, without reducing them, since a term
accepted through a guard bug need not normalize.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scillm.integrations.certainly.checkers.sentences import split_sentences
from scillm.integrations.certainly.checkers.vernac import classify

if TYPE_CHECKING:
    from scillm.integrations.certainly.checkers.verdict_result import Verdict

_SCAN = r"""Ltac2 Type scillm_st := [ StOther | StRec (int, int) | StDec (int, inductive) | StSub (int, inductive) ].
Ltac2 Type scillm_memo := { mutable scillm_done : constr list; mutable scillm_inds : inductive list;
                             mutable scillm_shape : bool }.
Ltac2 scillm_root (k : constant) : ident option :=
  match Env.path (Std.ConstRef k) with r :: _ => Some r | [] => None end.
Ltac2 scillm_in (k : constant) (root : ident) : bool :=
  match scillm_root k with Some r => Ident.equal r root | None => false end.
Ltac2 scillm_own (k : constant) : bool := Bool.or (scillm_in k @CROOT) (scillm_in k @PROOT).
Ltac2 scillm_iown (i : inductive) : bool :=
  match Env.path (Std.IndRef i) with r :: _ => Bool.or (Ident.equal r @CROOT) (Ident.equal r @PROOT) | [] => false end.
Ltac2 scillm_body (k : constant) : constr option :=
  let c := Env.instantiate (Std.ConstRef k) in
  let b := Std.eval_cbv { Std.rBeta := false; Std.rMatch := false; Std.rFix := false; Std.rCofix := false;
                          Std.rZeta := false; Std.rDelta := false; Std.rConst := [Std.ConstRef k] } c in
  if Constr.equal b c then None else Some b.
(* The body of a transparent constant with its casts, walked besides the `cbv` body: `cbv` drops casts, and a
   `vm_compute` cast's type is a term the kernel checks too; `red` keeps them (what its head reduction may drop is
   still in the `cbv` body). *)
Ltac2 scillm_cast_body (c : constr) : constr := Std.eval_red c.
(* 0: a library constant's body; 1: a decls constant's body; 2: neither *)
Ltac2 scillm_defined (c : constr) (name : ident option) : int :=
  match name with
  | None => 2
  | Some id => List.fold_left (fun best r => match r with
      | Std.ConstRef k => if scillm_in k @CROOT then best else
          match scillm_body k with
          | Some b => if Constr.equal b c then (if scillm_in k @PROOT then (if Int.equal best 0 then 0 else 1) else 0) else best
          | None => best end
      | _ => best end) (Env.expand [id]) 2
  end.
Ltac2 scillm_head (t : constr) : inductive option :=
  match Constr.Unsafe.kind t with
  | Constr.Unsafe.Ind i _ => Some i
  | Constr.Unsafe.App f _ => match Constr.Unsafe.kind f with Constr.Unsafe.Ind i _ => Some i | _ => None end
  | _ => None
  end.
Ltac2 scillm_same (a : inductive option) (b : inductive) : bool :=
  match a with Some i => Ind.equal i b | None => false end.
(* t is `forall binders, C` with no let-in among the binders and `concl C` *)
Ltac2 rec scillm_shaped (t : constr) (concl : constr -> bool) : bool :=
  match Constr.Unsafe.kind t with
  | Constr.Unsafe.Prod _ b => scillm_shaped b concl
  | Constr.Unsafe.LetIn _ _ _ => false
  | _ => concl t
  end.
Ltac2 scillm_sort (t : constr) : bool := match Constr.Unsafe.kind t with Constr.Unsafe.Sort _ => true | _ => false end.
Ltac2 rec scillm_prods (t : constr) : int :=
  match Constr.Unsafe.kind t with Constr.Unsafe.Prod _ b => Int.add 1 (scillm_prods b) | _ => 0 end.
(* The number of parameters of the matched inductive, read from the return clause `fun indices (x : I ps is) => P`;
   -1 (refused) when a let-in among the indices makes the clause's binders differ from the indices. *)
Ltac2 rec scillm_params (ret : constr) (lams : int) : int :=
  match Constr.Unsafe.kind ret with
  | Constr.Unsafe.Lambda b body =>
      match Constr.Unsafe.kind body with
      | Constr.Unsafe.Lambda _ _ => scillm_params body (Int.add lams 1)
      | Constr.Unsafe.LetIn _ _ _ => -1
      | _ => match Constr.Unsafe.kind (Constr.Binder.type b) with
             | Constr.Unsafe.App _ args => Int.sub (Array.length args) lams
             | _ => Int.sub 0 lams
             end
      end
  | _ => -1
  end.
Ltac2 scillm_status (ctx : scillm_st list) (k : int) : scillm_st :=
  match List.nth_opt ctx (Int.sub k 1) with Some s => s | None => StOther end.
Ltac2 scillm_sub_of (ctx : scillm_st list) (c : constr) (id : int) : bool :=
  match Constr.Unsafe.kind c with
  | Constr.Unsafe.Rel k => match scillm_status ctx k with StSub j _ => Int.equal j id | _ => false end
  | _ => false
  end.
(* bad c: a fix or cofix the kernel's guard checker alone vouches for. `strict` is true inside the decls' constants,
   where a fix must pass the structural check below; in the proof's own term only a library's or a decls body is
   accepted (and the latter is checked). *)
Ltac2 rec scillm_bad (memo : scillm_memo) (strict : bool) (ctx : scillm_st list) (c : constr) : bool :=
  let walk := scillm_bad memo strict ctx in
  let under := fun (b : constr) (t : constr) => Bool.or (walk b) (scillm_bad memo strict (StOther :: ctx) t) in
  match Constr.Unsafe.kind c with
  | Constr.Unsafe.Rel k => match scillm_status ctx k with StRec _ _ => true | _ => false end
  | Constr.Unsafe.Evar _ args => Array.exist walk args
  | Constr.Unsafe.Cast a _ t => Bool.or (walk a) (walk t)
  | Constr.Unsafe.Prod b t => under (Constr.Binder.type b) t
  | Constr.Unsafe.Lambda b t => under (Constr.Binder.type b) t
  | Constr.Unsafe.LetIn b v t => Bool.or (walk v) (under (Constr.Binder.type b) t)
  | Constr.Unsafe.App f args =>
      match Constr.Unsafe.kind f with
      | Constr.Unsafe.Rel k =>
          match scillm_status ctx k with
          | StRec id arg =>
              if Int.lt arg (Array.length args) then
                if scillm_sub_of ctx (Array.get args arg) id then Array.exist walk args else true
              else true
          | _ => Array.exist walk args
          end
      | _ => Bool.or (walk f) (Array.exist walk args)
      end
  | Constr.Unsafe.Constant k _ =>
      if scillm_own k then
        if List.exist (fun d => Constr.equal d c) (memo.(scillm_done)) then false else
        (memo.(scillm_done) := c :: memo.(scillm_done);
         let own := scillm_in k @PROOT in
         Bool.or (scillm_bad memo own [] (Constr.type c))
           (match scillm_body k with
            | Some b => Bool.or (scillm_bad memo own [] b) (scillm_bad memo own [] (scillm_cast_body c))
            | None => true
            end))
      else false
  | Constr.Unsafe.Ind i _ => scillm_ind memo i
  | Constr.Unsafe.Case _ ret inv scrut branches =>
      Bool.or (walk ret) (Bool.or (walk scrut) (Bool.or
        (match inv with Constr.Unsafe.CaseInvert idx => Array.exist walk idx | _ => false end)
        (scillm_branches memo strict ctx ret scrut branches)))
  | Constr.Unsafe.Fix structs i bs bodies =>
      let name := Constr.Binder.name (Array.get bs i) in
      let known := scillm_defined c name in
      if Int.equal known 0 then false
      else if Bool.or strict (Int.equal known 1) then scillm_fix memo ctx structs bs bodies
      else true
  | Constr.Unsafe.CoFix i bs _ => Bool.neg (Int.equal (scillm_defined c (Constr.Binder.name (Array.get bs i))) 0)
  | Constr.Unsafe.Proj _ x => walk x
  | Constr.Unsafe.Array _ elems d t => Bool.or (Array.exist walk elems) (Bool.or (walk d) (walk t))
  | _ => false
  end
(* An inductive of the problem passes when its arity and its constructors' types have no let-in binder, as the
   kernel's conversion of matches mishandles those (rocq#22378); its constructors' types are walked too. *)
with scillm_ind (memo : scillm_memo) (i : inductive) : bool :=
  if Bool.neg (scillm_iown i) then false else
  if List.exist (fun j => Ind.equal i j) (memo.(scillm_inds)) then false else
  (memo.(scillm_inds) := i :: memo.(scillm_inds);
   let data := Ind.data i in
   let arity := Constr.type (Env.instantiate (Std.IndRef i)) in
   let ctors := List.init (Ind.nconstructors data)
     (fun n => Constr.type (Env.instantiate (Std.ConstructRef (Ind.get_constructor data n)))) in
   if Bool.and (scillm_shaped arity scillm_sort)
        (List.for_all (fun t => scillm_shaped t (fun concl => scillm_same (scillm_head concl) i)) ctors)
   then Bool.or (scillm_bad memo true [] arity) (List.exist (scillm_bad memo true []) ctors)
   else (memo.(scillm_shape) := true; true))
(* A match on the decreasing argument or a subterm of it binds the constructor's arguments of that inductive type as
   subterms; anything else the branches bind is not one. *)
with scillm_branches (memo : scillm_memo) (strict : bool) (ctx : scillm_st list) (ret : constr) (scrut : constr)
    (branches : constr array) : bool :=
  let plain := fun _ => Array.exist (scillm_bad memo strict ctx) branches in
  match Constr.Unsafe.kind scrut with
  | Constr.Unsafe.Rel k =>
      let st := scillm_status ctx k in
      let found := match st with StDec id ind => Some (id, ind) | StSub id ind => Some (id, ind) | _ => None end in
      match found with
      | None => plain ()
      | Some p =>
          let (id, ind) := p in
          let nparams := scillm_params ret 0 in
          if Int.lt nparams 0 then true else
          let bad := Array.mapi (fun n br =>
            let cons := Constr.Unsafe.constructor ind n in
            let nargs := Int.sub (scillm_prods (Constr.type (Env.instantiate (Std.ConstructRef cons)))) nparams in
            scillm_pattern memo strict ctx id ind nargs br) branches in
          Array.exist (fun x => x) bad
      end
  | _ => plain ()
  end
with scillm_pattern (memo : scillm_memo) (strict : bool) (ctx : scillm_st list) (id : int) (ind : inductive)
    (nargs : int) (br : constr) : bool :=
  if Int.le nargs 0 then scillm_bad memo strict ctx br else
  match Constr.Unsafe.kind br with
  | Constr.Unsafe.Lambda b t =>
      let ty := Constr.Binder.type b in
      let st := if scillm_same (scillm_head ty) ind then StSub id ind else StOther in
      Bool.or (scillm_bad memo strict ctx ty) (scillm_pattern memo strict (st :: ctx) id ind (Int.sub nargs 1) t)
  | _ => scillm_bad memo strict ctx br
  end
(* A fix block passes when each body takes its decreasing argument as a lambda and calls the block's functions only on
   subterms of it. *)
with scillm_fix (memo : scillm_memo) (ctx : scillm_st list) (structs : int array) (bs : binder array)
    (bodies : constr array) : bool :=
  let id := List.length ctx in
  let n := Array.length bs in
  if Array.exist (fun b => scillm_bad memo true ctx (Constr.Binder.type b)) bs then true else
  let inner := List.append (List.rev (List.init n (fun j => StRec id (Array.get structs j)))) ctx in
  Array.exist (fun x => x) (Array.mapi (fun j body => scillm_fbody memo inner id (Array.get structs j) body) bodies)
with scillm_fbody (memo : scillm_memo) (ctx : scillm_st list) (id : int) (arg : int) (body : constr) : bool :=
  match Constr.Unsafe.kind body with
  | Constr.Unsafe.Lambda b t =>
      let ty := Constr.Binder.type b in
      if scillm_bad memo true ctx ty then true else
      if Int.equal arg 0 then
        match scillm_head ty with
        | Some ind => scillm_bad memo true (StDec id ind :: ctx) t
        | None => true
        end
      else scillm_fbody memo (StOther :: ctx) id (Int.sub arg 1) t
  | Constr.Unsafe.LetIn b v t =>
      Bool.or (scillm_bad memo true ctx v) (Bool.or (scillm_bad memo true ctx (Constr.Binder.type b))
        (scillm_fbody memo (StOther :: ctx) id arg t))
  | _ => true
  end.
(* 0: nothing found; 1: recursion of the proof's own; 2: an inductive of the problem with let-in binders *)
Ltac2 scillm_recursion (c : constr) : int :=
  let memo := { scillm_done := [c]; scillm_inds := []; scillm_shape := false } in
  let bad := match Constr.Unsafe.kind c with
    | Constr.Unsafe.Constant k _ =>
        Bool.or (scillm_bad memo false [] (Constr.type c))
          (match scillm_body k with
           | Some b => Bool.or (scillm_bad memo false [] b) (scillm_bad memo false [] (scillm_cast_body c))
           | None => true
           end)
    | _ => true
    end in
  if memo.(scillm_shape) then 2 else if bad then 1 else 0."""

_ANSWER = re.compile(r"\s*- : int = ([012])\s*")

#: What the verdict says when the scan finds recursion of the proof's own.
MESSAGE = ("the proof relies on recursion that only the kernel's guard checker vouches for (the proof's own `fix` "
           "or `cofix`, `abstract`, an opaque decls proof, or a decls `fix` whose recursive calls are not on "
           "variables a match on its decreasing argument binds), and that checker, coqchk's too, has known "
           "soundness bugs (rocq#20455 in Coq 8.16); recurse with `induction`, and write decls recursion "
           "structurally")
#: What it says when a problem's inductive type has a let-in binder.
LETIN_MESSAGE = ("the proof uses an inductive type of the decls whose arity or constructor types have a let-in binder "
                 "(`(x : T := v)`, a record's defined field) or a constructor type that only reduces to the type's "
                 "shape, and the kernel's conversion of matches on those, coqchk's too, has known soundness bugs "
                 "(rocq#22378 in Coq 8.16); declare the field as a separate definition")


def recursion_sentences(candidate_root: str, problem_root: str, theorem: str, before: str, after: str) -> list[str]:
    """The scan of `theorem` (its full name) as the last sentences of Verify.v, answered between two `Locate`s."""
    scan = _SCAN.replace("@CROOT", f"@{candidate_root}").replace("@PROOT", f"@{problem_root}")
    return ["From Ltac2 Require Import Ltac2.", scan, before, f"Ltac2 Eval (scillm_recursion constr:({theorem})).",
            after]


def transparent_proofs(decls: str) -> str:
    """The decls with each bare `Qed.` as `Defined.`, so the walk can read the proof terms they make (a proof left
    opaque, by `Time Qed` or `abstract`, is unreadable, so the walk refuses it when the proof uses it)."""
    out = []
    for sentence in split_sentences(decls):
        cmd = classify(sentence)
        words = [w for w in (word.rstrip(".") for word in cmd.words) if w]
        out.append("Defined." if words == ["Qed"] and not cmd.prefixes and not cmd.attributes else sentence.text)
    return "\n".join(out)


def recursion_answer(region: str) -> int | None:
    """What the scan found (0: nothing, 1: recursion of the proof's own, 2: a decls inductive with a let-in binder),
    None when it did not answer."""
    m = _ANSWER.fullmatch(region)
    return None if m is None else int(m.group(1))


def unless_own_recursion(verdict: Verdict, found: int) -> Verdict:
    """`verdict`, or `rejected` when it would be `proved` on what the scan found (`verdict_recursion`); what coqchk
    and the axiom policy refuse keeps their more precise reason."""
    if found and verdict.status == "proved":
        message = LETIN_MESSAGE if found == 2 else MESSAGE
        return verdict.model_copy(update={"status": "rejected", "message": message, "axioms": ()})
    return verdict
