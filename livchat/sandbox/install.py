"""Mount the in-process sandbox on the API app when no real WuzAPI is configured."""

from __future__ import annotations

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
