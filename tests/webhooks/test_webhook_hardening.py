"""The dispatcher against hostile or unlucky conditions: DNS rebinding, a receiver that dribbles,
a lease that lapsed, a redelivery of a row in flight, an endpoint that is paused."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select
from webhook_helpers import (
    FAST,
    Clock,
    FakeDNS,
    Tenant,
    attempts_of,
    deliveries,
    emit,
    save,
    usage_of,
    wait_status,
)

from bench.webhook_receiver import Receiver
from livchat.core.db import db, utcnow
from livchat.core.settings import reset_settings_cache
from livchat.models.webhooks import WebhookEndpoint
from livchat.services.errors import Conflict
from livchat.services.webhooks import endpoints
from livchat.services.webhooks.dispatcher import Dispatcher
from tests.factories import actor_of


@pytest.fixture
def private_refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("LIVCHAT_WEBHOOK_ALLOW_PRIVATE", raising=False)
    reset_settings_cache()
    yield
    reset_settings_cache()


# --- 1. the address checked is the address posted to ----------------------------------------

async def test_a_name_rebound_to_loopback_after_the_check_is_never_posted_to(
        tenant: Tenant, receiver: Receiver, outbox: None, private_refused: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    dns = FakeDNS(monkeypatch, {"rebind.example": ["93.184.216.34"]})
    await save(tenant, receiver.url_at("rebind.example"))  # public when saved
    # The attacker's DNS answers the public address once more, then 127.0.0.1 (where the
    # receiver stands in for an internal service).
    dns.answers["rebind.example"] = ["93.184.216.34", "127.0.0.1"]
    [_event] = await emit(tenant, {"id": "r"})
    worker = Dispatcher(dataclasses.replace(FAST, timeout=1.0))
    assert await worker.run_once() == 1
    assert receiver.count == 0  # connected to the address that was checked, not to the next answer
    # The next attempt (an hour later, due) resolves again: 127.0.0.1 now, refused with the reason.
    later = Dispatcher(FAST, clock=lambda: utcnow() + timedelta(hours=1))
    assert await later.run_once() == 1
    await worker.aclose()
    await later.aclose()

    assert receiver.count == 0
    [row] = await deliveries(tenant)
    first, second = await attempts_of(row.id)
    assert first.response_status is None and first.error  # the public address: not our receiver
    assert second.response_status is None
    assert second.error == ("host 'rebind.example' resolves to a non-public address (127.0.0.1); "
                            "only public addresses are allowed")
    assert row.status == "pending" and row.attempts == 2  # retried like any failure: DNS may change back


# --- 2. one deadline for the whole post -----------------------------------------------------

async def test_one_deadline_covers_the_whole_post_even_when_the_receiver_dribbles(
        tenant: Tenant, receiver: Receiver, outbox: None, allow_private_webhooks: None) -> None:
    await save(tenant, receiver.url)
    receiver.dribble = 0.05  # ~100 bytes of answer over ~5 s; no single read waits even 0.1 s
    await emit(tenant, {"id": "slow"})
    worker = Dispatcher(dataclasses.replace(FAST, timeout=0.5))
    started = time.monotonic()
    assert await worker.run_once() == 1
    elapsed = time.monotonic() - started
    await worker.aclose()
    [row] = await deliveries(tenant)
    [attempt] = await attempts_of(row.id)
    assert attempt.error == "timed out after 0.5 s" and attempt.response_status is None
    assert 500 <= (attempt.latency_ms or 0) < 1500 and elapsed < 2.0
    assert row.status == "pending"


async def test_a_2xx_whose_body_then_stalls_is_a_success(
        tenant: Tenant, receiver: Receiver, outbox: None, allow_private_webhooks: None) -> None:
    """API.md: a 2xx within the timeout is success; the body is only read for the log."""
    await save(tenant, receiver.url)
    receiver.response_body = b"x" * 200
    receiver.body_dribble = 0.05  # the status at once, then the body over ~10 s
    await emit(tenant, {"id": "stalled-body"})
    worker = Dispatcher(dataclasses.replace(FAST, timeout=0.5))
    assert await worker.run_once() == 1
    await worker.aclose()
    [row] = await deliveries(tenant)
    [attempt] = await attempts_of(row.id)
    assert row.status == "delivered" and attempt.response_status == 200 and attempt.error is None


# --- 3. leases: only the holder records; a redelivery waits for the attempt in flight --------

async def test_an_outcome_recorded_after_its_lease_lapsed_does_not_overwrite_the_row(
        tenant: Tenant, receiver: Receiver, outbox: None, allow_private_webhooks: None) -> None:
    await save(tenant, receiver.url)
    await emit(tenant, {"id": "x"})
    clock = Clock(utcnow() + timedelta(seconds=1))
    stalled = Dispatcher(FAST, clock=clock)
    [work] = await stalled.claim(10)
    clock.now += FAST.lease + timedelta(seconds=1)  # its lease lapses before it posts
    fresh = Dispatcher(FAST, clock=clock)
    assert await fresh.run_once() == 1  # takes the lapsed row over and delivers it
    receiver.status = 500
    await stalled.record(await stalled.deliver([work]))  # posts late, fails, and comes to record it
    await stalled.aclose()
    await fresh.aclose()

    [row] = await deliveries(tenant)
    assert (row.status, row.attempts, row.response_status, row.locked_until) == ("delivered", 1, 200, None)
    assert [(a.attempt, a.response_status) for a in await attempts_of(row.id)] == [(1, 200)]
    assert await usage_of(tenant) == (1, 0)


async def test_redeliver_of_a_row_in_flight_queues_it_after_that_attempt_instead_of_posting_twice(
        tenant: Tenant, receiver: Receiver, outbox: None, allow_private_webhooks: None) -> None:
    await save(tenant, receiver.url)
    [event] = await emit(tenant, {"id": "y"})
    [row] = await deliveries(tenant)
    holder, other = Dispatcher(FAST), Dispatcher(FAST)
    [work] = await holder.claim(10)  # in flight
    async with db.session() as session:
        queued = (await endpoints.redeliver(session, actor_of(tenant.organization_id), row.id)).wire()
    assert queued["status"] == "pending"
    assert await other.claim(10) == []  # no second post while the first is in flight

    await holder.record(await holder.deliver([work]))
    [after] = await deliveries(tenant)
    assert (after.status, after.attempts, after.locked_until) == ("pending", 1, None)  # queued again
    assert after.next_attempt_at is not None and after.next_attempt_at <= utcnow()
    assert await other.run_once() == 1  # the redelivery goes out after the attempt in flight
    await holder.aclose()
    await other.aclose()
    [done] = await deliveries(tenant)
    assert (done.status, done.attempts) == ("delivered", 2)
    assert receiver.ids() == [event.id, event.id]
    assert await holder.run_once() == 0  # and nothing else is queued


async def test_redeliver_of_a_row_waiting_for_its_retry_sends_it_now(
        tenant: Tenant, receiver: Receiver, outbox: None, allow_private_webhooks: None) -> None:
    await save(tenant, receiver.url)
    await emit(tenant, {"id": "z"})
    receiver.status = 503
    slow_retry = dataclasses.replace(FAST, retry=dataclasses.replace(FAST.retry, base_delay=3600, max_delay=3600))
    worker = Dispatcher(slow_retry)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0  # its retry is due in about an hour
    [row] = await deliveries(tenant)
    async with db.session() as session:
        await endpoints.redeliver(session, actor_of(tenant.organization_id), row.id)
    receiver.status = 200
    assert await worker.run_once() == 1
    await worker.aclose()
    [done] = await deliveries(tenant)
    assert (done.status, done.attempts) == ("delivered", 2)


# --- 5. a paused endpoint leaves a visible, counted, redeliverable trace ---------------------

async def _pause(tenant: Tenant) -> None:
    """As if a dispatcher had just paused it (the 24 h path itself: test_webhook_retries)."""
    async with db.session() as session:
        endpoint = (await session.exec(select(WebhookEndpoint).where(
            WebhookEndpoint.instance_id == tenant.instance_id))).one()
        endpoint.paused_at = utcnow()
        await session.commit()


async def test_an_event_for_a_paused_endpoint_is_logged_failed_counted_and_redeliverable_once_resumed(
        tenant: Tenant, receiver: Receiver, dispatcher: Dispatcher, allow_private_webhooks: None) -> None:
    await save(tenant, receiver.url)
    await _pause(tenant)
    [event] = await emit(tenant, {"id": "while paused"})
    [row] = await deliveries(tenant)
    assert (row.event_id, row.status, row.attempts, row.failure_reason) == (event.id, "failed", 0, "endpoint_paused")
    assert row.next_attempt_at is None
    assert await usage_of(tenant) == (0, 1)
    async with db.session() as session:
        log = (await endpoints.list_deliveries(session, tenant.organization_id, tenant.instance_id,
                                              status="failed")).wire()
        assert [(d["id"], d["failureReason"]) for d in log["data"]] == [(row.id, "endpoint_paused")]
        with pytest.raises(Conflict):
            await endpoints.redeliver(session, actor_of(tenant.organization_id), row.id)

    resumed = await save(tenant, receiver.url)  # PUT again: resumes the endpoint
    assert resumed["active"] is True and resumed["pausedAt"] is None
    async with db.session() as session:
        queued = (await endpoints.redeliver(session, actor_of(tenant.organization_id), row.id)).wire()
    assert queued["status"] == "pending" and queued["failureReason"] is None
    done = await wait_status(row.id, "delivered")
    assert done.failure_reason is None and receiver.ids() == [event.id]
    assert await usage_of(tenant) == (1, 1)


async def test_a_claimed_row_whose_endpoint_was_paused_meanwhile_fails_without_a_post(
        tenant: Tenant, receiver: Receiver, outbox: None, allow_private_webhooks: None) -> None:
    await save(tenant, receiver.url)
    await emit(tenant, {"id": "p"})
    await _pause(tenant)
    worker = Dispatcher(FAST)
    assert await worker.run_once() == 1
    await worker.aclose()
    [row] = await deliveries(tenant)
    assert (row.status, row.attempts, row.failure_reason, row.locked_until) == ("failed", 0, "endpoint_paused", None)
    assert await attempts_of(row.id) == [] and receiver.count == 0  # nothing was attempted
    assert await usage_of(tenant) == (0, 1)


async def test_retries_used_up_say_so(tenant: Tenant, receiver: Receiver, dispatcher: Dispatcher,
                                      allow_private_webhooks: None) -> None:
    await save(tenant, receiver.url)
    receiver.status = 500
    async with db.session() as session:
        sent = (await endpoints.send_test_event(session, actor_of(tenant.organization_id),
                                                tenant.instance_id)).wire()  # 1 attempt
    failed = await wait_status(sent["id"], "failed")
    assert failed.failure_reason == "attempts_exhausted" and failed.attempts == 1
    assert await usage_of(tenant) == (0, 1)
