"""REST API v1 (../shared/API.md): routers, the OpenAPI document and the /docs page."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from livchat import __version__
from livchat.core.settings import get_settings

PREFIX = "/api/v1"
# Modules exposing `router` (an APIRouter with paths relative to /api/v1).
ROUTER_MODULES: list[str] = [
    "livchat.api.v1.instances",
    "livchat.api.v1.messages",
    "livchat.api.v1.webhooks",
    "livchat.api.v1.usage",
]
_DOCS_HTML = Path(__file__).with_name("docs.html")


def install(app: FastAPI) -> None:
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router, prefix=PREFIX)

    @app.get(f"{PREFIX}/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(_openapi(app))

    @app.get("/docs", include_in_schema=False)
    async def docs_page() -> HTMLResponse:
        html = _DOCS_HTML.read_text().replace("{{PUBLIC_URL}}", get_settings().public_url.rstrip("/"))
        return HTMLResponse(html)

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/docs/assets", StaticFiles(directory=assets), name="docs-assets")


def _openapi(app: FastAPI) -> dict[str, Any]:
    """Built once per app (routes do not change after start-up)."""
    cached = getattr(app.state, "v1_openapi", None)
    if cached is None:
        cached = app.state.v1_openapi = _build_openapi(app.routes)
    return cached


def _build_openapi(routes: list[Any]) -> dict[str, Any]:
    document = get_openapi(
        title="LivChat API",
        version=__version__,
        openapi_version="3.1.0",
        summary="WhatsApp instances, messages, signed webhooks and usage.",
        description=(
            "Authenticate with `Authorization: Bearer <API key>`. Errors are RFC 9457 problem details "
            "with a stable `code`. Lists are cursor-paginated. POSTs that create or send accept an "
            "`Idempotency-Key` header (24 h)."
        ),
        routes=routes,
        servers=[{"url": get_settings().public_url.rstrip("/")}],
    )
    # Other routers (inbound hooks, sandbox, accounts) are not part of the public contract.
    document["paths"] = {path: ops for path, ops in document.get("paths", {}).items() if path.startswith(PREFIX)}
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearerAuth"] = {
        "type": "http", "scheme": "bearer", "description": "An API key (`lc_live_…`) from the dashboard.",
    }
    document["security"] = [{"bearerAuth": []}]
    return document
