"""A call goes through the layers once: each item normalised once, options merged once, backends probed once.

Through `completion` the adapter probes once more, before the run, to choose
direct mode over a bridge; the engine's run reuses nothing of that choice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import scillm
from scillm.integrations.certainly import engine, items, options
from scillm.llms import fallback

pytestmark = pytest.mark.needs_coq

ITEMS = [{"requirement_text": "forall n : nat, n + 0 = n"}, {"requirement_text": "2 + 2 = 4"}]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    counted: Counter[str] = Counter()

    def spy(module: object, name: str, key: str = "") -> None:
        real: Callable[..., Any] = getattr(module, name)

        def counting(*args: Any, **kwargs: Any) -> Any:
            counted[key or name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)

    class CountedOptions(options.RunOptions):
        def __init__(self, **fields: Any) -> None:
            counted["options_built"] += 1
            super().__init__(**fields)

    # build_options looks RunOptions up in its module at each call, whoever imported build_options
    monkeypatch.setattr(options, "RunOptions", CountedOptions)
    spy(items, "normalize_item")
    spy(engine, "backend_statuses")
    spy(fallback, "backend_statuses", "direct_mode_probe")
    return counted


def test_completion_normalises_each_item_once_and_merges_options_once(calls: Counter[str]) -> None:
    response = scillm.completion(model="certainly/coq", custom_llm_provider="certainly", items=ITEMS,
                                 tactics=["lia"])
    payload = response.additional_kwargs["certainly"]  # type: ignore[attr-defined]
    assert [r["status"] for r in payload["results"]] == ["proved", "proved"], payload["results"]
    assert calls == Counter(normalize_item=len(ITEMS), options_built=1, backend_statuses=1,
                            direct_mode_probe=1), calls


async def test_the_engine_probes_the_backends_once_per_run(calls: Counter[str]) -> None:
    async with engine.CertainlyEngine(scillm.settings.CertainlySettings(default_backend="coq")) as eng:
        run = await eng.arun(ITEMS, {"tactics": ["lia"], "cache": False})
    assert [r.status for r in run.results] == ["proved", "proved"]
    assert calls == Counter(normalize_item=len(ITEMS), options_built=1, backend_statuses=1), calls
