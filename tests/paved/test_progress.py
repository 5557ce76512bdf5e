"""The tqdm progress wrapper over a batch iterator."""

from __future__ import annotations

import pytest

from scillm.paved.batch import parallel_acompletions_iter
from scillm.paved.progress import with_progress
from tests.support.llm_server import LLMServer, Reply


async def test_progress_passes_every_result_through(llm_server: LLMServer,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    llm_server.script(["a", Reply.error(400), "c"])
    requests = [{"model": "test-model", "messages": [{"role": "user", "content": str(i)}]} for i in range(3)]
    it = parallel_acompletions_iter(requests, api_base=llm_server.base_url, api_key=llm_server.api_key,
                                    concurrency=1)
    got = [r async for r in with_progress(it, total=3, desc="probe")]
    assert sorted(r["index"] for r in got) == [0, 1, 2]
    assert sum(r["ok"] for r in got) == 2
    err = capsys.readouterr().err
    assert "probe" in err and "3/3" in err and "failed=1" in err
