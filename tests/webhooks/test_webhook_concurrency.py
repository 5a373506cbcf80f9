"""Two dispatchers on one database at the same time: disjoint claims, no deadlock."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from webhook_helpers import FAST, Tenant, emit, make_tenant, save, usage_of

from bench.webhook_receiver import Receiver
from livchat.core.db import async_url, db
from livchat.models.webhooks import WebhookAttempt, WebhookDelivery
from livchat.services.webhooks.dispatcher import Dispatcher

EVENTS = 300
ROUNDS = 10


async def test_two_dispatchers_at_once_claim_disjoint_rows_each_event_delivered_exactly_once(
        tenant: Tenant, receiver: Receiver, outbox: None, allow_private_webhooks: None) -> None:
    """Both claim in the same instant (`FOR UPDATE SKIP LOCKED` on PostgreSQL): each skips what
    the other holds, so every event goes out once and none is left behind. The post deadline and
    the lease are generous: on a loaded machine a post that timed out would be retried (a second
    claim, rightly), which is not what this test is about."""
    await save(tenant, receiver.url)
    events = await emit(tenant, *({"n": n} for n in range(EVENTS)))
    config = dataclasses.replace(FAST, batch_size=25, timeout=30.0, lease=timedelta(seconds=120))
    first, second = Dispatcher(config), Dispatcher(config)
    handled = Counter[str]()
    claimed_by = Counter[str]()
    for _ in range(2 * EVENTS // config.batch_size):  # bounded: more rounds than needed
        a, b = await asyncio.gather(first.claim(config.batch_size), second.claim(config.batch_size))
        ours, theirs = {c.id for c, _ in a}, {c.id for c, _ in b}
        assert not ours & theirs, f"claimed by both in one round: {sorted(ours & theirs)}"
        claimed_by.update(ours | theirs)
        handled.update(first=len(a), second=len(b))
        if not a and not b:
            break
        outcomes = await asyncio.gather(first.deliver(a), second.deliver(b))
        assert all(o.ok for batch in outcomes for o in batch), [o.error for batch in outcomes for o in batch if not o.ok]
        await asyncio.gather(first.record(outcomes[0]), second.record(outcomes[1]))
    await first.aclose()
    await second.aclose()

    assert handled["first"] > 0 and handled["second"] > 0  # both really took part
    assert [d for d, n in claimed_by.items() if n > 1] == []  # no row claimed again in a later round
    assert handled["first"] + handled["second"] == EVENTS
    assert sorted(receiver.ids()) == sorted(e.id for e in events)  # each exactly once
    async with db.session() as session:
        delivered = (await session.exec(select(func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.status == "delivered", WebhookDelivery.attempts == 1))).one()
        attempts = (await session.exec(select(func.count()).select_from(WebhookAttempt))).one()
    assert delivered == attempts == EVENTS
    assert await usage_of(tenant) == (EVENTS, 0)


async def test_two_dispatchers_recording_the_same_instances_in_opposite_order_do_not_deadlock(
        tenant: Tenant, receiver: Receiver, outbox: None, allow_private_webhooks: None) -> None:
    """Each records outcomes of both instances: usage and endpoint rows are written in one sorted
    order, so the two transactions never wait on each other in a circle (PostgreSQL would abort
    one). Whether two transactions interleave that way is a matter of timing: several rounds."""
    other = await make_tenant()
    await save(tenant, receiver.url)
    await save(other, receiver.url)
    config = dataclasses.replace(FAST, batch_size=2)
    first, second = Dispatcher(config), Dispatcher(config)
    order = [tenant.instance_id, other.instance_id]
    for _ in range(ROUNDS):
        for who in (tenant, other, other, tenant):
            await emit(who, {"for": who.instance_id})
        first_batch, second_batch = await first.claim(2), await second.claim(2)
        # Posts finish in any order, so outcomes come to record() in any order: here, opposite ones.
        first_batch.sort(key=lambda work: order.index(work[0].instance_id))
        second_batch.sort(key=lambda work: order.index(work[0].instance_id), reverse=True)
        assert [c.instance_id for c, _ in first_batch] == order == [c.instance_id for c, _ in second_batch][::-1]
        outcomes = await asyncio.gather(first.deliver(first_batch), second.deliver(second_batch))
        await asyncio.wait_for(asyncio.gather(first.record(outcomes[0]), second.record(outcomes[1])), 30)
    await first.aclose()
    await second.aclose()
    assert await usage_of(tenant) == (2 * ROUNDS, 0) and await usage_of(other) == (2 * ROUNDS, 0)


async def test_a_claim_takes_at_most_its_limit_whatever_plan_the_database_picks(
        tenant: Tenant, receiver: Receiver, outbox: None, allow_private_webhooks: None) -> None:
    """On PostgreSQL the planner is pushed onto nested loops (as it may choose on a fresh table's
    statistics): a subquery re-run per updated row would lease every due row in one claim."""
    await save(tenant, receiver.url)
    await emit(tenant, *({"n": n} for n in range(10)))
    engine = create_async_engine(async_url(db.url), poolclass=NullPool)
    if not db.is_sqlite:
        @event.listens_for(engine.sync_engine, "connect")
        def nested_loops_only(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            for setting in ("enable_hashjoin", "enable_mergejoin", "enable_hashagg", "enable_material", "enable_sort"):
                cursor.execute(f"SET {setting} = off")
            cursor.close()
    claimer = Dispatcher(FAST, sessionmaker=async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False))
    try:
        assert len(await claimer.claim(2)) == 2
        assert len(await claimer.claim(3)) == 3
        assert len(await claimer.claim(50)) == 5  # what is left
    finally:
        await claimer.aclose()
        await engine.dispose()
