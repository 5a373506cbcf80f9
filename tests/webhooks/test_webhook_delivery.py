"""The outbox writes a delivery row with the event; the dispatcher posts it signed and records it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from sqlmodel import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from webhook_helpers import Tenant, attempts_of, deliveries, emit, save, wait_status

from bench.webhook_receiver import Receiver
from livchat.core.db import db
from livchat.core.events import bus
from livchat.models.whatsapp import UsageDaily
from livchat.services.webhooks.dispatcher import Dispatcher
from livchat.services.whatsapp.events import InstanceConnected, MessageReceived

pytestmark = pytest.mark.usefixtures("allow_private_webhooks")


async def test_event_is_delivered_signed_with_standard_webhooks_and_hex_hmac(
        tenant: Tenant, receiver: Receiver, dispatcher: Dispatcher) -> None:
    saved = await save(tenant, receiver.url, ["message.received"])
    secret = saved["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert saved["secretPrefix"] == secret[:12]

    [event] = await emit(tenant, {"id": "wamid-1", "text": "olá"})
    await receiver.wait_for(lambda r: r.count >= 1)

    request = receiver.requests[0]
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "LivChat-Webhooks/1.0"
    assert request.headers["webhook-id"] == event.id
    # Any Standard Webhooks library accepts it...
    verified = Webhook(secret).verify(request.body, request.headers)
    assert verified == {"id": event.id, "type": "message.received", "instanceId": tenant.instance_id,
                        "timestamp": verified["timestamp"], "data": {"id": "wamid-1", "text": "olá"}}
    assert verified["timestamp"].endswith("Z")
    # ...and a WuzAPI-style client checks a hex HMAC of the raw body with the same key bytes.
    expected = hmac.new(base64.b64decode(secret.removeprefix("whsec_")), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-hmac-signature"] == expected
    # A forged body fails verification.
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body.replace(b"wamid-1", b"wamid-2"), request.headers)

    [delivery] = await deliveries(tenant)
    await wait_status(delivery.id, "delivered")
    [attempt] = await attempts_of(delivery.id)
    assert attempt.attempt == 1 and attempt.response_status == 200 and attempt.latency_ms is not None
    assert attempt.response_snippet == '{"ok":true}' and attempt.error is None
    async with db.session() as session:
        usage = (await session.exec(select(UsageDaily).where(
            UsageDaily.instance_id == tenant.instance_id))).one()
    assert usage.webhooks_delivered == 1 and usage.webhooks_failed == 0


async def test_only_subscribed_events_of_organization_instances_are_written(tenant: Tenant, receiver: Receiver,
                                                                           outbox: None) -> None:
    await save(tenant, receiver.url, ["message.received"])
    await emit(tenant, {"status": "connected"}, event_cls=InstanceConnected)  # not subscribed
    assert await deliveries(tenant) == []
    [event] = await emit(tenant, {"id": "a"})
    [row] = await deliveries(tenant)
    assert row.event_id == event.id and row.status == "pending" and row.attempts == 0
    assert json.loads(row.payload)["type"] == "message.received"
    assert row.max_attempts > 3  # starter plan: retries for up to 24 h

    # An anonymous test-panel event (no organization) writes nothing.
    async with db.session() as session:
        await bus.emit(session, MessageReceived(organization_id=None, instance_id=tenant.instance_id,
                                                message_id="x", data={}))
        await bus.commit_and_publish(session)
    assert len(await deliveries(tenant)) == 1


async def test_delivery_rows_roll_back_with_the_event(tenant: Tenant, receiver: Receiver, outbox: None) -> None:
    await save(tenant, receiver.url)
    await emit(tenant, {"id": "lost"}, commit=False)
    assert await deliveries(tenant) == []


async def test_non_2xx_is_retried_then_delivered_and_every_attempt_recorded(
        tenant: Tenant, receiver: Receiver, dispatcher: Dispatcher) -> None:
    await save(tenant, receiver.url)
    receiver.status = 500
    receiver.response_body = b"x" * 3000
    [event] = await emit(tenant, {"id": "r"})
    await receiver.wait_for(lambda r: r.count >= 2)
    receiver.status = 204
    receiver.response_body = b""
    [row] = await deliveries(tenant)
    row = await wait_status(row.id, "delivered")
    attempts = await attempts_of(row.id)
    assert [a.response_status for a in attempts][-1] == 204
    assert all(a.response_status == 500 and a.error == "HTTP 500" for a in attempts[:-1])
    assert len(attempts[0].response_snippet or "") == 1024  # the first 1 KB only
    assert row.attempts == len(attempts) >= 3
    assert set(receiver.ids()) == {event.id}  # every retry carries the same webhook-id


async def test_lifespan_delivers_new_events_on_a_nudge_long_before_the_next_poll(
        tenant: Tenant, receiver: Receiver, outbox: None) -> None:
    import dataclasses
    import time

    from webhook_helpers import FAST

    from livchat.services.webhooks.dispatcher import dispatcher_lifespan

    await save(tenant, receiver.url)
    slow_poll = dataclasses.replace(FAST, poll_interval=30.0)
    async with dispatcher_lifespan(slow_poll):  # installs the outbox and runs the dispatcher
        started = time.monotonic()
        [event] = await emit(tenant, {"id": "fast"})
        await receiver.wait_for(lambda r: r.count == 1, timeout=5)
        assert time.monotonic() - started < 2.0  # the nudge, not the 30 s poll
        await wait_status((await deliveries(tenant))[0].id, "delivered")
    assert receiver.ids() == [event.id]
