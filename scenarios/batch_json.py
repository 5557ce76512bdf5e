"""Story: a batch of JSON-mode chat requests with `scillm.batch_acompletions`.

Runs against CHUTES_API_BASE/CHUTES_API_KEY/CHUTES_MODEL_ID when all are set; otherwise
against the loopback OpenAI-compatible test server started here (a stand-in for a remote
LLM API, the only allowed double).
"""

from __future__ import annotations

import anyio
import support

import scillm
from scillm.config import env

base, key, model = env("CHUTES_API_BASE"), env("CHUTES_API_KEY"), env("CHUTES_MODEL_ID")
server = None
if not (base and key and model):
    try:
        from tests.support.llm_server import LLMServer
    except ImportError:
        support.skip("no CHUTES_* key set and tests/support/llm_server.py is not available")
    server = LLMServer(api_key="scenario-key")
    server.responder = lambda body: {"echo": body["messages"][-1]["content"], "ok": True}
    server.start()
    base, key, model = server.base_url, "scenario-key", "loopback-model"
    print(f"started loopback OpenAI-compatible server at {base}")

requests = [{"model": model, "messages": [{"role": "user", "content": f"Reply as JSON about item {i}"}]}
            for i in range(5)]
try:
    results = anyio.run(lambda: scillm.batch_acompletions(
        requests, api_base=base, api_key=key, response_format={"type": "json_object"}, concurrency=3))
finally:
    if server is not None:
        server.close()
print("summary:", results.summary)
for r in results:
    print(f"  #{r['index']}: ok={r['ok']} content={str(r.get('content'))[:70]}")
if results.summary["ok"] != len(requests):
    support.fail("not every request produced valid JSON")
print("OK: every request answered with valid JSON, in order")
