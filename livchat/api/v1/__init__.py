"""REST API v1 (../shared/API.md): routers, the OpenAPI document and the /docs page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from livchat.api.v1 import (
    conversations,
    instances,
    knowledge,
    messages,
    organization,
    usage,
    webhooks,
)
from livchat.core.settings import get_settings

PREFIX = "/api/v1"
# Modules exposing `router` (an APIRouter with paths relative to /api/v1), included in this order.
ROUTER_MODULES = [instances, messages, webhooks, usage, organization, conversations, knowledge]
_DOCS_HTML = Path(__file__).with_name("docs.html")
# What docs.html loads, and nothing else of the bundled Swagger UI.
_DOCS_ASSETS = {name: Path(fastapi_offline.__file__).parent / "static" / name
                for name in ("swagger-ui-bundle.js", "swagger-ui.css")}


def install(app: FastAPI) -> None:
    for module in ROUTER_MODULES:
        app.include_router(module.router, prefix=PREFIX)

    @app.get(f"{PREFIX}/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(_openapi(app))

    @app.get("/docs", include_in_schema=False)
    async def docs_page() -> HTMLResponse:
        html = _DOCS_HTML.read_text().replace("{{PUBLIC_URL}}", get_settings().public_url.rstrip("/"))
        return HTMLResponse(html)

    for name, path in _DOCS_ASSETS.items():  # one fixed route per file: nothing else is reachable
        app.add_api_route(f"/docs/assets/{name}", _asset_route(path), methods=["GET"], include_in_schema=False)


def _asset_route(path: Path) -> Any:
    async def asset() -> FileResponse:
        return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})

    return asset


def _openapi(app: FastAPI) -> dict[str, Any]:
    """Built once per app (routes do not change after start-up)."""
    from livchat.api.v1 import (
        openapi,  # here: it imports the routers' models, installed first
    )

    cached = getattr(app.state, "v1_openapi", None)
    if cached is None:
        cached = app.state.v1_openapi = openapi.build(app.routes, get_settings().public_url.rstrip("/"))
    return cached
