"""WuzAPI events from RabbitMQ (when AMQP_URL is set), through the same ingest as webhooks.

WuzAPI publishes each event to a durable queue (AMQP_QUEUE, WuzAPI's RABBITMQ_QUEUE) as the
inner JSON plus `userID` and `instanceName`; `userID` is the instance's `wuzapi_user_id`.

Acknowledgement rules:
- ack only after the event is committed (or recognised as a duplicate);
- a message that cannot be parsed, or names no instance we know, is poison: rejected without
  requeue and logged (redelivering it would fail the same way forever);
- any other failure (database down, disk full, …) is nacked with requeue: it comes back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection

from livchat.core.db import db
from livchat.core.logging import get_logger
from livchat.core.settings import get_settings
from livchat.services import ingest
from livchat.services.errors import MalformedEvent
from livchat.services.instances import find_by_wuzapi_user

log = get_logger("amqp_ingest")


class UnknownInstance(Exception):
    """The event's userID matches no instance."""


@dataclass
class IngestStats:
    acked: int = 0
    requeued: int = 0
    rejected: int = 0


async def process_queue_message(body: bytes) -> ingest.IngestResult:
    """Store one queued event. MalformedEvent / UnknownInstance mean poison; anything else, retry."""
    event = ingest.parse_queue_message(body)
    async with db.session() as session:
        instance = await find_by_wuzapi_user(session, event.user_id)
        if instance is None:
            raise UnknownInstance(f"no instance for WuzAPI user {event.user_id!r}")
        return await ingest.ingest(session, instance, event)


class AmqpIngest:
    def __init__(self, url: str, queue: str, *, prefetch: int = 16, retry_delay: float = 1.0) -> None:
        self.url = url
        self.retry_delay = retry_delay  # before requeueing a message that already failed once
        self.queue_name = queue
        self.prefetch = prefetch
        self.stats = IngestStats()
        self._connection: AbstractRobustConnection | None = None
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        self._changed = asyncio.Condition()

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self.url)
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=self.prefetch)
        self._queue = await channel.declare_queue(self.queue_name, durable=True)
        self._consumer_tag = await self._queue.consume(self._on_message)
        log.info("consuming WuzAPI events", extra={"queue": self.queue_name})

    async def stop(self) -> None:
        """Stop consuming; unacknowledged messages go back to the queue."""
        if self._queue is not None and self._consumer_tag is not None:
            try:
                await self._queue.cancel(self._consumer_tag)
            except Exception:  # the channel may already be gone
                log.warning("could not cancel the AMQP consumer", exc_info=True)
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._queue = self._consumer_tag = None

    async def wait_until(self, done: Callable[[IngestStats], bool], timeout: float = 10.0) -> IngestStats:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: done(self.stats)), timeout)
        return self.stats

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            await process_queue_message(message.body)
        except (MalformedEvent, UnknownInstance) as exc:
            log.error("rejected a WuzAPI event from the queue",
                      extra={"queue": self.queue_name, "reason": str(exc), "size": len(message.body)})
            await message.reject(requeue=False)
            await self._count("rejected")
        except Exception:
            log.exception("storing a queued WuzAPI event failed; requeued", extra={"queue": self.queue_name})
            if message.redelivered:  # failing again: do not spin on it
                await asyncio.sleep(self.retry_delay)
            await message.nack(requeue=True)
            await self._count("requeued")
        else:
            await message.ack()
            await self._count("acked")

    async def _count(self, outcome: str) -> None:
        async with self._changed:
            setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
            self._changed.notify_all()


_running: AmqpIngest | None = None


async def start_amqp_ingest(url: str | None = None, queue: str | None = None) -> AmqpIngest | None:
    """Start the process's consumer from settings (AMQP_URL, AMQP_QUEUE); None when AMQP is off."""
    global _running
    settings = get_settings()
    url = url or settings.amqp_url
    if not url:
        return None
    if _running is None:
        consumer = AmqpIngest(url, queue or settings.amqp_queue)
        await consumer.start()
        _running = consumer
    return _running


async def stop_amqp_ingest() -> None:
    global _running
    if _running is not None:
        consumer, _running = _running, None
        await consumer.stop()


@asynccontextmanager
async def amqp_lifespan() -> AsyncIterator[None]:
    """Reflex lifespan task: `app.register_lifespan_task(amqp_lifespan)`. No-op without AMQP_URL."""
    await start_amqp_ingest()
    try:
        yield
    finally:
        await stop_amqp_ingest()
