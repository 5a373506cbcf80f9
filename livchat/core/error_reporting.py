"""Error reports to Sentry when SENTRY_DSN is set; otherwise errors stay in the JSON logs.

The SDK's default integrations cover what we run (Starlette/FastAPI, asyncio, logging: an ERROR
log line becomes an event). No request bodies, user data or stack-frame locals (which may hold
tokens and passwords) are sent.
"""

from __future__ import annotations

import sentry_sdk

from livchat import __version__
from livchat.core.settings import get_settings


def init_error_reporting() -> bool:
    """Start the Sentry client once per process; False when no DSN is configured."""
    dsn = get_settings().sentry_dsn
    if not dsn:
        return False
    sentry_sdk.init(dsn=dsn, release=f"livchat@{__version__}", traces_sample_rate=0.0,
                    data_collection={"user_info": False, "http_bodies": [], "stack_frame_variables": False})
    return True
