"""A receiver that is down, then slow, then back; an endpoint paused after 24 h of failures."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import select
from webhook_helpers import (
    FAST,
    Clock,
    Tenant,
    deliveries,
    emit,
    save,
    usage_of,
    wait_status,
)

from bench.webhook_receiver import Receiver
from livchat.core.db import db, utcnow
from livchat.core.events import bus
from livchat.core.ids import new_id
from livchat.models.accounts import Membership, User
from livchat.models.system import EmailOutbox, Notification
from livchat.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from livchat.services.notifications.notices import NotificationCreated
from livchat.services.webhooks.dispatcher import Dispatcher
from tests.polling import eventually

pytestmark = pytest.mark.usefixtures("allow_private_webhooks")


async def attempts(delivery_id: str) -> list[WebhookAttempt]:
    async with db.session() as session:
        return list(await session.exec(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                                       .order_by(WebhookAttempt.attempt)))


async def wait_attempts(delivery_id: str, condition, timeout: float = 15.0) -> list[WebhookAttempt]:  # type: ignore[no-untyped-def]
    return await eventually(lambda: attempts(delivery_id), condition, timeout=timeout, what="the attempts")


async def test_receiver_down_then_slow_then_back(tenant: Tenant, outbox: None) -> None:
    receiver = Receiver()  # not started: connections are refused
    await save(tenant, receiver.url)
    config = dataclasses.replace(FAST, timeout=0.3)
    worker = Dispatcher(config)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        [event] = await emit(tenant, {"id": "dsb"})
        [row] = await deliveries(tenant)
        down = await wait_attempts(row.id, lambda found: len(found) >= 2)
        assert all(a.response_status is None and "ConnectError" in (a.error or "") for a in down)

        receiver.delay = 2.0  # slower than the 0.3 s timeout
        await receiver.start()
        slow = await wait_attempts(row.id, lambda found: any("timed out" in (a.error or "") for a in found))
        assert slow[-1].error == "timed out after 0.3 s" and slow[-1].latency_ms >= 300

        receiver.delay = 0.0
        delivered = await wait_status(row.id, "delivered")
        log = await attempts(row.id)
        assert log[-1].response_status == 200 and delivered.attempts == len(log)
        assert set(receiver.ids()) == {event.id}
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await receiver.stop()


async def _person(tenant: Tenant, role: str, locale: str = "en") -> str:
    email = f"{new_id('u')}@example.com"
    async with db.session() as session:
        user = User(id=new_id("usr"), email=email, locale=locale)
        session.add(user)
        await session.flush()
        session.add(Membership(id=new_id("mem"), organization_id=tenant.organization_id, user_id=user.id, role=role))
        await session.commit()
    return email


async def test_endpoint_failing_for_24_hours_is_paused_and_the_organization_told(
        tenant: Tenant, receiver: Receiver, outbox: None) -> None:
    owner = await _person(tenant, "owner")
    admin = await _person(tenant, "admin", locale="pt-BR")
    await _person(tenant, "member")
    await save(tenant, receiver.url)
    receiver.status = 500
    clock = Clock(utcnow() + timedelta(seconds=1))
    worker = Dispatcher(FAST, clock=clock)

    await emit(tenant, {"id": "a"})
    assert await worker.run_once() == 1
    async with db.session() as session:
        endpoint = (await session.exec(select(WebhookEndpoint))).one()
        assert endpoint.failing_since == clock.now and endpoint.paused_at is None

    clock.now += timedelta(hours=23, minutes=59)  # still failing, not yet 24 h
    assert await worker.run_once() == 1
    async with db.session() as session:
        assert (await session.exec(select(WebhookEndpoint))).one().paused_at is None

    clock.now += timedelta(minutes=1)  # 24 h of continuous failure
    await emit(tenant, {"id": "b"})
    announced: list[NotificationCreated] = []

    async def on_notice(event: NotificationCreated) -> None:
        announced.append(event)

    unsubscribe = bus.subscribe(NotificationCreated, on_notice)
    try:
        assert await worker.run_once() == 2
    finally:
        unsubscribe()
    assert [(e.organization_id, e.kind) for e in announced] == [(tenant.organization_id, "webhook_paused")]  # live to dashboards
    async with db.session() as session:
        endpoint = (await session.exec(select(WebhookEndpoint))).one()
        assert endpoint.paused_at == clock.now
        notice = (await session.exec(select(Notification))).one()
        emails = list(await session.exec(select(EmailOutbox).order_by(EmailOutbox.to_email)))
        rows = list(await session.exec(select(WebhookDelivery)))
    assert notice.kind == "webhook_paused" and receiver.url in notice.body
    assert sorted((e.to_email, e.subject) for e in emails) == sorted([
        (owner, "Your LivChat webhook was paused"), (admin, "Seu webhook do LivChat foi pausado")])
    # Visibly failed (can be redelivered once resumed) and counted as failed deliveries.
    assert {(r.status, r.failure_reason) for r in rows} == {("failed", "endpoint_paused")}
    assert await usage_of(tenant) == (0, 2)
    assert await worker.run_once() == 0  # nothing more goes to a paused endpoint
    await worker.aclose()


async def test_a_success_clears_the_failure_streak(tenant: Tenant, receiver: Receiver, outbox: None) -> None:
    await save(tenant, receiver.url)
    clock = Clock(utcnow() + timedelta(seconds=1))
    worker = Dispatcher(FAST, clock=clock)
    receiver.status = 500
    await emit(tenant, {"id": "a"})
    await worker.run_once()
    receiver.status = 200
    clock.now += timedelta(hours=25)
    await worker.run_once()
    async with db.session() as session:
        endpoint = (await session.exec(select(WebhookEndpoint))).one()
    assert endpoint.failing_since is None and endpoint.paused_at is None
    await worker.aclose()
