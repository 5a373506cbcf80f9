"""The FastAPI app that Reflex mounts through `api_transformer`. Routers stay thin."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Match, Mount

from livchat import __version__
from livchat.api import accounts, analytics, billing, embed, health, hooks, inbox, knowledge_uploads, public, v1, widget
from livchat.api.json_body import StrictJsonRoute
from livchat.api.problems import install_problem_handlers, problem_response
from livchat.api.ratelimit import RateLimitHeadersMiddleware
from livchat.models.enums import Plan
from livchat.sandbox import install as sandbox
from livchat.services.usage.limits import plan_limits
from livchat.services.webhooks import outbox

API_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_api() -> FastAPI:
    plan_limits(Plan.FREE)  # a typo in LIVCHAT_PLAN_LIMITS stops the start, not every request later
    app = FastAPI(
        title="LivChat",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.router.route_class = StrictJsonRoute  # routes added on the app itself parse JSON like api_router()'s
    install_problem_handlers(app)
    app.add_middleware(RateLimitHeadersMiddleware)
    # The webhook outbox writes its delivery rows inside every emitting transaction, whichever
    # surface (API, inbound hooks, dashboard) emits; installing twice is a no-op.
    outbox.install()
    app.include_router(health.router)
    # Each domain adds its routers/mounts through one function in its own module (kept in this
    # order); nothing else in this file needs to change when a domain grows.
    for module in DOMAIN_MODULES:
        module.install(app)

    # Registered last: any /api path no router claimed is a JSON 404 (or 405 when the path exists
    # with other methods), never the HTML app.
    @app.api_route("/api/{path:path}", methods=API_METHODS, include_in_schema=False)
    async def api_not_found(request: Request, path: str) -> JSONResponse:
        allowed = _methods_for_path(app, request)
        if allowed:
            response = problem_response(405, "method_not_allowed",
                                        f"{request.method} is not allowed on /api/{path}; use {', '.join(allowed)}.")
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return problem_response(404, "not_found", f"No API route matches {request.method} /api/{path}.")

    return app


def _methods_for_path(app: FastAPI, request: Request) -> list[str]:
    """Methods that some route other than the catch-all would answer on this request's path."""
    allowed = []
    for method in API_METHODS:
        scope = {**request.scope, "method": method}
        for route in app.router.routes:
            # Mounts (Reflex mounts its whole backend at "" in the served app) match any path.
            if isinstance(route, Mount) or getattr(route, "name", "") == "api_not_found":
                continue
            if route.matches(scope)[0] == Match.FULL:
                allowed.append(method)
                break
    return allowed


# Modules exposing `install(app: FastAPI) -> None`, installed in this order (routes match in it:
# the inbound hook first, the busiest route and one no other shadows).
DOMAIN_MODULES = [hooks, sandbox, v1, public, accounts, embed, widget, inbox, knowledge_uploads, billing, analytics]
