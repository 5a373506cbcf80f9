"""A fake Vapi API for tests: a real HTTP server on 127.0.0.1 speaking Vapi's REST protocol
(`Authorization: Bearer <key>`, JSON bodies, camelCase objects, NestJS-style errors), so our
httpx client (VAPI_API_URL) and the browser's `@vapi-ai/web` (its `apiBaseUrl`) talk to it as to
https://api.vapi.ai.

    with FakeVapi() as fake:                       # or the `fake_vapi` fixture
        account = fake.account()                   # a Vapi organization: keys, assistants, numbers
        call = fake.add_call(account, assistant_id=account.assistants[0]["id"])
        fake.end_call(call["id"], transcript="AI: Hi\\nUser: Hello", summary="...")

Implemented:
- `GET /assistant`, `GET /phone-number`, `GET /call/{id}` with an account's private key;
- `POST /call/web` with its public key (what `vapi.start(assistantId)` sends), answering 201 with
  `{id, orgId, type: "webCall", status: "queued", assistantId, webCallUrl, ...}`;
- 401 `{"message": "Invalid Key...", "error": "Unauthorized", "statusCode": 401}` for any other key
  (a public key on a private route, and the reverse, too), 404 for another account's call;
- CORS, as Vapi's API answers browsers.
`fail_next(status)` answers the next request with a 5xx; `hang_next()` holds the next one until
`release()` (a timeout); `auto_end` ends each web call at once, as if talked and hung up.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from livchat.sandbox.testing import serve_in_thread

TRANSCRIPT = "AI: Hello! How can I help you today?\nUser: I would like to check my order.\nAI: Sure, one moment."
SUMMARY = "The customer asked about an order; the assistant offered to check it."


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Account:
    """One Vapi organization."""

    org_id: str
    private_key: str
    public_key: str
    assistants: list[dict[str, Any]] = field(default_factory=list)
    phone_numbers: list[dict[str, Any]] = field(default_factory=list)


class FakeVapi:
    def __init__(self) -> None:
        self._stack = ExitStack()
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self.base_url = ""
        self.reset()

    def reset(self) -> None:
        self.accounts: list[Account] = []
        self.calls: dict[str, dict[str, Any]] = {}
        self.web_calls: list[dict[str, Any]] = []  # POST /call/web bodies, as received
        self.requests: list[tuple[str, str, str]] = []  # (method, path, bearer)
        self.auto_end = False
        self._failures: list[int] = []
        self._hang = 0
        self._released: asyncio.Event | None = None

    # --- what Vapi's own dashboard would hold -----------------------------------------------------

    def account(self, assistants: int = 2, phone_numbers: int = 1) -> Account:
        n = next(self._counter)
        account = Account(org_id=str(uuid.uuid4()), private_key=str(uuid.uuid4()), public_key=str(uuid.uuid4()))
        now = _iso(datetime.now(UTC))
        for i in range(assistants):
            account.assistants.append({"id": str(uuid.uuid4()), "orgId": account.org_id,
                                       "name": f"Assistant {n}.{i + 1}", "createdAt": now, "updatedAt": now,
                                       "voice": {"provider": "vapi", "voiceId": "Elliot"},
                                       "model": {"provider": "openai", "model": "gpt-4o"}})
        for i in range(phone_numbers):
            account.phone_numbers.append({"id": str(uuid.uuid4()), "orgId": account.org_id, "provider": "vapi",
                                          "number": f"+1555010{n:02d}{i:02d}", "name": f"Line {n}.{i + 1}",
                                          "assistantId": account.assistants[0]["id"] if account.assistants else None,
                                          "status": "active", "createdAt": now, "updatedAt": now})
        self.accounts.append(account)
        return account

    def add_call(self, account: Account, assistant_id: str, call_type: str = "webCall") -> dict[str, Any]:
        now = datetime.now(UTC)
        call = {"id": str(uuid.uuid4()), "orgId": account.org_id, "type": call_type, "status": "queued",
                "assistantId": assistant_id, "createdAt": _iso(now), "updatedAt": _iso(now),
                "webCallUrl": f"https://vapi.daily.co/{uuid.uuid4().hex[:20]}", "monitor": {}, "transport": {}}
        self.calls[call["id"]] = call
        return call

    def end_call(self, call_id: str, *, seconds: int = 125, transcript: str = TRANSCRIPT, summary: str = SUMMARY,
                 ended_reason: str = "customer-ended-call", cost: float = 0.1234) -> dict[str, Any]:
        call = self.calls[call_id]
        started = datetime.now(UTC) - timedelta(seconds=seconds + 2)
        recording = f"https://storage.vapi.ai/{call_id}-recording.wav"
        call.update(status="ended", startedAt=_iso(started), endedAt=_iso(started + timedelta(seconds=seconds)),
                    endedReason=ended_reason, cost=cost, transcript=transcript, recordingUrl=recording,
                    summary=summary, updatedAt=_iso(datetime.now(UTC)),
                    artifact={"transcript": transcript, "recordingUrl": recording,
                              "messages": [{"role": "bot", "message": "Hello! How can I help you today?"}]},
                    analysis={"summary": summary, "successEvaluation": "true"})
        return call

    def fail_next(self, status: int = 503, count: int = 1) -> None:
        self._failures.extend([status] * count)

    def hang_next(self) -> None:
        self._hang += 1

    def release(self) -> None:
        if self._released is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._released.set)

    # --- the server -------------------------------------------------------------------------------

    def __enter__(self) -> FakeVapi:
        app = Starlette(
            routes=[Route("/assistant", self._assistants, methods=["GET"]),
                    Route("/phone-number", self._phone_numbers, methods=["GET"]),
                    Route("/call/web", self._web_call, methods=["POST"]),
                    Route("/call/{call_id}", self._call, methods=["GET"])],
            middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])],
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self.base_url = self._stack.enter_context(serve_in_thread(app))
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._stack.close()

    async def _gate(self, request: Request, kind: str) -> tuple[Account | None, JSONResponse | None]:
        """The account the Bearer key opens (`kind`: private | public), or the error to answer."""
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        self.requests.append((request.method, request.url.path, token))
        if self._hang:
            self._hang -= 1
            self._loop, self._released = asyncio.get_running_loop(), asyncio.Event()
            try:
                await asyncio.wait_for(self._released.wait(), timeout=10)
            except TimeoutError:
                pass
        if self._failures:
            status = self._failures.pop(0)
            return None, JSONResponse({"message": "Internal server error", "statusCode": status}, status_code=status)
        account = next((a for a in self.accounts if token and token == getattr(a, f"{kind}_key")), None)
        if account is None:
            return None, JSONResponse({"message": "Invalid Key. Hot tip, you may be using the private key instead "
                                                  "of the public key, or vice versa.",
                                       "error": "Unauthorized", "statusCode": 401}, status_code=401)
        return account, None

    async def _assistants(self, request: Request) -> JSONResponse:
        account, error = await self._gate(request, "private")
        if error is not None or account is None:
            return error or JSONResponse({}, status_code=500)
        return JSONResponse(account.assistants)

    async def _phone_numbers(self, request: Request) -> JSONResponse:
        account, error = await self._gate(request, "private")
        if error is not None or account is None:
            return error or JSONResponse({}, status_code=500)
        return JSONResponse(account.phone_numbers)

    async def _call(self, request: Request) -> JSONResponse:
        account, error = await self._gate(request, "private")
        if error is not None or account is None:
            return error or JSONResponse({}, status_code=500)
        call = self.calls.get(request.path_params["call_id"])
        if call is None or call["orgId"] != account.org_id:
            return JSONResponse({"message": "Not Found", "statusCode": 404}, status_code=404)
        return JSONResponse(call)

    async def _web_call(self, request: Request) -> JSONResponse:
        account, error = await self._gate(request, "public")
        if error is not None or account is None:
            return error or JSONResponse({}, status_code=500)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"message": ["body must be JSON"], "error": "Bad Request", "statusCode": 400},
                                status_code=400)
        self.web_calls.append(body)
        assistant_id = body.get("assistantId")
        if not any(a["id"] == assistant_id for a in account.assistants) and not body.get("assistant"):
            return JSONResponse({"message": "Couldn't Get Assistant. `assistantId` does not exist.",
                                 "error": "Bad Request", "statusCode": 400}, status_code=400)
        call = self.add_call(account, assistant_id)
        if self.auto_end:
            self.end_call(call["id"])
            answer = {**call, "status": "queued"}
        else:
            answer = call
        return JSONResponse(answer, status_code=201)


@pytest.fixture(scope="session")
def _fake_vapi_session() -> Iterator[FakeVapi]:
    with FakeVapi() as fake:
        yield fake


@pytest.fixture
def fake_vapi(_fake_vapi_session: FakeVapi) -> Iterator[FakeVapi]:
    _fake_vapi_session.reset()
    yield _fake_vapi_session
