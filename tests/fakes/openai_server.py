"""A fake OpenAI server for tests: a real HTTP server on 127.0.0.1 (uvicorn in a thread) speaking
the real wire protocol, so the openai SDK (whose httpx2 transport no mock intercepts) talks to it
exactly as it would to api.openai.com or any compatible server.

    with FakeOpenAI() as fake:                      # or the `fake_openai` fixture
        fake.chat.push(ChatReply(tool_calls=[ToolCall("search_knowledge_base", {"query": "refund"})]))
        fake.chat.push(ChatReply(content="Refunds take 7 days."))
        client = AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
        ...
        assert fake.chat.requests[1]["messages"][-1]["role"] == "tool"

Implemented:
- `POST /v1/chat/completions`, plain and `stream: true` (Server-Sent Events, `data: [DONE]` last).
  Streamed chunks have the shapes the SDK accumulates (shared/notes/support-desk.md §5): a first
  `{role: "assistant"}` delta, content in small pieces, each tool call's `id`, `type` and `name`
  in its first fragment only and its `arguments` in pieces, `finish_reason` on the last choice
  chunk, then with `stream_options: {include_usage: true}` a `choices: []` chunk with `usage`.
  Replies come from a queue (`fake.chat.push`), or from a function of the request
  (`fake.chat.respond_with(fn)`); with neither, the fake answers 500 so a test that forgot to
  script a reply fails loudly.
- `POST /v1/embeddings`: `encoding_format` `base64` (the SDK's default: little-endian float32)
  or `float`; vectors are a deterministic function of the text (word hashing, unit length; size
  `fake.embeddings.dimension`, or the request's `dimensions`), or of `fake.embeddings.respond_with(fn)`.
- `GET /v1/models`.
- Failures: `fake.fail_next("/v1/embeddings", status=429)` answers the next matching request(s)
  with OpenAI's error body.
- Every request is recorded (`fake.requests`, and per endpoint `fake.chat.requests`,
  `fake.embeddings.requests`), with its headers.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from livchat.sandbox.testing import serve_in_thread

MODEL = "gpt-4o-mini"


# --- what a test scripts ---------------------------------------------------------------------------

@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)  # a dict is sent as its JSON
    id: str | None = None  # default: call_<n>

    def arguments_json(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class ChatReply:
    """One assistant turn: text, tool calls, or both. Streamed, the content goes out `chunk_chars`
    characters per delta and each tool call's arguments `argument_chars` per fragment, with
    `delay` seconds before each chunk (to watch tokens arrive one by one)."""

    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None  # default: "tool_calls" when there are any, else "stop"
    prompt_tokens: int | None = None  # default: a rough count of the request's words
    completion_tokens: int | None = None
    chunk_chars: int = 4
    argument_chars: int = 8
    delay: float = 0.0
    status: int = 200  # anything else answers OpenAI's error body instead
    error_message: str = "The fake was told to fail."
    error_type: str = "server_error"
    error_code: str | None = None


@dataclass
class Failure:
    path: str
    status: int
    message: str
    type: str
    code: str | None
    times: int


class _Endpoint:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def _record(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(body)

    @property
    def last(self) -> dict[str, Any]:
        return self.requests[-1]


class ChatScript(_Endpoint):
    def __init__(self) -> None:
        super().__init__()
        self._queue: deque[ChatReply] = deque()
        self._respond: Callable[[dict[str, Any]], ChatReply] | None = None

    def push(self, *replies: ChatReply) -> None:
        """Queue replies, answered in order, one per request."""
        with self._lock:
            self._queue.extend(replies)

    def respond_with(self, fn: Callable[[dict[str, Any]], ChatReply] | None) -> None:
        """Answer each request (its JSON body) with `fn(body)` once the queue is empty."""
        self._respond = fn

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _next(self, body: dict[str, Any]) -> ChatReply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self._respond is not None:
            return self._respond(body)
        return ChatReply(status=500, error_message="fake OpenAI: no chat reply was scripted for this request")


class EmbeddingScript(_Endpoint):
    def __init__(self, dimension: int) -> None:
        super().__init__()
        self.dimension = dimension
        self._respond: Callable[[str, int], list[float]] | None = None

    def respond_with(self, fn: Callable[[str, int], list[float]] | None) -> None:
        """Embed each input text with `fn(text, dimension)` instead of the built-in hashing."""
        self._respond = fn

    def vector(self, text: str, dimension: int | None = None) -> list[float]:
        size = dimension or self.dimension
        if self._respond is not None:
            return self._respond(text, size)
        return hashed_vector(text, size)


def hashed_vector(text: str, dimension: int) -> list[float]:
    """Unit-length bag of hashed lower-case words: texts sharing words point the same way."""
    vector = [0.0] * dimension
    for word in re.findall(r"\w+", text.lower()):
        h = zlib.crc32(word.encode())
        vector[h % dimension] += 1.0 if h & 0x80000000 else -1.0
    norm = sum(v * v for v in vector) ** 0.5
    if not norm:
        vector[0], norm = 1.0, 1.0
    return [v / norm for v in vector]


# --- the server ------------------------------------------------------------------------------------

class FakeOpenAI:
    def __init__(self, *, embedding_dimension: int = 64) -> None:
        self.chat = ChatScript()
        self.embeddings = EmbeddingScript(embedding_dimension)
        self.requests: list[dict[str, Any]] = []  # {method, path, headers, body}
        self._failures: list[Failure] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.base_url = ""  # http://127.0.0.1:<port>/v1 once started
        self.app = Starlette(routes=[
            Route("/v1/chat/completions", self._chat_completions, methods=["POST"]),
            Route("/v1/embeddings", self._embeddings, methods=["POST"]),
            Route("/v1/models", self._models, methods=["GET"]),
        ])
        self._serving: Any = None

    # lifecycle

    def __enter__(self) -> FakeOpenAI:
        self._serving = serve_in_thread(self.app)
        self.base_url = self._serving.__enter__() + "/v1"
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.__exit__(*exc)

    def environment(self, api_key: str = "sk-test-fake") -> dict[str, str]:
        """The settings that point LivChat at this server."""
        return {"OPENAI_API_KEY": api_key, "OPENAI_BASE_URL": self.base_url}

    # scripting

    def fail_next(self, path: str, status: int = 500, *, message: str = "The fake was told to fail.",
                  type: str = "server_error", code: str | None = None, times: int = 1) -> None:
        """The next `times` requests to `path` (`/v1/embeddings`, `/v1/chat/completions`) fail."""
        with self._lock:
            self._failures.append(Failure(path, status, message, type, code, times))

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self.requests.clear()
        self.chat = ChatScript()
        self.embeddings = EmbeddingScript(self.embeddings.dimension)

    # handlers

    async def _read(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        body = await request.json()
        with self._lock:
            self.requests.append({"method": request.method, "path": request.url.path,
                                  "headers": dict(request.headers), "body": body})
            failure = next((f for f in self._failures if f.path == request.url.path), None)
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return body, _error(401, "You didn't provide an API key.", "invalid_request_error", "missing_api_key")
        if failure is not None:
            return body, _error(failure.status, failure.message, failure.type, failure.code)
        return body, None

    async def _models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [
            {"id": MODEL, "object": "model", "created": 1700000000, "owned_by": "fake"},
            {"id": "text-embedding-3-small", "object": "model", "created": 1700000000, "owned_by": "fake"}]})

    async def _embeddings(self, request: Request) -> Response:
        body, refused = await self._read(request)
        self.embeddings._record(body)
        if refused is not None:
            return refused
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t for t in texts):
            return _error(400, "'$.input' is invalid.", "invalid_request_error", None)
        encoding = body.get("encoding_format", "float")
        data = []
        for index, text in enumerate(texts):
            vector = self.embeddings.vector(text, body.get("dimensions"))
            encoded: Any = vector
            if encoding == "base64":
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(len(t.split()) for t in texts)
        return JSONResponse({"object": "list", "data": data, "model": body.get("model", ""),
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    async def _chat_completions(self, request: Request) -> Response:
        body, refused = await self._read(request)
        self.chat._record(body)
        if refused is not None:
            return refused
        reply = self.chat._next(body)
        if reply.status != 200:
            return _error(reply.status, reply.error_message, reply.error_type, reply.error_code)
        completion_id = f"chatcmpl-fake{next(self._ids)}"
        calls = [(call, call.id or f"call_{next(self._ids)}") for call in reply.tool_calls]
        finish = reply.finish_reason or ("tool_calls" if calls else "stop")
        prompt = reply.prompt_tokens if reply.prompt_tokens is not None else _words(body.get("messages"))
        completion = reply.completion_tokens if reply.completion_tokens is not None else \
            len((reply.content or "").split()) + sum(len(c.arguments_json()) // 4 for c, _ in calls)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        model = body.get("model", MODEL)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            frames = _stream(completion_id, model, reply, calls, finish, usage if include_usage else None)
            return StreamingResponse(_paced(frames, reply.delay), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
        if calls:
            message["tool_calls"] = [{"id": call_id, "type": "function",
                                      "function": {"name": call.name, "arguments": call.arguments_json()}}
                                     for call, call_id in calls]
        return JSONResponse({
            "id": completion_id, "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": usage, "system_fingerprint": "fp_fake"})


def _error(status: int, message: str, type: str, code: str | None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": type, "param": None, "code": code}},
                        status_code=status)


def _words(messages: Any) -> int:
    return sum(len(str(m.get("content") or "").split()) for m in messages or [] if isinstance(m, dict))


def _pieces(text: str, size: int) -> Iterator[str]:
    size = max(1, size)
    for start in range(0, len(text), size):
        yield text[start:start + size]


def _stream(completion_id: str, model: str, reply: ChatReply, calls: list[tuple[ToolCall, str]], finish: str,
            usage: dict[str, int] | None) -> Iterator[dict[str, Any]]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}

    yield chunk({"role": "assistant", "content": None if reply.content is None else ""})
    for piece in _pieces(reply.content or "", reply.chunk_chars):
        yield chunk({"content": piece})
    for index, (call, call_id) in enumerate(calls):
        # id, type and name in the first fragment only: the SDK concatenates every string it sees again.
        yield chunk({"tool_calls": [{"index": index, "id": call_id, "type": "function",
                                     "function": {"name": call.name, "arguments": ""}}]})
        for piece in _pieces(call.arguments_json(), reply.argument_chars):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, finish)
    if usage is not None:
        yield {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
               "system_fingerprint": "fp_fake", "choices": [], "usage": usage}


async def _paced(frames: Iterator[dict[str, Any]], delay: float) -> AsyncIterator[bytes]:
    for frame in frames:
        if delay:
            await asyncio.sleep(delay)  # pacing of the stream itself, not synchronisation
        yield f"data: {json.dumps(frame)}\n\n".encode()
    yield b"data: [DONE]\n\n"


# --- fixtures --------------------------------------------------------------------------------------

@contextmanager
def fake_openai_server(**options: Any) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(**options) as fake:
        yield fake


@pytest.fixture(scope="session")
def _fake_openai_session() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake_openai(_fake_openai_session: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """One server for the session, its script and records emptied for each test (tests/conftest.py
    lists this module in `pytest_plugins`, so every test can ask for it)."""
    _fake_openai_session.reset()
    yield _fake_openai_session
    _fake_openai_session.reset()


def agent_turn(body: dict[str, Any]) -> ChatReply:
    """A support agent's usual turn, for `main(… agent)`: with tools offered, search the knowledge
    base with the visitor's words first, then answer citing the first passage, streamed."""
    messages = body.get("messages") or [{}]
    if not body.get("tools"):
        return ChatReply(content=f"echo: {messages[-1].get('content')}")
    if messages[-1].get("role") == "tool":
        return ChatReply(content="Here is what our help articles say about it: the answer is in the passage [1]. "
                                 "Anything else I can help with?")
    return ChatReply(tool_calls=[ToolCall("search_knowledge_base", {"query": str(messages[-1].get("content"))})])


def main() -> None:
    """`python -m tests.fakes.openai_server [port] [dimension] [agent]`: serve the fake until
    interrupted (for the benchmarks, or to run the app against it by hand with OPENAI_BASE_URL).
    Unscripted chat requests are answered with an echo of the last user message, or with `agent`
    as a support agent would (`agent_turn`: search, then a cited answer)."""
    import sys

    import uvicorn

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    fake = FakeOpenAI(embedding_dimension=int(sys.argv[2]) if len(sys.argv) > 2 else 1536)
    if len(sys.argv) > 3 and sys.argv[3] == "agent":
        fake.chat.respond_with(agent_turn)
    else:
        fake.chat.respond_with(
            lambda body: ChatReply(content=f"echo: {(body.get('messages') or [{}])[-1].get('content')}"))
    uvicorn.run(fake.app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
