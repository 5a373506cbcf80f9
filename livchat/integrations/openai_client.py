"""The OpenAI SDK client (or any OpenAI-compatible server's, via OPENAI_BASE_URL), configured from
the settings: one per key, base URL and event loop.

openai 3.x speaks through `httpx2` (not httpx): mocks of httpx do not see its requests, so tests
use a real local server (tests/fakes/openai_server.py). Only the Chat Completions and Embeddings
APIs are used, which every compatible server implements (not the Responses API).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from livchat.core.settings import get_settings

if TYPE_CHECKING:
    from openai import AsyncOpenAI

DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_RETRIES = 2  # the SDK's own retries, with backoff, on connection errors, 408, 409, 429 and 5xx

_clients: dict[tuple[str, str, int], AsyncOpenAI] = {}


def configured() -> bool:
    return bool(get_settings().openai_api_key)


def client() -> AsyncOpenAI:
    """The client for the current settings, bound to the running event loop (its connection pool is)."""
    settings = get_settings()
    if not settings.openai_api_key:
        raise RuntimeError("OPENAI_API_KEY is not set")
    key = (settings.openai_api_key, settings.openai_base_url, id(asyncio.get_running_loop()))
    found = _clients.get(key)
    if found is None:
        from openai import (
            AsyncOpenAI,  # a third of a second to import: when first needed
        )

        found = _clients[key] = AsyncOpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url or None,
                                            timeout=DEFAULT_TIMEOUT_SECONDS, max_retries=MAX_RETRIES)
    return found
