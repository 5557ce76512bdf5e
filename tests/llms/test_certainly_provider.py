"""The `certainly` / `lean4` provider through LiteLLM's `completion`, with real Coq."""

from __future__ import annotations

import json

import pytest

ITEMS = [{"id": "comm", "requirement_text": "forall n m : nat, n + m = m + n"},
         {"id": "bad", "requirement_text": "forall n : nat, n * 0 = 1"}]
OPTS = {"max_rounds": 2, "candidates_per_round": 3}


def _strip_run(payload: dict) -> dict:
    """The payload without what differs between two runs (ids, clocks, timings, cache flags)."""
    return {"summary": payload["summary"],
            "results": [(r["index"], r["item_id"], r["status"], r["backend"], r["proof"] is not None)
                        for r in payload["results"]]}


@pytest.mark.needs_coq
def test_completion_gives_the_same_payload_as_certainly_prove(monkeypatch: pytest.MonkeyPatch) -> None:
    import scillm
    from scillm import completion

    monkeypatch.setenv("CERTAINLY_BACKEND", "coq")
    response = completion(model="certainly", custom_llm_provider="certainly", items=ITEMS,
                          flags=["--strategies", "direct,structured", "--max-refinements", "1"], options=OPTS,
                          messages=[{"role": "user", "content": "prove these"}], session_id="s-1")
    payload = response.additional_kwargs["certainly"]
    assert response.choices[0].message.content == "Certainly: items=2, proved=1, failed=1"
    assert payload["run_manifest"]["session_id"] == "s-1"
    assert payload["run_manifest"]["options"]["strategies"] == ["direct", "structured"]
    assert payload["results"][0]["_direct_mode"] is True
    direct = scillm.certainly_prove(items=ITEMS, options=OPTS).additional_kwargs["certainly"]
    assert _strip_run(payload) == _strip_run(direct)


@pytest.mark.needs_coq
async def test_acompletion_with_backend_suffix_and_lean4_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    from scillm import acompletion

    monkeypatch.delenv("CERTAINLY_BACKEND", raising=False)
    response = await acompletion(model="certainly/coq", items=ITEMS[:1], messages=[],
                                 response_format={"type": "json_object"})
    body = json.loads(response.choices[0].message.content)
    assert body["results"][0]["status"] == "proved" and body["results"][0]["backend"] == "coq"
    monkeypatch.setenv("CERTAINLY_BACKEND", "coq")
    alias = await acompletion(model="lean4", custom_llm_provider="lean4", items=ITEMS[:1], messages=[])
    assert alias.additional_kwargs["lean4"]["results"][0]["status"] == "proved"
    assert alias.additional_kwargs["lean4"] == alias.additional_kwargs["certainly"]


@pytest.mark.needs_coq
def test_user_message_is_the_requirement_without_items(monkeypatch: pytest.MonkeyPatch) -> None:
    from scillm import completion

    monkeypatch.setenv("CERTAINLY_BACKEND", "coq")
    response = completion(model="certainly", custom_llm_provider="certainly", messages=[{"role": "user", "content": "forall P : Prop, P -> P"}])
    assert response.additional_kwargs["certainly"]["results"][0]["status"] == "proved"


def test_unknown_flag_is_an_error_not_ignored() -> None:
    from scillm import completion

    with pytest.raises(Exception, match="unknown flag '--turbo'") as info:
        completion(model="certainly", custom_llm_provider="certainly", items=ITEMS, flags=["--turbo"], messages=[])
    assert "certainly" in repr(info.value).lower() or "flag" in str(info.value)


@pytest.mark.needs_coq
def test_require_proved_raises_through_completion(monkeypatch: pytest.MonkeyPatch) -> None:
    from scillm import completion

    monkeypatch.setenv("CERTAINLY_BACKEND", "coq")
    with pytest.raises(Exception, match="not proved: bad"):
        completion(model="certainly", custom_llm_provider="certainly", items=ITEMS[1:], options={"max_rounds": 1}, require_proved=True, messages=[])
