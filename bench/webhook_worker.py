"""One app worker's webhook path, for bench/webhooks.py: emits COUNT events at RATE/s (one
transaction each, as ingest does) with its own dispatcher in the same process (the app's lifespan
task), then writes the events' ids and times to OUT and keeps dispatching until SIGTERM.

    python -m bench.webhook_worker DATABASE_URL ORG_ID INSTANCE_ID FIRST COUNT RATE OUT
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path


async def main(url: str, org_id: str, instance_id: str, first: int, count: int, rate: float, out: str) -> None:
    from bench.webhooks import _event
    from livchat.core.db import db
    from livchat.core.events import bus
    from livchat.services.webhooks import outbox
    from livchat.services.webhooks.dispatcher import Dispatcher, DispatcherConfig

    db.configure(url)
    outbox.install()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    dispatcher = asyncio.create_task(Dispatcher(DispatcherConfig()).run(stop))
    emitted = []
    t0 = time.perf_counter()
    for n in range(count):
        await asyncio.sleep(max(0.0, t0 + n / rate - time.perf_counter()))  # pacing the load, not syncing
        event = _event(org_id, instance_id, first + n)
        async with db.session() as session:
            await bus.emit(session, event)
            await bus.commit_and_publish(session)
        emitted.append({"id": event.id, "at": event.occurred_at.timestamp()})
    seconds = time.perf_counter() - t0
    Path(out).write_text(json.dumps({"events": emitted, "seconds": seconds}))
    await dispatcher
    await db.dispose()


if __name__ == "__main__":
    url, org, instance, first, count, rate, out = sys.argv[1:8]
    asyncio.run(main(url, org, instance, int(first), int(count), float(rate), out))
