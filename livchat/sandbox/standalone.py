"""`livchat sandbox`: the sandbox on its own port, WuzAPI at root paths (like a real WuzAPI)."""

from __future__ import annotations

import secrets

import uvicorn

from livchat.core.logging import get_logger
from livchat.core.settings import get_settings
from livchat.sandbox.app import standalone_app
from livchat.sandbox.config import SandboxConfig
from livchat.sandbox.engine import Sandbox

log = get_logger("sandbox")


def build() -> Sandbox:
    admin_token = get_settings().wuzapi_admin_token
    if not admin_token:  # WuzAPI does the same: a random token, logged once
        admin_token = secrets.token_urlsafe(24)
        log.warning("WUZAPI_ADMIN_TOKEN is not set; generated admin token: %s", admin_token)
    return Sandbox(SandboxConfig.from_settings(admin_token=admin_token))


def serve(host: str = "127.0.0.1", port: int = 8080) -> None:
    uvicorn.run(standalone_app(build()), host=host, port=port, log_level="warning", access_log=False)
