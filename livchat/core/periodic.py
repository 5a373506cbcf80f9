"""Housekeeping that runs now and then beside the app (a lifespan task per worker)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from livchat.core.logging import get_logger

log = get_logger("periodic")


async def run_every(name: str, work: Callable[[], Awaitable[object]], every_seconds: float,
                    stop: asyncio.Event, *, first_after: float = 0.0) -> None:
    """`work()` after `first_after` seconds, then every `every_seconds` until `stop` is set. A
    failure (the database or WuzAPI briefly away) is logged and tried again next round."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), first_after)
    while not stop.is_set():
        try:
            await work()
        except Exception:
            log.exception("periodic task failed; trying again next round", extra={"task": name})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)


@contextlib.asynccontextmanager
async def periodic_lifespan(name: str, work: Callable[[], Awaitable[object]], every_seconds: float, *,
                            first_after: float = 0.0) -> AsyncIterator[None]:
    """For `app.register_lifespan_task`: `work` runs periodically while the app is up (in each
    worker; the tasks using this are harmless when two workers run them at once)."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_every(name, work, every_seconds, stop, first_after=first_after), name=name)
    try:
        yield
    finally:
        stop.set()
        await task
