"""WuzAPI events from RabbitMQ (when AMQP_URL is set), through the same ingest as webhooks.

WuzAPI publishes each event to a durable queue (AMQP_QUEUE, WuzAPI's RABBITMQ_QUEUE) as the
inner JSON plus `userID` and `instanceName`; `userID` is the instance's `wuzapi_user_id`.

Up to `prefetch` messages are in flight, but one instance's events are applied one at a time,
in delivery order (a lock per userID, taken before the handler first awaits): a receipt never
overtakes the message it is about, a Disconnected never overtakes the Connected before it.

Settling each message:
- ack only after the event is committed (or recognised as a duplicate);
- poison — a message that cannot be parsed, or names no instance we know — goes to the
  dead-letter queue `<queue>.dead` with its reason (redelivering it would fail the same way forever);
- any other failure (database down, WuzAPI unreachable while confirming a status, …) is
  requeued: it comes back (after `retry_delay` if it had failed before).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from livchat.core.db import db
from livchat.core.logging import get_logger
from livchat.core.settings import get_settings
from livchat.integrations.amqp_ingest import AmqpConsumer, QueuedMessage
from livchat.services.errors import MalformedEvent
from livchat.services.whatsapp import ingest

log = get_logger("queue_ingest")


class UnknownInstance(Exception):
    """The event's userID matches no instance."""


@dataclass
class IngestStats:
    acked: int = 0
    retried: int = 0  # tries again in place, before any requeue
    requeued: int = 0
    dead_lettered: int = 0


async def store_event(event: ingest.WuzapiEvent) -> ingest.IngestResult:
    """Store one parsed queued event. UnknownInstance is poison; anything else raised, retry."""
    async with db.session(short=True) as session:
        instance = await ingest.find_instance_ref_by_user(session, event.user_id)
        if instance is None:
            raise UnknownInstance(f"no instance for WuzAPI user {event.user_id!r}")
        return await ingest.ingest(session, instance, event)


class _KeyedLocks:
    """One asyncio.Lock per key while anyone holds or waits for it (then forgotten)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:  # FIFO: waiters get it in the order they asked
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


IN_PLACE_ATTEMPTS = 3  # tries of one event, in order, before it goes back to the queue


class QueueIngest:
    def __init__(self, consumer: AmqpConsumer, *, retry_delay: float = 1.0) -> None:
        self.consumer = consumer
        self.retry_delay = retry_delay  # first wait between in-place tries (then doubling)
        self.stats = IngestStats()
        self._per_instance = _KeyedLocks()
        self._changed = asyncio.Condition()

    async def start(self) -> None:
        await self.consumer.start(self._on_message)

    async def stop(self) -> None:
        await self.consumer.stop()

    async def wait_until(self, done: Callable[[IngestStats], bool], timeout: float = 10.0) -> IngestStats:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: done(self.stats)), timeout)
        return self.stats

    async def _on_message(self, message: QueuedMessage) -> None:
        # Parsing is synchronous, so the lock below is asked for in delivery order.
        try:
            event = ingest.parse_queue_message(message.body)
        except MalformedEvent as exc:
            await self._dead_letter(message, str(exc))
            return
        async with self._per_instance.hold(event.user_id):
            # Retried here first, holding the instance's turn: a requeued event would come back
            # behind that instance's later ones (a receipt before its message).
            for attempt in range(IN_PLACE_ATTEMPTS):
                try:
                    await store_event(event)
                except UnknownInstance as exc:
                    await self._dead_letter(message, str(exc))
                    return
                except Exception:
                    if attempt + 1 < IN_PLACE_ATTEMPTS:
                        await self._count("retried")
                        await asyncio.sleep(self.retry_delay * 2**attempt)
                        continue
                    log.exception("storing a queued WuzAPI event failed; requeued",
                                  extra={"queue": self.consumer.queue_name})
                    await message.requeue()
                    await self._count("requeued")
                    return
                break
            await message.ack()
            await self._count("acked")

    async def _dead_letter(self, message: QueuedMessage, reason: str) -> None:
        log.error("dead-lettered a WuzAPI event from the queue",
                  extra={"queue": self.consumer.queue_name, "reason": reason, "size": len(message.body)})
        await message.dead_letter(reason)
        await self._count("dead_lettered")

    async def _count(self, outcome: str) -> None:
        async with self._changed:
            setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
            self._changed.notify_all()


_running: QueueIngest | None = None


async def start_queue_ingest(url: str | None = None, queue: str | None = None) -> QueueIngest | None:
    """Start the process's consumer from settings (AMQP_URL, AMQP_QUEUE); None when AMQP is off."""
    global _running
    settings = get_settings()
    url = url or settings.amqp_url
    if not url:
        return None
    if _running is None:
        consumer = QueueIngest(AmqpConsumer(url, queue or settings.amqp_queue))
        await consumer.start()
        _running = consumer
    return _running


async def stop_queue_ingest() -> None:
    global _running
    if _running is not None:
        consumer, _running = _running, None
        await consumer.stop()


@asynccontextmanager
async def queue_ingest_lifespan() -> AsyncIterator[None]:
    """Reflex lifespan task: `app.register_lifespan_task(queue_ingest_lifespan)`. No-op without AMQP_URL."""
    await start_queue_ingest()
    try:
        yield
    finally:
        await stop_queue_ingest()
