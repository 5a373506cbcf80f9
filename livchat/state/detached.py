"""Feed pushes run in tasks of their own, never inside the task that published the event.

A tab linked to a shared state (OrgFeed, InboxFeed, ConversationFeed, PanelFeed) holds that
shared state's lock while any of its events runs. When such an event calls a service that
publishes on the bus, a subscriber doing `app.modify_state` on the same shared token inline would
wait for a lock its own caller holds: the tab freezes. Detached, the push waits until the event
ends, then applies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from livchat.core.logging import get_logger

log = get_logger("feeds")
_pending: set[asyncio.Task[None]] = set()


def detach(push: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(push)
    _pending.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Task[None]) -> None:
    _pending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("feed push failed", exc_info=task.exception())


async def drain() -> None:
    """Wait for every push started so far (and those they start): tests, and shutdown."""
    while _pending:
        await asyncio.gather(*list(_pending), return_exceptions=True)
