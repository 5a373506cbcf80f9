"""Sandbox configuration and the gateway endpoint the services use.

`gateway_endpoint()` is the one place that decides where WuzAPI is: the real one when WUZAPI_URL
is set, else the in-process sandbox mounted at `<PUBLIC_URL>/sandbox/wuzapi`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from livchat.core.crypto import secret_file
from livchat.core.settings import get_settings

IN_PROCESS_PREFIX = "/sandbox/wuzapi"
CONTROL_PREFIX = "/sandbox/control"


@dataclass
class SandboxConfig:
    db_path: Path
    admin_token: str
    webhook_format: str = "form"  # WuzAPI's WEBHOOK_FORMAT: "json", anything else is form-encoded
    connect_wait_s: float = 10.0  # WuzAPI sleeps 10 s on a connect without Immediate
    qr_period_s: float = 20.0  # a new QR code every 20 s while unlinked
    qr_grace_s: float = 5.0  # the previous code still links this long after a rotation
    reconnect_s: float = 0.0  # a paired device's socket comes up this long after connect
    retry_count: int = 5  # attempts in total
    retry_delay_s: float = 30.0  # waits are delay, 2·delay, 4·delay, … (30/60/120/240 s)
    webhook_timeout_s: float = 30.0
    media_timeout_s: float = 30.0  # fetching media given by URL
    allow_private_media: bool = False  # media URLs on private/loopback addresses (a laptop's files)
    max_concurrent_deliveries: int = 32
    max_pending_deliveries: int = 10_000
    clock: Callable[[], float] = field(default=time.time)

    @classmethod
    def from_settings(cls, *, admin_token: str, db_path: Path | None = None) -> SandboxConfig:
        """Knobs from the settings (environment or .env; names follow WuzAPI's where it has one)."""
        settings = get_settings()
        return cls(
            db_path=Path(settings.sandbox_db_path) if settings.sandbox_db_path else
            db_path or settings.data_dir / "sandbox.db",
            admin_token=admin_token,
            webhook_format="json" if settings.webhook_format.strip().lower() == "json" else "form",
            connect_wait_s=settings.sandbox_connect_wait_seconds,
            qr_period_s=settings.sandbox_qr_period_seconds,
            retry_count=max(1, settings.webhook_retry_count) if settings.webhook_retry_enabled else 1,
            retry_delay_s=settings.webhook_retry_delay_seconds,
            allow_private_media=settings.sandbox_allow_private_media,
        )


def sandbox_admin_token() -> str:
    """WUZAPI_ADMIN_TOKEN, or one generated once into data_dir/sandbox-admin.token (mode 0600)."""
    settings = get_settings()
    return settings.wuzapi_admin_token or secret_file(settings.data_dir / "sandbox-admin.token")


def gateway_endpoint() -> tuple[str, str]:
    """(base_url, admin_token) of the WuzAPI the services talk to."""
    settings = get_settings()
    if settings.wuzapi_url:
        return settings.wuzapi_url.rstrip("/"), settings.wuzapi_admin_token
    return settings.public_url.rstrip("/") + IN_PROCESS_PREFIX, sandbox_admin_token()
