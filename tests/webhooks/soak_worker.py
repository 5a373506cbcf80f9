"""One app process's webhook path for the kill -9 soak (test_kill9_soak.py): emits COUNT events,
one transaction each as ingest does, appending each committed event id to PROGRESS (so the test
knows what was accepted before it kills us), with its own dispatcher running meanwhile and after,
until SIGTERM or SIGKILL. Short retry delays and lease, so a run fits in seconds.

    python -m tests.webhooks.soak_worker DATABASE_URL ORG_ID INSTANCE_ID FIRST COUNT RATE PROGRESS
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from datetime import timedelta


async def main(url: str, org_id: str, instance_id: str, first: int, count: int, rate: float, progress: str) -> None:
    from livchat.core.db import db
    from livchat.core.events import bus
    from livchat.services.webhooks import outbox
    from livchat.services.webhooks.dispatcher import Dispatcher, DispatcherConfig
    from livchat.services.webhooks.outbox import RetryPolicy
    from livchat.services.whatsapp.events import MessageReceived

    db.configure(url)
    outbox.install()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    config = DispatcherConfig(timeout=1.0, lease=timedelta(seconds=2), poll_interval=0.1,
                              retry=RetryPolicy(base_delay=0.2, max_delay=1.0))
    dispatcher = asyncio.create_task(Dispatcher(config).run(stop))
    started = time.perf_counter()
    with open(progress, "a", encoding="utf-8") as accepted:
        for n in range(first, first + count):
            await asyncio.sleep(max(0.0, started + (n - first) / rate - time.perf_counter()))  # pacing, not syncing
            event = MessageReceived(organization_id=org_id, instance_id=instance_id, message_id=f"m{n}",
                                    data={"id": f"wamid.{n}", "from": "5511912345678", "type": "text", "text": f"n{n}"})
            async with db.session() as session:
                await bus.emit(session, event)
                await bus.commit_and_publish(session)
            accepted.write(event.id + "\n")
            accepted.flush()
    await dispatcher
    await db.dispose()


if __name__ == "__main__":
    url, org, instance, first, count, rate, progress = sys.argv[1:8]
    asyncio.run(main(url, org, instance, int(first), int(count), float(rate), progress))
