"""Mount the in-process sandbox on the API app when no real WuzAPI is configured, and run its
background work (QR rotation) from the served app's startup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from livchat.core.settings import get_settings
from livchat.sandbox.app import control_app, wuzapi_app
from livchat.sandbox.config import CONTROL_PREFIX, IN_PROCESS_PREFIX
from livchat.sandbox.runtime import get_sandbox


def install(app: FastAPI) -> None:
    if not get_settings().sandbox_enabled:
        return
    sandbox = get_sandbox()
    app.mount(CONTROL_PREFIX, control_app(sandbox))
    app.mount(IN_PROCESS_PREFIX, wuzapi_app(sandbox))


@asynccontextmanager
async def sandbox_lifespan() -> AsyncIterator[None]:
    """Reflex lifespan task (`app.register_lifespan_task(sandbox_lifespan)`); a no-op with WUZAPI_URL.
    Mounted apps get no lifespan of their own under Reflex, hence this."""
    if not get_settings().sandbox_enabled:
        yield
        return
    async with get_sandbox().background():
        yield
