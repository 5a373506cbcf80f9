"""Rate-limit plumbing shared by every limited route (v1 and the public test-panel API).

Limits record their RateLimit-* headers in the request's state; `RateLimitHeadersMiddleware`
adds them to whatever response the route produces (a model, a Response, or an error).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from livchat.api.problems import ApiError
from livchat.services.usage.limits import QuotaExceeded, RateLimited, RateLimitResult

_STATE_KEY = "rate_limit_headers"
RATE_LIMITED_DETAIL = "Too many requests; retry after the Retry-After header's seconds."


def enforce(request: Request, result: RateLimitResult, code: str = "rate_limited",
            detail: str = RATE_LIMITED_DETAIL) -> None:
    """Record the limit's headers for the response; refuse with 429 (and Retry-After) when over."""
    if not result.allowed:
        raise ApiError(429, code, detail, headers=result.headers())
    record(request, result)


def record(request: Request, result: RateLimitResult) -> None:
    """Keep a passed limit's headers for the response. With several limits on one request, the
    most constrained (lowest remaining) one is shown."""
    headers = result.headers()
    current = getattr(request.state, _STATE_KEY, None)
    if headers and (current is None or int(headers["RateLimit-Remaining"]) < int(current["RateLimit-Remaining"])):
        setattr(request.state, _STATE_KEY, headers)


def refused(exc: RateLimited) -> ApiError:
    """The 429 for a limit a service refused (its result carries the headers)."""
    if isinstance(exc, QuotaExceeded):
        detail = (f"The plan's {exc.result.limit} messages a day are used up; the quota resets at 00:00 UTC "
                  "(see Retry-After), or upgrade the plan.")
    else:
        detail = RATE_LIMITED_DETAIL
    return ApiError(429, exc.code, detail, headers=exc.result.headers())


class RateLimitHeadersMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                recorded = scope.get("state", {}).get(_STATE_KEY)
                if recorded:
                    present = {name.lower() for name, _ in message.get("headers", [])}
                    message["headers"] = list(message.get("headers", [])) + [
                        (k.lower().encode(), v.encode()) for k, v in recorded.items() if k.lower().encode() not in present
                    ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
