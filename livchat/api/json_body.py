"""JSON request bodies we can store. Python's JSON parser accepts a lone UTF-16 surrogate
(`"x\\ud800y"`, or its raw bytes), which no UTF-8 text holds: the database then fails deep in a
service (a 500). Every API router is built by `api_router()`, whose routes refuse such a body the
way FastAPI refuses unparseable JSON (422 `validation_error`, after the API key is checked)."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

LONE_SURROGATE = "a string holds a lone UTF-16 surrogate (no UTF-8 form exists)"


class _StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            value = json.loads(body)
            # Only an escape (\uD8xx..\uDFxx) or raw surrogate bytes (0xED 0xA0..0xBF) can hold one.
            if b"\\u" in body or b"\xed" in body:
                try:
                    json.dumps(value, ensure_ascii=False).encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise json.JSONDecodeError(LONE_SURROGATE, body.decode("utf-8", "replace"), 0) from exc
            self._json = value
        return self._json


class StrictJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictJsonRequest(request.scope, request.receive))

        return strict


def api_router(**options: Any) -> APIRouter:
    """The one way to make an API router (tests/architecture checks every route is one of ours)."""
    return APIRouter(route_class=StrictJsonRoute, **options)
