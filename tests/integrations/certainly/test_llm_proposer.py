"""The LLM proposer: reply extraction (pure) and propose -> check -> repair -> prove through LiteLLM.

The model is the loopback OpenAI-compatible test server; the checker is real Coq.
"""

from __future__ import annotations

import pytest

from scillm.completion_protocol import resolve, using_completion
from scillm.errors import CompletionNotConfiguredError
from scillm.integrations.certainly.models import CheckResult, Message, Problem
from scillm.integrations.certainly.proposers.extract import extract_proof, extract_statement, proof_key
from scillm.integrations.certainly.proposers.llm import LLMProposer, load_prompt, prompt_versions
from scillm.llms.completion import litellm_completion
from scillm.llms.openai_client import OpenAICompletion
from scillm.llms.prove import acertainly_prove
from tests.support.llm_server import LLMServer, Reply

RIGHT = "intros n. induction n as [|n IH]; simpl; [reflexivity | rewrite IH; reflexivity]."


def test_fenced_reply_with_prose_and_restated_theorem() -> None:
    reply = ("Sure! Here is a proof.\n\n```coq\nTheorem t : forall n : nat, n + 0 = n.\nProof.\n"
             "  intros n.\n  lia.\nQed.\n```\nThis works because lia decides linear arithmetic.")
    assert extract_proof(reply) == "intros n.\n  lia."


def test_last_tagged_block_wins_and_untagged_blocks_work() -> None:
    reply = "First try:\n```coq\nauto.\n```\nBetter:\n```coq\nProof.\nintuition.\nQed.\n```"
    assert extract_proof(reply) == "intuition."
    assert extract_proof("```\nProof. lia. Qed.\n```") == "lia."


def test_unfenced_reply_keeps_only_the_tactic_run() -> None:
    reply = "We proceed by induction.\nintros n.\ninduction n; simpl; auto.\nThat completes the proof."
    assert extract_proof(reply) == "intros n.\ninduction n; simpl; auto."
    assert extract_proof("") == ""


def test_lean_reply_is_stripped_to_the_by_block() -> None:
    reply = "```lean4\ntheorem foo (a b : ℕ) : a + b = b + a := by\n  omega\n```"
    assert extract_proof(reply, "lean") == "omega"


def test_statement_extraction_and_proof_key() -> None:
    assert extract_statement("```coq\nTheorem t : forall n : nat, n = n.\n```") == "forall n : nat, n = n"
    assert extract_statement("forall n : nat, n = n.") == "forall n : nat, n = n"
    assert proof_key("intros n .  (* why *) lia") == proof_key("intros n. lia.")
    assert proof_key("intros n. lia.") != proof_key("intros m. lia.")


def test_lean_proof_key_drops_comments_as_lean_reads_them() -> None:
    assert proof_key("by\n  /- a /- b -/ c -/ exact h", "lean") == proof_key("by exact h", "lean")
    assert proof_key("/-/- -/ exact g -- -/", "lean") == "exact g"
    assert proof_key('have := "/-"\nexact h\nhave := "-/"', "lean") != proof_key(
        'have := "/-"\nexact g\nhave := "-/"', "lean")


def test_prompts_are_versioned_files() -> None:
    versions = prompt_versions()
    assert set(versions) == {"propose", "repair", "formalize", "explain", "step"}
    assert all(v.endswith("/1") for v in versions.values())
    _, template = load_prompt("repair")
    assert "$failed_proof" in template.template
    with pytest.raises(ValueError):
        load_prompt("nope")


async def test_propose_and_repair_send_the_problem_and_the_error(llm_server: LLMServer) -> None:
    llm_server.script(["```coq\nauto.\n```", "```coq\nlia.\n```"])
    proposer = LLMProposer("openai/test-model", api_base=llm_server.base_url, api_key=llm_server.api_key,
                           temperature=0.3, completion=litellm_completion)
    problem = Problem(backend="coq", header="Require Import Lia.", decls="", theorem_name="t",
                      statement="forall n : nat, n + 0 = n", keyword="Theorem")
    assert [c.proof for c in await proposer.propose(problem, 1)] == ["auto."]
    failed = CheckResult(ok=False, status="failed", error_class="unsolved_goals",
                         messages=[Message(severity="error", text="Error: Attempt to save an incomplete proof")],
                         goals=["n + 0 = n"])
    repaired = await proposer.repair(problem, "auto.", failed, 1)
    assert [c.proof for c in repaired] == ["lia."]
    assert repaired[0].origin == "llm:repair:unsolved_goals"
    bodies = llm_server.chat_requests()
    assert bodies[0]["temperature"] == 0.3
    assert "forall n : nat, n + 0 = n" in bodies[0]["messages"][0]["content"]
    assert "Require Import Lia." in bodies[0]["messages"][0]["content"]
    repair_prompt = bodies[1]["messages"][0]["content"]
    assert "auto." in repair_prompt and "incomplete proof" in repair_prompt and "n + 0 = n" in repair_prompt


