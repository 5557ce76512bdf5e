"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests: the test double for remote LLM APIs.

It speaks real HTTP/1.1 (keep-alive, chunked SSE streaming) from a stdlib
`ThreadingHTTPServer` in a background thread, so clients under test (httpx,
LiteLLM, the OpenAI SDK) go through their full network stack.

API (stable; other test suites script it):

    server = LLMServer(api_key="test-key", auth="either")   # or use the `llm_server` fixture
    server.start()                    # binds a random free port
    server.base_url                   # "http://127.0.0.1:<port>/v1"
    server.api_key                    # the key it accepts
    server.auth = "bearer"            # "bearer" | "x-api-key" | "either" | "none"
    server.models = ["m1", "m2"]      # ids listed by GET /v1/models
    server.script([Reply(...), "plain text", {"a": 1}, ...])  # FIFO queue, one per chat request
    server.responder = fn             # fn(body: dict) -> Reply | str | dict | None, used when queue is empty
    server.requests                   # list[RecordedRequest] (method, path, headers, body), in arrival order
    server.chat_requests()            # only the POST /v1/chat/completions bodies
    server.reset()                    # clear queue, responder, log; restore auth/models defaults
    server.close()

Without script or responder a chat request is answered with `echo: <last user message text>`.
A queued item may be a `Reply`, a `str` (the content), or a `dict`/`list` (serialised to JSON
content). `Reply` covers: `delay_s` before answering, `status` + `retry_after` errors (429, 500),
`content=None`/"" (empty content), invalid JSON text, `stall_s` (headers and part of the body are
sent, then the server stalls), `tool_calls`, and a `raw_body` override. Requests with
`"stream": true` get SSE chunks (`data: {...}` lines then `data: [DONE]`).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["LLMServer", "RecordedRequest", "Reply"]


@dataclass
class Reply:
    """One scripted answer to a chat request."""

    content: str | None = "ok"
    status: int = 200
    delay_s: float = 0.0
    retry_after: float | None = None
    stall_s: float = 0.0
    tool_calls: list[dict[str, Any]] | None = None
    finish_reason: str = "stop"
    raw_body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, message: str = "scripted error", retry_after: float | None = None) -> Reply:
        """An OpenAI-style error body with the given status (and Retry-After header)."""
        body = json.dumps({"error": {"message": message, "type": "server_error", "code": status}})
        return cls(content=None, status=status, retry_after=retry_after, raw_body=body)


@dataclass
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


def _coerce(item: Reply | str | dict[str, Any] | list[Any] | None) -> Reply:
    if isinstance(item, Reply):
        return item
    if item is None or isinstance(item, str):
        return Reply(content=item)
    return Reply(content=json.dumps(item))


def _last_user_text(body: dict[str, Any]) -> str:
    for msg in reversed(body.get("messages") or []):
        if isinstance(msg, dict) and msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, list):
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            return str(content)
    return ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, cancelled batches) are expected; anything else is printed."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LLMServer:
    """The scriptable OpenAI-compatible server; see the module docstring for the API."""

    def __init__(self, api_key: str = "test-key", auth: str = "either", host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.api_key = api_key
        self.auth = auth
        self.models: list[str] = ["test-model", "test-model-2"]
        self.responder: Callable[[dict[str, Any]], Reply | str | dict[str, Any] | None] | None = None
        self.requests: list[RecordedRequest] = []
        self._defaults = (auth, list(self.models))
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._host = host
        self._port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("LLMServer is not started; call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> LLMServer:
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = _Server((self._host, self._port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="llm-test-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def script(self, replies: list[Reply | str | dict[str, Any] | list[Any] | None]) -> None:
        """Queue replies; each chat request consumes the next one in order."""
        with self._lock:
            self._queue.extend(_coerce(r) for r in replies)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()
        self.responder = None
        self.auth, models = self._defaults
        self.models = list(models)

    def chat_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    def pending(self) -> int:
        """Scripted replies not consumed yet."""
        with self._lock:
            return len(self._queue)

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return _coerce(self.responder(body))
        return Reply(content=f"echo: {_last_user_text(body)}")

    def _authorised(self, headers: dict[str, str]) -> bool:
        bearer = headers.get("authorization", "") == f"Bearer {self.api_key}"
        xkey = headers.get("x-api-key", "") == self.api_key
        return {"none": True, "bearer": bearer, "x-api-key": xkey}.get(self.auth, bearer or xkey)


class _Handler(BaseHTTPRequestHandler):
    owner: LLMServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send_json(self, status: int, obj: Any, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode() if not isinstance(obj, str) else obj.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode(errors="replace")

    def _begin(self) -> tuple[dict[str, str], Any] | None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = self._read_body() if self.command == "POST" else None
        self.owner._record(RecordedRequest(self.command, self.path, headers, body))
        if not self.owner._authorised(headers):
            self._send_json(401, {"error": {"message": "invalid api key", "type": "auth_error", "code": 401}})
            return None
        return headers, body

    def do_GET(self) -> None:
        if self._begin() is None:
            return
        if self.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "owned_by": "test"} for m in self.owner.models]
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        begun = self._begin()
        if begun is None:
            return
        _, body = begun
        if not self.path.rstrip("/").endswith("/chat/completions") or not isinstance(body, dict):
            self._send_json(404, {"error": {"message": f"no route {self.path} or body is not JSON"}})
            return
        reply = self.owner._next_reply(body)
        if reply.delay_s and self.owner._stop.wait(reply.delay_s):
            return
        extra = dict(reply.headers)
        if reply.retry_after is not None:
            extra["Retry-After"] = f"{reply.retry_after:g}"
        if reply.status != 200:
            self._send_json(reply.status, reply.raw_body or {"error": {"message": "error"}}, extra)
        elif body.get("stream"):
            self._stream(body, reply, extra)
        elif reply.stall_s:
            self._stall(body, reply, extra)
        else:
            self._send_json(200, reply.raw_body or _completion(body, reply), extra)

    def _stall(self, body: dict[str, Any], reply: Reply, extra: dict[str, str]) -> None:
        data = json.dumps(_completion(body, reply)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        if not self.owner._stop.wait(reply.stall_s):
            self.wfile.write(data[len(data) // 2:])
        self.close_connection = True

    def _stream(self, body: dict[str, Any], reply: Reply, extra: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        text = reply.content or ""
        pieces = [text[i:i + 4] for i in range(0, len(text), 4)] or [""]
        base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": body.get("model", "")}
        for i, piece in enumerate(pieces):
            delta: dict[str, Any] = {"content": piece}
            if i == 0:
                delta["role"] = "assistant"
            self._chunk(f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': delta}]})}\n\n")
            if reply.stall_s and i == len(pieces) // 2 and self.owner._stop.wait(reply.stall_s):
                return
        final = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}]}
        self._chunk(f"data: {json.dumps(final)}\n\n")
        self._chunk("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = reply.tool_calls
    prompt_tokens = len(json.dumps(body.get("messages", ""))) // 4
    completion_tokens = len(reply.content or "") // 4
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", ""),
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def main() -> None:
    """Run the server in the foreground (benchmarks start it in its own process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument("--delay-s", type=float, default=0.0, help="latency added to every chat reply")
    args = parser.parse_args()
    server = LLMServer(api_key=args.api_key, port=args.port)
    if args.delay_s:
        delay = args.delay_s
        server.responder = lambda body: Reply(content=f"echo: {_last_user_text(body)}", delay_s=delay)
    server.start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.close()


if __name__ == "__main__":
    main()
