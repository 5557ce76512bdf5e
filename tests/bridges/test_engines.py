"""The engine objects a bridge serves: built by name, own their warm checkers, close them."""

from __future__ import annotations

import anyio
import pytest

from scillm.bridges.engines import load_engine
from scillm.errors import EngineNotReadyError, InvalidRequestError
from scillm.integrations.certainly.engine import CertainlyEngine


def test_an_unknown_engine_is_not_ready() -> None:
    with pytest.raises(EngineNotReadyError, match="no engine named"):
        load_engine("isabelle")


@pytest.mark.needs_coq
def test_the_engine_owns_its_checker_and_closes_it() -> None:
    async def scenario() -> None:
        async with CertainlyEngine() as engine:
            stream = engine.aiter(["1 + 1 = 2", "2 + 2 = 4", "3 + 3 = 6"], {"cache": False, "concurrency": 1})
            first = await stream.__anext__()
            assert first.status == "proved"
            await stream.aclose()
            assert list(engine._checkers) == ["coq"]
        assert engine._checkers == {}
        with pytest.raises(InvalidRequestError, match="closed"):
            await engine.arun(["1 = 1"], {"cache": False})

    anyio.run(scenario)
