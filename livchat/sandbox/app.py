"""ASGI apps over one `Sandbox`: the WuzAPI surface, the control API, or both (standalone)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Mount

from livchat.sandbox.config import CONTROL_PREFIX
from livchat.sandbox.control import build_control_routes
from livchat.sandbox.engine import Sandbox
from livchat.sandbox.wuzapi_routes import build_routes, not_found

_NOT_FOUND = {404: not_found, 405: not_found}


def wuzapi_app(sandbox: Sandbox) -> Starlette:
    return Starlette(routes=build_routes(sandbox), exception_handlers=_NOT_FOUND)


def control_app(sandbox: Sandbox) -> Starlette:
    return Starlette(routes=build_control_routes(sandbox))


def standalone_app(sandbox: Sandbox) -> Starlette:
    """WuzAPI at root paths plus the control API at /sandbox/control, like `livchat sandbox`. Its
    lifespan runs the sandbox's background work (QR rotation) from startup."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with sandbox.background():
            yield

    return Starlette(
        routes=[Mount(CONTROL_PREFIX, app=control_app(sandbox)), *build_routes(sandbox)],
        exception_handlers=_NOT_FOUND, lifespan=lifespan,
    )
