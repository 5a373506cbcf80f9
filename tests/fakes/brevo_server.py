"""A fake Brevo transactional API for tests: a real HTTP server on 127.0.0.1 answering
`POST /v3/smtp/email` as Brevo does (the `api-key` header, the JSON body it validates, 201 with a
`messageId`), so the app's sender speaks to it as to api.brevo.com.

    with FakeBrevo() as fake:                         # or the `fake_brevo` fixture
        ... BREVO_API_URL=fake.base_url, BREVO_API_KEY=fake.API_KEY ...
        assert fake.sent[0]["to"] == [{"email": "ana@example.com"}]

`fake.fail_next(n, status)` answers the next n sends with a Brevo error body (a 5xx outage, a 429).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from livchat.sandbox.testing import serve_in_thread


class FakeBrevo:
    API_KEY = "xkeysib-test-livchat"

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._stack = ExitStack()
        self.base_url = ""
        self.reset()

    def reset(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []
        self._failures: list[int] = []

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        self._failures.extend([status] * count)

    def __enter__(self) -> FakeBrevo:
        app = Starlette(routes=[Route("/v3/smtp/email", self._send, methods=["POST"])])
        self.base_url = self._stack.enter_context(serve_in_thread(app))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    async def _send(self, request: Request) -> JSONResponse:
        if request.headers.get("api-key") != self.API_KEY:
            return JSONResponse({"code": "unauthorized", "message": "Key not found"}, status_code=401)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"code": "bad_request", "message": "Invalid JSON"}, status_code=400)
        if self._failures:
            status = self._failures.pop(0)
            self.refused.append(body)
            return JSONResponse({"code": "internal_error", "message": "Temporarily unavailable"}, status_code=status)
        missing = [f for f in ("sender", "to", "subject") if not body.get(f)]
        if missing or not (body.get("htmlContent") or body.get("textContent")) or \
                not (body.get("sender") or {}).get("email") or not all(t.get("email") for t in body["to"]):
            return JSONResponse({"code": "missing_parameter", "message": f"missing {missing or 'content'}"},
                                status_code=400)
        message_id = f"<2026120700000{next(self._ids)}.fake@smtp-relay.mailin.fr>"
        self.sent.append({**body, "messageId": message_id})
        return JSONResponse({"messageId": message_id}, status_code=201)


@pytest.fixture(scope="session")
def _fake_brevo_session() -> Iterator[FakeBrevo]:
    with FakeBrevo() as fake:
        yield fake


@pytest.fixture
def fake_brevo(_fake_brevo_session: FakeBrevo) -> Iterator[FakeBrevo]:
    _fake_brevo_session.reset()
    yield _fake_brevo_session
