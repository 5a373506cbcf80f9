"""The durable webhook outbox: one `WebhookDelivery` row per event and subscribed endpoint,
written in the emitting service's transaction, so an event and its deliveries commit together
or not at all. After the commit, a live subscriber nudges the dispatcher so the row goes out
within milliseconds instead of at the next poll.

`install()` registers both subscribers (the app's start-up calls it; importing does nothing).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import table_of
from livchat.core.events import EventBus, bus
from livchat.core.ids import new_id
from livchat.models.accounts import Organization
from livchat.models.enums import DeliveryStatus, Plan
from livchat.models.webhooks import WebhookDelivery, WebhookEndpoint
from livchat.services.schemas import rfc3339_ms
from livchat.services.usage import counters
from livchat.services.whatsapp.events import WhatsAppEvent

# Why a delivery row is `failed` (its `failure_reason`); the attempt log tells what each post got.
ENDPOINT_PAUSED = "endpoint_paused"  # the endpoint was paused or inactive: nothing was posted
ATTEMPTS_EXHAUSTED = "attempts_exhausted"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n+1 waits min(base·2ⁿ⁻¹, cap)·U(0.5, 1) seconds.
    Paid plans get as many attempts as fit in `window` (without jitter, so jitter only shortens
    it); the free plan gets `free_attempts` in total."""

    base_delay: float = 5.0
    max_delay: float = 3600.0
    window: timedelta = timedelta(hours=24)
    free_attempts: int = 3

    def attempts_for(self, plan: str) -> int:
        if plan == Plan.FREE:
            return self.free_attempts
        attempts, elapsed = 1, 0.0
        while True:
            elapsed += self.full_delay(attempts)
            if elapsed > self.window.total_seconds():
                return attempts
            attempts += 1

    def full_delay(self, attempts_made: int) -> float:
        return min(self.base_delay * 2.0 ** (attempts_made - 1), self.max_delay)


DEFAULT_RETRY_POLICY = RetryPolicy()


def event_payload(event_id: str, event_type: str, instance_id: str, occurred_at: datetime,
                  data: dict[str, Any]) -> str:
    """The body every endpoint receives, serialized once and stored as sent (signatures cover it);
    documented as whatsapp/schemas.py's MessageEvent and InstanceEvent."""
    return json.dumps({"id": event_id, "type": event_type, "instanceId": instance_id,
                       "timestamp": rfc3339_ms(occurred_at), "data": data}, separators=(",", ":"))


def new_delivery(*, organization_id: str, endpoint_id: str, instance_id: str, event_id: str, event_type: str,
                 payload: str, max_attempts: int, now: datetime) -> dict[str, Any]:
    """The column values of a fresh, due delivery row."""
    return {"id": new_id("dlv"), "organization_id": organization_id, "endpoint_id": endpoint_id,
            "instance_id": instance_id, "event_id": event_id, "event_type": event_type, "payload": payload,
            "status": DeliveryStatus.PENDING, "attempts": 0, "max_attempts": max_attempts, "next_attempt_at": now,
            "created_at": now, "updated_at": now}


_INSERT_DELIVERY = insert(table_of(WebhookDelivery))


async def add_delivery(session: AsyncSession, values: dict[str, Any]) -> None:
    # A prebuilt Core insert: this runs once per event, the ORM unit of work would double its cost.
    await session.exec(_INSERT_DELIVERY, params=values)


# Built once (each event runs it): the instance's endpoint and the plan its retries follow.
_ENDPOINTS, _ORGANIZATIONS = table_of(WebhookEndpoint), table_of(Organization)
_ENDPOINT_OF_INSTANCE = (  # the tables' own columns: a Core query, no ORM layer per event
    # sqlmodel types select() for up to 4 columns: hence the ignore
    select(_ENDPOINTS.c.id, _ENDPOINTS.c.events, _ENDPOINTS.c.active, _ENDPOINTS.c.paused_at,  # type: ignore[call-overload]
           _ORGANIZATIONS.c.plan)
    .join(_ORGANIZATIONS, _ORGANIZATIONS.c.id == _ENDPOINTS.c.organization_id)
    .where(_ENDPOINTS.c.instance_id == bindparam("instance_id"),
           _ENDPOINTS.c.organization_id == bindparam("organization_id")))


async def write_deliveries(session: AsyncSession, event: WhatsAppEvent,
                           policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> int:
    """The transactional subscriber: inserts the delivery row in `session` (the caller commits).
    An event for a paused endpoint is written `failed` (endpoint_paused) and counted, so it shows
    in the log and can be redelivered once the endpoint is resumed."""
    if event.organization_id is None or not event.webhook_type:
        return 0  # anonymous test-panel instances have no webhooks
    row = (await session.exec(_ENDPOINT_OF_INSTANCE, params={
        "instance_id": event.instance_id, "organization_id": event.organization_id})).first()
    if row is None or event.webhook_type not in row[1]:
        return 0
    endpoint_id, _, active, paused_at, plan = row
    payload = event_payload(event.id, event.webhook_type, event.instance_id, event.occurred_at, event.data)
    values = new_delivery(
        organization_id=event.organization_id, endpoint_id=endpoint_id, instance_id=event.instance_id,
        event_id=event.id, event_type=event.webhook_type, payload=payload,
        max_attempts=policy.attempts_for(plan), now=event.occurred_at)
    if paused_at is not None or not active:
        values.update(status=DeliveryStatus.FAILED, next_attempt_at=None, failure_reason=ENDPOINT_PAUSED)
        await counters.increment(session, event.organization_id, event.instance_id, webhooks_failed=1)
    await add_delivery(session, values)
    return 1


# --- waking the dispatcher --------------------------------------------------------------------

_wakeups: set[asyncio.Event] = set()


def register_wakeup(event: asyncio.Event) -> Callable[[], None]:
    """A dispatcher in this process waits on `event`; `nudge()` sets it."""
    _wakeups.add(event)
    return lambda: _wakeups.discard(event)


def nudge() -> None:
    for waiter in list(_wakeups):
        waiter.set()


async def _nudge_after_commit(event: WhatsAppEvent) -> None:
    if event.organization_id is not None:
        nudge()


_installed: dict[int, Callable[[], None]] = {}


def install(event_bus: EventBus = bus) -> Callable[[], None]:
    """Subscribe the outbox writer and the dispatcher nudge; idempotent. Returns an uninstaller."""
    key = id(event_bus)
    if key not in _installed:
        remove_writer = event_bus.subscribe_in_transaction(WhatsAppEvent, write_deliveries)
        remove_nudge = event_bus.subscribe(WhatsAppEvent, _nudge_after_commit)

        def uninstall() -> None:
            remove_writer()
            remove_nudge()
            _installed.pop(key, None)

        _installed[key] = uninstall
    return _installed[key]
