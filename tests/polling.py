"""The one way a test waits for something it cannot be told about (another process, the
dispatcher, a background task): poll a condition, bounded by a deadline — never a bare sleep.

    row = await eventually(lambda: fetch_row(row_id), lambda row: row.status == "delivered")
    eventually_sync(lambda: httpx.get(url).status_code == 200, ignoring=(httpx.TransportError,))

`probe` is called until `done(result)` holds (by default: the result is truthy), and that result is
returned; exceptions in `ignoring` count as "not yet". Past `timeout` seconds it fails the test,
saying what it waited for.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

TIMEOUT = 10.0
EVERY = 0.02
_NOTHING: Any = object()


async def eventually(probe: Callable[[], Awaitable[T] | T], done: Callable[[T], bool] = bool, *,
                     timeout: float = TIMEOUT, every: float = EVERY, what: str = "",
                     ignoring: tuple[type[BaseException], ...] = ()) -> T:
    """Await (or call) `probe` until `done(result)`; the result. AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = _NOTHING
        try:
            result = probe()
            if inspect.isawaitable(result):
                result = await result
        except ignoring:
            result = _NOTHING
        if result is not _NOTHING and done(result):
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(_give_up(what, timeout, result))
        await asyncio.sleep(every)  # polling a condition, bounded by the deadline


def eventually_sync(probe: Callable[[], T], done: Callable[[T], bool] = bool, *, timeout: float = TIMEOUT,
                    every: float = EVERY, what: str = "", ignoring: tuple[type[BaseException], ...] = ()) -> T:
    """`eventually` for code outside an event loop (another process, a browser driven synchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        result = _NOTHING
        try:
            result = probe()
        except ignoring:
            result = _NOTHING
        if result is not _NOTHING and done(result):
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(_give_up(what, timeout, result))
        time.sleep(every)  # polling a condition, bounded by the deadline


def _give_up(what: str, timeout: float, last: Any) -> str:
    seen = "an ignored error" if last is _NOTHING else repr(last)[:300]
    return f"{what or 'the condition'} did not happen within {timeout:g} s (last seen: {seen})"
