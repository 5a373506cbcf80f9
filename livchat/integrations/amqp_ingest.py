"""RabbitMQ client for WuzAPI's event queue (aio-pika, nothing else): connect, consume, settle
each message. What a message means and what to do with it is decided in
`livchat.services.whatsapp.queue_ingest`.

WuzAPI declares its queue (RABBITMQ_QUEUE, our AMQP_QUEUE) durable and without arguments, so it
cannot carry an `x-dead-letter-exchange` (re-declaring it with one fails). Dead letters are
therefore published by us, with publisher confirms, to a durable `<queue>.dead` queue, and the
original is acked only once the broker has them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

from livchat.core.logging import get_logger

log = get_logger("amqp")

DEAD_LETTER_SUFFIX = ".dead"
REASON_HEADER = "x-livchat-dead-letter-reason"


def dead_letter_queue_name(queue: str) -> str:
    return queue + DEAD_LETTER_SUFFIX


@dataclass
class QueuedMessage:
    """One delivery, to be settled exactly once: ack, requeue or dead_letter."""

    body: bytes
    redelivered: bool
    _message: AbstractIncomingMessage
    _consumer: AmqpConsumer

    async def ack(self) -> None:
        await self._message.ack()

    async def requeue(self) -> None:
        await self._message.nack(requeue=True)

    async def dead_letter(self, reason: str) -> None:
        """Park it in the dead-letter queue (with why), then take it off the main queue."""
        await self._consumer.publish_dead_letter(self._message, reason)
        await self._message.ack()


Handler = Callable[[QueuedMessage], Awaitable[None]]


class AmqpConsumer:
    def __init__(self, url: str, queue: str, *, prefetch: int = 16) -> None:
        self.url = url
        self.queue_name = queue
        self.dead_letter_queue = dead_letter_queue_name(queue)
        self.prefetch = prefetch
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None

    async def start(self, handler: Handler) -> None:
        self._connection = await aio_pika.connect_robust(self.url)
        self._channel = await self._connection.channel(publisher_confirms=True)
        await self._channel.set_qos(prefetch_count=self.prefetch)
        await self._channel.declare_queue(self.dead_letter_queue, durable=True)
        self._queue = await self._channel.declare_queue(self.queue_name, durable=True)

        async def deliver(message: AbstractIncomingMessage) -> None:
            await handler(QueuedMessage(message.body, bool(message.redelivered), message, self))

        self._consumer_tag = await self._queue.consume(deliver)
        log.info("consuming WuzAPI events", extra={"queue": self.queue_name, "dead_letters": self.dead_letter_queue})

    async def publish_dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        assert self._channel is not None, "the consumer is not started"
        headers = {**(message.headers or {}), REASON_HEADER: reason[:500], "x-original-queue": self.queue_name}
        await self._channel.default_exchange.publish(
            aio_pika.Message(message.body, headers=headers, content_type=message.content_type,
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=self.dead_letter_queue)

    async def stop(self) -> None:
        """Stop consuming; unacknowledged messages go back to the queue."""
        if self._queue is not None and self._consumer_tag is not None:
            try:
                await self._queue.cancel(self._consumer_tag)
            except Exception:  # the channel may already be gone
                log.warning("could not cancel the AMQP consumer", exc_info=True)
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._channel = self._queue = self._consumer_tag = None
