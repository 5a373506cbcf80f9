"""The worker threads of the knowledge base, so its CPU-bound and blocking work never runs on the
event loop: file parsing and file I/O, embedding (numpy releases the GIL in its matrix products;
a file's batches and a search's question on separate threads) and LanceDB writes (a synchronous
API over Rust). Small pools: the machine has few cores and the loop needs one."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

EXTRACT = ThreadPoolExecutor(max_workers=2, thread_name_prefix="knowledge-extract")
EMBED = ThreadPoolExecutor(max_workers=1, thread_name_prefix="knowledge-embed")  # files' batches
QUERY = ThreadPoolExecutor(max_workers=1, thread_name_prefix="knowledge-query")  # a question never queues behind them
LANCE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="knowledge-lance")


async def run_in(pool: ThreadPoolExecutor, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(pool, call)
