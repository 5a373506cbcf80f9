"""In-process event bus. Services emit typed domain events; subscribers react.

Two kinds of subscriber:
- transactional ones (`subscribe_in_transaction`) run inside the emitting service's database
  session, before its commit: the webhook outbox writes its delivery rows there, so an event
  and its deliveries are committed together or not at all;
- live ones (`subscribe`) run after the commit (`commit_and_publish`): dashboard feeds, the agent.
A failing live subscriber is logged and never breaks the publisher.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.core.logging import get_logger

log = get_logger("events")


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    id: str = field(default_factory=lambda: new_id("evt"))
    occurred_at: datetime = field(default_factory=utcnow)
    organization_id: str | None = None


E = TypeVar("E", bound=DomainEvent)
# A handler's result is ignored (object: one that returns a count, say, subscribes as well).
Handler = Callable[[Any], Awaitable[object]]
TxHandler = Callable[[AsyncSession, Any], Awaitable[object]]
_PENDING = "livchat_pending_events"


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)
        self._tx_handlers: dict[type[DomainEvent], list[TxHandler]] = defaultdict(list)

    def subscribe_in_transaction(
        self, event_type: type[E], handler: Callable[[AsyncSession, E], Awaitable[object]]
    ) -> Callable[[], None]:
        self._tx_handlers[event_type].append(handler)
        return lambda: self._tx_handlers[event_type].remove(handler)

    async def emit(self, session: AsyncSession, event: DomainEvent) -> None:
        """Run transactional subscribers in `session`; queue the live publish for after commit.

        Errors from transactional subscribers propagate: the caller's transaction must fail.
        """
        for cls in type(event).__mro__:
            for handler in list(self._tx_handlers.get(cls, [])):
                await handler(session, event)
        session.info.setdefault(_PENDING, []).append(event)

    async def commit_and_publish(self, session: AsyncSession) -> None:
        await session.commit()
        pending: list[DomainEvent] = session.info.pop(_PENDING, [])
        for event in pending:
            await self.publish(event)

    def discard_pending(self, session: AsyncSession) -> None:
        """After a rollback: the queued events never happened."""
        session.info.pop(_PENDING, None)

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> Callable[[], None]:
        self._handlers[event_type].append(handler)
        return lambda: self._handlers[event_type].remove(handler)

    async def publish(self, event: DomainEvent) -> None:
        handlers = [h for cls in type(event).__mro__ for h in self._handlers.get(cls, [])]
        if not handlers:
            return
        results = await asyncio.gather(*(h(event) for h in handlers), return_exceptions=True)
        for handler, result in zip(handlers, results, strict=True):
            if isinstance(result, BaseException):
                log.error(
                    "event handler failed",
                    extra={"event": type(event).__name__, "handler": getattr(handler, "__qualname__", str(handler))},
                    exc_info=result,
                )


bus = EventBus()
