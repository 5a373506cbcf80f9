"""The process's sandbox when it runs in-process (WUZAPI_URL unset): one per process, so the
HTTP routes and the /sandbox page share its state and its webhook dispatcher."""

from __future__ import annotations

import threading

from livchat.sandbox.config import SandboxConfig, sandbox_admin_token
from livchat.sandbox.engine import Sandbox

_lock = threading.Lock()
_sandbox: Sandbox | None = None


def get_sandbox() -> Sandbox:
    global _sandbox
    with _lock:
        if _sandbox is None:
            _sandbox = Sandbox(SandboxConfig.from_settings(admin_token=sandbox_admin_token()))
        return _sandbox
