"""The certainly provider through LiteLLM's completion: same payload as certainly_prove."""

from __future__ import annotations

from scillm import completion

if __name__ == "__main__":
    response = completion(
        model="certainly/coq",
        custom_llm_provider="certainly",
        items=[{"requirement_text": "forall l : list nat, length (l ++ l) = 2 * length l"}],
        flags=["--max-refinements", "2", "--no-llm"],
        messages=[],
    )
    result = response.additional_kwargs["certainly"]["results"][0]
    print(response.choices[0].message.content)
    print(result["coq_code"] or result["explanation"])
