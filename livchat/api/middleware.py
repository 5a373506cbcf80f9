"""ASGI middleware around the whole app (API, Reflex backend and the built pages alike)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from livchat.core.db import db
from livchat.core.ids import ulid
from livchat.core.logging import get_logger, request_id_var
from livchat.core.settings import get_settings
from livchat.services.widget.customization import frame_ancestors_for

log = get_logger("http")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Pages where another site may frame us: the chat widget only.
FRAMEABLE_PREFIXES = ("/widget",)


def _is_frameable(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") or path.startswith(p + "?") for p in FRAMEABLE_PREFIXES)


def security_headers_for(path: str, https: bool = False, ancestors: str = "*") -> list[tuple[bytes, bytes]]:
    """`ancestors`: who may frame a frameable page (the widget: its organization's allowed sites)."""
    frameable = _is_frameable(path)
    headers = [
        (b"content-security-policy",
         f"frame-ancestors {ancestors}".encode() if frameable else b"frame-ancestors 'self'"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", b"camera=(), geolocation=(), microphone=(self)"),
    ]
    if not frameable:  # for browsers that predate CSP frame-ancestors
        headers.append((b"x-frame-options", b"SAMEORIGIN"))
    if https:  # only when we are served over https: HSTS on http://localhost would be wrong
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


async def _widget_ancestors(scope: Scope) -> str:
    """The widget page's frame-ancestors: the sites its organization allows (`?organizationId=`),
    any site when it lists none or the id names no organization (the page then says so)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    organization_id = (query.get("organizationId") or [""])[0]
    try:
        async with db.session() as session:
            return await frame_ancestors_for(session, organization_id)
    except Exception:  # the database briefly away: the page fails on its own; do not fail its headers
        log.warning("widget frame-ancestors unavailable; allowing any site", exc_info=True)
        return "*"


class SecurityHeadersMiddleware:
    """Security headers, an X-Request-ID on every response, and one access-log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.https = get_settings().public_url.startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else ulid()
        token = request_id_var.set(request_id)
        path: str = scope.get("path", "")
        ancestors = await _widget_ancestors(scope) if _is_frameable(path) else "*"
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                names = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                for name, value in security_headers_for(path, self.https, ancestors):
                    if name not in names:
                        headers.append((name, value))
                if b"x-request-id" not in names:
                    headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if not path.startswith(("/_next", "/assets", "/_event", "/ping")):
                log.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": path,
                        "status": status_holder["status"],
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            request_id_var.reset(token)