@pytest.mark.needs_coq
async def test_llm_propose_check_repair_prove_with_real_coq(llm_server: LLMServer) -> None:
    llm_server.script([
        "Let me think. The statement is easy.\n```coq\nTheorem x : forall n : nat, n + 0 = n.\nProof.\n"
        "  reflexivity.\nQed.\n```\nDone!",
        "You are right, reflexivity cannot see through the variable. Here is a fix:\n\n```\nProof.\n"
        f"{RIGHT}\nQed.\n```",
    ])
    response = await acertainly_prove(
        items=[{"id": "plus0", "requirement_text": "forall n : nat, n + 0 = n"}],
        model="openai/test-model", api_base=llm_server.base_url,
        options={"api_key": llm_server.api_key, "candidates_per_round": 1, "repairs_per_round": 1,
                 "max_rounds": 3, "cache": False})
    result = response.additional_kwargs["certainly"]["results"][0]
    assert result["status"] == "proved", result
    assert result["proof"] == RIGHT
    assert [(a["round"], a["status"]) for a in result["attempts"]] == [(1, "failed"), (2, "proved")]
    assert result["attempts"][1]["origin"].startswith("llm:repair")
    assert "Theorem certainly_goal : forall n : nat, n + 0 = n." in result["coq_code"]
    manifest = response.additional_kwargs["certainly"]["run_manifest"]
    assert manifest["proposer"] == "llm" and manifest["model"] == "openai/test-model"
    assert manifest["prompts"]["propose"] == "propose/1"
    assert "api_key" not in manifest["options"]
    assert len(llm_server.chat_requests()) == 2


@pytest.mark.needs_coq
async def test_english_is_formalised_then_proved(llm_server: LLMServer) -> None:
    llm_server.script(["```coq\nforall n : nat, n + 0 = n\n```", f"```coq\n{RIGHT}\n```"])
    response = await acertainly_prove(
        items=["For every natural number n, adding zero to n gives n."],
        model="openai/test-model", api_base=llm_server.base_url,
        options={"api_key": llm_server.api_key, "candidates_per_round": 1, "cache": False})
    result = response.additional_kwargs["certainly"]["results"][0]
    assert result["status"] == "proved", result
    assert "forall n : nat, n + 0 = n" in result["code"]
    assert "adding zero" in llm_server.chat_requests()[0]["messages"][0]["content"]


@pytest.mark.needs_coq
async def test_simple_mode_explains_a_failure_with_the_llm(llm_server: LLMServer) -> None:
    llm_server.script(["```coq\nreflexivity.\n```", "The goal needs induction on n; reflexivity cannot."])
    response = await acertainly_prove(
        items=["forall n : nat, n + 0 = n"], model="openai/test-model", api_base=llm_server.base_url,
        options={"api_key": llm_server.api_key, "simple": True, "cache": False})
    result = response.additional_kwargs["certainly"]["results"][0]
    assert result["status"] == "failed"
    assert result["stats"]["checks"] == 1
    assert result["explanation"] == "The goal needs induction on n; reflexivity cannot."


@pytest.mark.needs_coq
async def test_llm_api_failure_is_an_item_error_not_a_crash(llm_server: LLMServer) -> None:
    llm_server.script([Reply.error(400, "bad request") for _ in range(5)])
    response = await acertainly_prove(
        items=["forall n : nat, n + 0 = n"], model="openai/test-model", api_base=llm_server.base_url,
        options={"api_key": llm_server.api_key, "cache": False, "candidates_per_round": 1})
    result = response.additional_kwargs["certainly"]["results"][0]
    assert result["status"] == "error"
    assert result["explanation"]


def test_step_replies_become_one_step_per_line() -> None:
    from scillm.integrations.certainly.proposers.llm_step import parse_steps

    reply = "Try these:\n```coq\n- intros n.\n* lia.\nlia.\nnot a step\n```"
    assert parse_steps(reply, 5) == ["intros n.", "lia."]
    assert parse_steps(reply, 1) == ["intros n."]


@pytest.mark.needs_coq
async def test_an_llm_drives_the_search_stepwise(llm_server: LLMServer) -> None:
    import time

    from scillm.integrations.certainly.proposers.llm_step import LLMStepProposer
    from scillm.integrations.certainly.search import best_first_search

    llm_server.script(["```coq\nAdmitted.\nintros n.\n```", "```coq\ninduction n.\n```",
                       "```coq\nreflexivity.\n```", "```coq\nsimpl. rewrite IHn. reflexivity.\n```"])
    llm = LLMProposer("openai/test-model", api_base=llm_server.base_url, api_key=llm_server.api_key,
                      completion=litellm_completion)
    problem = Problem(statement="forall n : nat, n + 0 = n", theorem_name="t")
    found = await best_first_search(problem, [LLMStepProposer(llm)], deadline=time.monotonic() + 60)
    assert found.status == "proved", found
    assert found.steps[:2] == ("intros n.", "induction n.")
    prompts = [b["messages"][0]["content"] for b in llm_server.chat_requests()]
    assert "forall n : nat, n + 0 = n" in prompts[0] and "(none yet)" in prompts[0]
    assert "intros n." in prompts[1] and "n + 0 = n" in prompts[1]


async def test_the_proposer_calls_the_completion_it_is_given(llm_server: LLMServer) -> None:
    llm_server.script(["```coq\nlia.\n```"])
    completion = OpenAICompletion(llm_server.base_url, llm_server.api_key)
    proposer = LLMProposer("openai/test-model", completion=completion, max_tokens=64)
    problem = Problem(backend="coq", header="", decls="", theorem_name="t", statement="1 = 1", keyword="Theorem")
    assert [c.proof for c in await proposer.propose(problem, 1)] == ["lia."]
    (body,) = llm_server.chat_requests()
    assert body["model"] == "test-model" and body["max_tokens"] == 64


async def test_a_scoped_completion_reaches_the_proposer(llm_server: LLMServer) -> None:
    llm_server.script(["```coq\nreflexivity.\n```"])
    proposer = LLMProposer("openai/test-model")
    problem = Problem(backend="coq", header="", decls="", theorem_name="t", statement="1 = 1", keyword="Theorem")
    with using_completion(OpenAICompletion(llm_server.base_url, llm_server.api_key)):
        assert [c.proof for c in await proposer.propose(problem, 1)] == ["reflexivity."]
    with pytest.raises(CompletionNotConfiguredError):
        resolve()
