"""RFC 9457 problem details with a stable machine `code` for every error the API returns."""

from __future__ import annotations

import re
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from livchat.core.logging import get_logger
from livchat.i18n import EN
from livchat.services.errors import ServiceError
from livchat.services.usage.limits import RateLimited

log = get_logger("api")

PROBLEM_JSON = "application/problem+json"

# A route's documented error responses (`responses=`), in the type FastAPI's decorators declare: a bare
# {404: {...}} literal assigned to a constant infers dict[int, dict[str, str]], which they refuse.
Responses = dict[int | str, dict[str, Any]]

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_busy",
}


class ApiError(Exception):
    """Raise from routers or dependencies; services raise their own errors and routers map them."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str = "",
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or code)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers or {}
        self.extra = extra or {}


def problem_response(
    status: int,
    code: str,
    detail: str = "",
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://livchat.ai/problems/{code.replace('_', '-')}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
        "code": code,
    }
    body.update(extra or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and (unauthorized := await _unauthorized(request)):
            return unauthorized  # FastAPI's 400 for a body it cannot decode (not UTF-8)
        code = _CODES_BY_STATUS.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else ""
        return problem_response(exc.status_code, code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        if _unparsed_body(exc) and (unauthorized := await _unauthorized(request)):
            return unauthorized
        errors = [_field_error(err) for err in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
        return problem_response(422, "validation_error", detail, extra={"errors": errors})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        if database_busy(exc):  # overload, not a bug: say so, and when to come back
            log.warning("database busy", extra={"error": str(exc).splitlines()[0][:200]})
            return problem_response(503, "service_busy", "The service is busy; try again in a moment.",
                                    headers={"Retry-After": str(BUSY_RETRY_AFTER)})
        log.error("unhandled error", exc_info=exc)
        return problem_response(500, "internal_error", "Something went wrong on our side.")


# The database refused work for a moment: its pool is exhausted, PostgreSQL has no connection slot
# left, or SQLite's writer lock outlasted the busy timeout. A retry a second later usually succeeds.
_BUSY_TEXTS = ("too many clients", "remaining connection slots", "database is locked")
BUSY_RETRY_AFTER = 1


def database_busy(exc: BaseException) -> bool:
    if isinstance(exc, SQLAlchemyTimeout):  # QueuePool limit reached, connection timed out
        return True
    return isinstance(exc, OperationalError) and any(text in str(exc) for text in _BUSY_TEXTS)


async def _unauthorized(request: Request) -> JSONResponse | None:
    """FastAPI decodes the body before any dependency runs: without this, a body it cannot parse
    would answer 400/422 to a caller with no valid API key, instead of 401."""
    if not request.url.path.startswith("/api/v1/"):
        return None
    from livchat.api.deps import api_key_principal  # here: deps imports this module

    try:
        await api_key_principal(request)
    except ApiError as unauthorized:
        return error_response(unauthorized)
    return None


def _unparsed_body(exc: RequestValidationError) -> bool:
    return any(err.get("type") == "json_invalid" for err in exc.errors())


def _field_error(err: dict[str, Any]) -> dict[str, str]:
    if err.get("type") == "json_invalid":  # its loc is ("body", <character offset>), not a field
        position = next((p for p in err.get("loc", ())[1:] if isinstance(p, int)), None)
        where = f" (at character {position})" if position is not None else ""
        return {"field": "", "message": f"the body is not valid JSON{where}"}
    return {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "message": err.get("msg", "")}


def error_response(exc: ApiError | ServiceError) -> JSONResponse:
    if isinstance(exc, ApiError):
        return problem_response(exc.status, exc.code, exc.detail, title=exc.title, headers=exc.headers, extra=exc.extra)
    code, detail = service_error_code(exc)
    # A limit a service refused carries its own Retry-After and RateLimit-* headers.
    headers = exc.result.headers() if isinstance(exc, RateLimited) else None
    return problem_response(exc.status, code, detail, headers=headers)


def service_error_code(exc: ServiceError) -> tuple[str, str]:
    """A service error's stable API code and English detail.

    Services raise `InvalidInput("invalid_phone")`: the argument, when it is a code with an
    `errors.<code>` string, is the precise code; otherwise the class's generic code applies.
    """
    texts = _error_texts()
    if exc.detail in texts:
        return exc.detail, texts[exc.detail]
    return exc.code, exc.detail if exc.detail != exc.code else texts.get(exc.code, exc.code)


@lru_cache
def _error_texts() -> dict[str, str]:
    """English texts by error code: every catalogue key `errors.<code>` or `<domain>.errors.<code>`."""
    texts = {}
    for key, text in EN.items():
        match = re.search(r"(?:^|\.)errors\.(\w+)$", key)
        if match:
            texts[match.group(1)] = text
    return texts
