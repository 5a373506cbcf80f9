"""Runs a dispatcher in its own process against DATABASE_URL, with fast retries
(3 s lease) so the kill -9 test can kill it mid-batch and start another. Usage: python dispatcher_process.py"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from livchat.services.webhooks.dispatcher import DispatcherConfig, run_dispatcher
from livchat.services.webhooks.outbox import RetryPolicy

CONFIG = DispatcherConfig(concurrency=8, batch_size=50, lease=timedelta(seconds=3), timeout=1.0, poll_interval=0.05,
                          retry=RetryPolicy(base_delay=0.05, max_delay=0.2))

if __name__ == "__main__":
    asyncio.run(run_dispatcher(config=CONFIG))
