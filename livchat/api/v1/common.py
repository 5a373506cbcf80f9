"""Pieces every v1 router uses: pagination, Idempotency-Key, camelCase models (services/schemas.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from livchat.api.problems import (
    PROBLEM_JSON,
    ApiError,
    error_response,
    service_error_code,
)
from livchat.core.logging import get_logger
from livchat.services import idempotency
from livchat.services.errors import ServiceError
from livchat.services.schemas import CamelModel as CamelModel
from livchat.services.whatsapp import messaging

log = get_logger("api")

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (max 100).")]
Cursor = Annotated[str | None, Query(description="`nextCursor` of the previous page.")]
# Declared on the routes that honour it (so OpenAPI shows it); `idempotent` reads the header itself.
IdempotencyKeyHeader = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=idempotency.MAX_KEY_LENGTH, examples=["order-1234"],
    description="Retrying with the same key within 24 h returns the first response and never sends twice.")]


class Attempt:
    """Handed to an idempotent route's `produce`: it calls `dispatching()` right before its request
    may leave for WuzAPI. From then on the key keeps whatever the request ends with (a retry never
    sends twice); before it, a failure of ours releases the key."""

    def __init__(self, organization_id: str, key: str | None) -> None:
        self.organization_id, self.key, self.dispatched = organization_id, key, False

    async def dispatching(self) -> None:
        if self.key is not None:
            await idempotency.mark_dispatched(self.organization_id, self.key)
        self.dispatched = True


# Headers a replay must not repeat: per-response, or computed afresh (RateLimit-*, by middleware).
_NOT_STORED = {"content-length", "date", "server", "set-cookie", "retry-after", "ratelimit-limit",
               "ratelimit-remaining", "ratelimit-reset", "x-request-id"}


async def idempotent(request: Request, organization_id: str,
                     produce: Callable[[Attempt], Awaitable[Response]]) -> Response:
    """Run `produce` once per Idempotency-Key (24 h); replay the first response afterwards.

    Stored: every answer once the request may have left for WuzAPI, and 4xx answers before it.
    Released (the client may retry): refusals that did nothing (429, an in-progress key),
    failures of ours before anything was sent, and WuzAPI failures that certainly sent nothing."""
    key = request.headers.get("idempotency-key")
    attempt = Attempt(organization_id, key)
    if key is None:
        return await produce(attempt)
    fingerprint = idempotency.request_fingerprint(request.method, request.url.path, await request.body())
    try:
        stored = await idempotency.claim(organization_id, key, request.method, request.url.path, fingerprint)
    except idempotency.KeyInProgress as exc:
        raise ApiError(409, exc.code, service_error_code(exc)[1],
                       headers={"Retry-After": str(idempotency.IN_PROGRESS_RETRY_AFTER)}) from exc
    if stored is not None:
        return Response(stored.body, status_code=stored.status,
                        headers={**stored.headers, "Idempotent-Replayed": "true"},
                        media_type=None if "content-type" in stored.headers else _media_type(stored.status))
    sent_nothing = False
    try:
        response = await produce(attempt)
    except (ApiError, ServiceError) as exc:
        response, sent_nothing = error_response(exc), messaging.sent_nothing(exc)
    except asyncio.CancelledError:
        await asyncio.shield(_settle_interrupted(attempt))
        raise
    except Exception:
        if not attempt.dispatched:
            await idempotency.release(organization_id, key)
            raise
        log.exception("idempotent request failed after it may have reached WuzAPI")
        response = _outcome_unknown()
    if response.status_code == 429 or ((not attempt.dispatched or sent_nothing) and response.status_code >= 500):
        await idempotency.release(organization_id, key)
    else:
        headers = {k: v for k, v in response.headers.items() if k.lower() not in _NOT_STORED}
        await idempotency.complete(organization_id, key, response.status_code, bytes(response.body).decode(), headers)
    return response


async def _settle_interrupted(attempt: Attempt) -> None:
    """The request was cancelled (client gone, shutdown): free the key, or, if it may have sent,
    keep the honest answer so a retry does not send again."""
    assert attempt.key is not None
    if attempt.dispatched:
        response = _outcome_unknown()
        await idempotency.complete(attempt.organization_id, attempt.key, response.status_code,
                                   bytes(response.body).decode(), {"content-type": PROBLEM_JSON})
    else:
        await idempotency.release(attempt.organization_id, attempt.key)


def _outcome_unknown() -> Response:
    return error_response(idempotency.OutcomeUnknown())


def _media_type(status: int) -> str:
    return PROBLEM_JSON if status >= 400 else "application/json"


def json_response(model: BaseModel, status: int = 200) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json", by_alias=True), status_code=status)
