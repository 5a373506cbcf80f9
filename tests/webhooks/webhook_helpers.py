"""Shared by the webhook tests (imported by name: `conftest` is ambiguous across test folders)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from livchat.core.db import db
from livchat.core.events import bus
from livchat.models.webhooks import WebhookAttempt, WebhookDelivery
from livchat.models.whatsapp import UsageDaily
from livchat.services.webhooks import endpoints
from livchat.services.webhooks.dispatcher import DispatcherConfig
from livchat.services.webhooks.outbox import RetryPolicy
from livchat.services.whatsapp.events import MessageReceived
from tests.factories import actor_of, make_instance, make_org
from tests.polling import eventually

FAST_RETRY = RetryPolicy(base_delay=0.05, max_delay=0.2, window=timedelta(seconds=30), free_attempts=3)
FAST = DispatcherConfig(concurrency=8, batch_size=50, lease=timedelta(seconds=5), timeout=2.0, poll_interval=0.05,
                        retry=FAST_RETRY)


@dataclass
class Tenant:
    organization_id: str
    instance_id: str


async def make_tenant(plan: str = "starter") -> Tenant:
    async with db.session() as session:
        org_id = await make_org(session, plan=plan)
        instance = make_instance(org_id, name="Main", wuzapi_token="t", hmac_key="k")
        session.add(instance)
        await session.commit()
        return Tenant(org_id, instance.id)


async def emit(tenant: Tenant, *events_data: dict, event_cls=MessageReceived, commit: bool = True) -> list:  # type: ignore[no-untyped-def]
    events = []
    async with db.session() as session:
        for data in events_data:
            extra = {"message_id": data.get("id", "m")} if event_cls is MessageReceived else {}
            event = event_cls(organization_id=tenant.organization_id, instance_id=tenant.instance_id, data=data, **extra)
            await bus.emit(session, event)
            events.append(event)
        if commit:
            await bus.commit_and_publish(session)
        else:
            await session.rollback()
            bus.discard_pending(session)
    return events


async def deliveries(tenant: Tenant) -> list[WebhookDelivery]:
    async with db.session() as session:
        return list(await session.exec(select(WebhookDelivery).where(
            WebhookDelivery.instance_id == tenant.instance_id).order_by(WebhookDelivery.id)))


async def attempts_of(delivery_id: str) -> list[WebhookAttempt]:
    async with db.session() as session:
        return list(await session.exec(select(WebhookAttempt).where(
            WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.attempt)))


async def save(tenant: Tenant, url: str, events: list[str] | None = None) -> dict:  # type: ignore[type-arg]
    async with db.session() as session:
        return (await endpoints.save_endpoint(session, actor_of(tenant.organization_id), tenant.instance_id, url,
                                              events)).wire()


async def wait_status(delivery_id: str, status: str, timeout: float = 10.0) -> WebhookDelivery:
    """Poll the row (bounded) until it reaches `status`: the dispatcher records after the post."""
    async def row() -> WebhookDelivery | None:
        async with db.session() as session:
            return await session.get(WebhookDelivery, delivery_id)

    return await eventually(row, lambda found: found is not None and found.status == status, timeout=timeout,
                            what=f"delivery {delivery_id} {status}")


@dataclass
class FakeDNS:
    """The DNS of a name we control, as a rebinding attacker would: each query takes the next
    answer (the last one repeats). Other names go to the system resolver."""

    monkeypatch: pytest.MonkeyPatch
    answers: dict[str, list[str]]
    queries: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        system = socket.getaddrinfo

        def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # type: ignore[no-untyped-def]
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self.answers:
                return system(host, port, family, type, proto, flags)
            self.queries.append(name)
            answers = self.answers[name]
            address = answers.pop(0) if len(answers) > 1 else answers[0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port or 0)))]

        self.monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@dataclass
class Clock:
    """An injected clock a test moves forward (leases lapse, retries come due, 24 h pass)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


async def usage_of(tenant: Tenant) -> tuple[int, int]:
    """(webhooks_delivered, webhooks_failed) of the tenant's instance, all days together."""
    async with db.session() as session:
        rows = list(await session.exec(select(UsageDaily).where(UsageDaily.instance_id == tenant.instance_id)))
    return sum(r.webhooks_delivered for r in rows), sum(r.webhooks_failed for r in rows)
