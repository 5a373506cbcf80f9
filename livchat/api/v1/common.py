"""Pieces every v1 router uses: pagination, Idempotency-Key, camelCase models."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from livchat.api.problems import ApiError, error_response
from livchat.services import idempotency
from livchat.services.errors import ServiceError

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (max 100).")]
Cursor = Annotated[str | None, Query(description="`nextCursor` of the previous page.")]


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class Page(CamelModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = None


def page_of(items: list[Any], limit: int, id_of: Callable[[Any], str] = lambda x: x.id) -> tuple[list[Any], str | None]:
    """Callers fetch `limit + 1` rows ordered by id descending; the extra row means "more"."""
    if len(items) > limit:
        return items[:limit], id_of(items[limit - 1])
    return items, None


def rfc3339(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


async def idempotent(
    request: Request, organization_id: str, produce: Callable[[], Awaitable[Response]]
) -> Response:
    """Run `produce` once per Idempotency-Key (24 h); replay the first response afterwards."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return await produce()
    body = await request.body()
    fingerprint = idempotency.request_fingerprint(request.method, request.url.path, body)
    stored = await idempotency.claim(organization_id, key, request.method, request.url.path, fingerprint)
    if stored is not None:
        return Response(stored.body, status_code=stored.status, media_type=_media_type(stored.status),
                        headers={"Idempotent-Replayed": "true"})
    try:
        response = await produce()
    except (ApiError, ServiceError) as exc:
        response = error_response(exc)  # a 4xx answer is the answer: replay it too
    except BaseException:
        await idempotency.release(organization_id, key)
        raise
    if response.status_code >= 500:
        await idempotency.release(organization_id, key)
    else:
        await idempotency.complete(organization_id, key, response.status_code, bytes(response.body).decode())
    return response


def _media_type(status: int) -> str:
    return "application/problem+json" if status >= 400 else "application/json"


def json_response(model: BaseModel, status: int = 200) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json", by_alias=True), status_code=status)
