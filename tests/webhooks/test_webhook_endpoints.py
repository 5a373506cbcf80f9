"""Endpoint configuration, secrets and rotation, the delivery log, redelivery, test events, SSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from webhook_helpers import (
    FAST,
    Tenant,
    deliveries,
    emit,
    make_tenant,
    save,
    wait_status,
)

from bench.webhook_receiver import Receiver
from livchat.core.crypto import decrypt
from livchat.core.db import db, utcnow
from livchat.models.webhooks import WebhookAttempt, WebhookEndpoint
from livchat.services.errors import Conflict, InvalidInput, NotFound
from livchat.services.webhooks import endpoints
from livchat.services.webhooks.dispatcher import Dispatcher
from livchat.services.webhooks.endpoints import UnsafeWebhookUrl
from livchat.services.webhooks.signing import hex_signature
from tests.factories import actor_of


@pytest.mark.usefixtures("allow_private_webhooks")
async def test_secret_is_shown_once_stored_encrypted_and_events_validated(tenant: Tenant, receiver: Receiver) -> None:
    created = await save(tenant, receiver.url, None)
    assert created["events"] == endpoints.WEBHOOK_EVENT_TYPES and created["active"] is True
    again = await save(tenant, receiver.url + "?v=2", ["message.read", "message.sent", "message.read"])
    assert "secret" not in again and again["secretPrefix"] == created["secretPrefix"]
    assert again["events"] == ["message.sent", "message.read"] and again["url"].endswith("?v=2")
    async with db.session() as session:
        stored = (await session.exec(select(WebhookEndpoint))).one()
        assert created["secret"] not in stored.secret_encrypted
        assert decrypt(stored.secret_encrypted) == created["secret"]
        assert (await endpoints.get_endpoint(session, tenant.organization_id, tenant.instance_id)).wire() == again
        for bad in ([], ["message.nope"], "message.read"):
            with pytest.raises(InvalidInput):
                await endpoints.save_endpoint(session, actor_of(tenant.organization_id), tenant.instance_id,
                                              receiver.url, bad)


@pytest.mark.usefixtures("allow_private_webhooks")
async def test_another_organizations_ids_answer_not_found(tenant: Tenant, receiver: Receiver, outbox: None) -> None:
    await save(tenant, receiver.url)
    await emit(tenant, {"id": "1"})
    [delivery] = await deliveries(tenant)
    other = await make_tenant()
    async with db.session() as session:
        for call in (
            endpoints.get_endpoint(session, other.organization_id, tenant.instance_id),
            endpoints.save_endpoint(session, actor_of(other.organization_id), tenant.instance_id, receiver.url),
            endpoints.delete_endpoint(session, actor_of(other.organization_id), tenant.instance_id),
            endpoints.rotate_secret(session, actor_of(other.organization_id), tenant.instance_id),
            endpoints.list_deliveries(session, other.organization_id, tenant.instance_id),
            endpoints.redeliver(session, actor_of(other.organization_id), delivery.id),
            endpoints.get_delivery(session, other.organization_id, delivery.id),
            endpoints.send_test_event(session, actor_of(other.organization_id), tenant.instance_id),
        ):
            with pytest.raises(NotFound):
                await call
        assert await endpoints.find_endpoint(session, other.organization_id, other.instance_id) is None
        await endpoints.delete_endpoint(session, actor_of(tenant.organization_id), tenant.instance_id)
        assert await endpoints.find_endpoint(session, tenant.organization_id, tenant.instance_id) is None
    assert await deliveries(tenant) == []  # the log goes with the endpoint


@pytest.mark.usefixtures("allow_private_webhooks")
async def test_every_rotated_out_secret_signs_until_its_own_24_hours_are_over(
        tenant: Tenant, receiver: Receiver, outbox: None) -> None:
    first = (await save(tenant, receiver.url))["secret"]
    now = utcnow()
    rotated = []
    async with db.session() as session:
        # Rotations in the past (the clock is injected): the first secret's 24 h are over, the
        # second's and the third's are not, although they were rotated out within 2 h of each other.
        for hours_ago in (25, 2, 1):
            rotated.append((await endpoints.rotate_secret(session, actor_of(tenant.organization_id), tenant.instance_id,
                                                         now=now - timedelta(hours=hours_ago))).wire())
    second, third, current = (r["secret"] for r in rotated)
    assert rotated[-1]["secretPrefix"] == current[:12] and len({first, second, third, current}) == 4

    await emit(tenant, {"id": "during"})
    dispatcher = Dispatcher(FAST)
    assert await dispatcher.run_once() == 1
    await dispatcher.aclose()
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 3
    for signing in (current, third, second):
        assert Webhook(signing).verify(request.body, request.headers)["data"] == {"id": "during"}
    with pytest.raises(WebhookVerificationError):
        Webhook(first).verify(request.body, request.headers)
    # x-hmac-signature has one value: the current secret's.
    assert request.headers["x-hmac-signature"] == hex_signature(current, request.body)

    async with db.session() as session:
        endpoint = (await session.exec(select(WebhookEndpoint))).one()
    assert endpoints.secrets_in_use(endpoint, now) == [current, third, second]
    assert endpoints.secrets_in_use(endpoint, now + timedelta(hours=22, minutes=1)) == [current, third]
    assert endpoints.secrets_in_use(endpoint, now + timedelta(hours=23, minutes=1)) == [current]


async def test_an_eleventh_rotation_within_24_hours_is_refused(tenant: Tenant) -> None:
    """Each secret still signing adds a signature to every delivery's headers: they stay bounded."""
    from livchat.state.whatsapp_common import problem_key

    async with db.session() as session:
        await endpoints.save_endpoint(session, actor_of(tenant.organization_id), tenant.instance_id,
                                     "https://93.184.216.34/hook")
        now = utcnow()
        for _ in range(endpoints.MAX_PREVIOUS_SECRETS):
            await endpoints.rotate_secret(session, actor_of(tenant.organization_id), tenant.instance_id, now=now)
        with pytest.raises(Conflict) as refused:
            await endpoints.rotate_secret(session, actor_of(tenant.organization_id), tenant.instance_id, now=now)
        assert refused.value.detail == "webhook_rotation_limit"
        assert problem_key(refused.value) == "dashboard_whatsapp.errors.webhook_rotation_limit"  # it says why
        later = now + timedelta(hours=24, seconds=1)  # the earlier ones have expired: allowed again
        rotated = (await endpoints.rotate_secret(session, actor_of(tenant.organization_id), tenant.instance_id,
                                                 now=later)).wire()
        endpoint = (await session.exec(select(WebhookEndpoint))).one()
        assert endpoints.secrets_in_use(endpoint, later)[0] == rotated["secret"]
        assert len(endpoint.previous_secrets) == 1  # the expired ones are gone from the row


@pytest.mark.usefixtures("allow_private_webhooks")
async def test_delivery_log_filters_by_status_and_paginates_by_cursor(tenant: Tenant, receiver: Receiver,
                                                                       outbox: None) -> None:
    await save(tenant, receiver.url)
    events = await emit(tenant, *({"id": str(i)} for i in range(5)))
    dispatcher = Dispatcher(FAST)
    async with db.session() as session:
        ids = [d.id for d in await deliveries(tenant)]
        first = (await endpoints.list_deliveries(session, tenant.organization_id, tenant.instance_id, limit=2)).wire()
        assert [d["id"] for d in first["data"]] == ids[::-1][:2] and first["nextCursor"] == ids[3]
        second = (await endpoints.list_deliveries(session, tenant.organization_id, tenant.instance_id, limit=2,
                                                 cursor=first["nextCursor"])).wire()
        third = (await endpoints.list_deliveries(session, tenant.organization_id, tenant.instance_id, limit=2,
                                                cursor=second["nextCursor"])).wire()
        assert [d["id"] for d in second["data"] + third["data"]] == ids[::-1][2:] and third["nextCursor"] is None
        assert first["data"][0] | {"lastAttemptAt": None} == {
            "id": ids[-1], "eventId": events[-1].id, "eventType": "message.received", "status": "pending",
            "attempts": 0, "lastAttemptAt": None, "nextAttemptAt": first["data"][0]["nextAttemptAt"],
            "responseStatus": None, "latencyMs": None, "failureReason": None,
            "createdAt": first["data"][0]["createdAt"]}
        with pytest.raises(InvalidInput):
            await endpoints.list_deliveries(session, tenant.organization_id, tenant.instance_id, status="lost")
    assert await dispatcher.run_once() == 5
    async with db.session() as session:
        delivered = (await endpoints.list_deliveries(session, tenant.organization_id, tenant.instance_id,
                                                    status="delivered")).wire()
        pending = (await endpoints.list_deliveries(session, tenant.organization_id, tenant.instance_id,
                                                  status="pending")).wire()
        detail = (await endpoints.get_delivery(session, tenant.organization_id, ids[0])).wire()
    assert len(delivered["data"]) == 5 and pending["data"] == []
    assert delivered["data"][0]["responseStatus"] == 200 and delivered["data"][0]["latencyMs"] is not None
    assert detail["attemptLog"][0]["responseStatus"] == 200 and '"id":"0"' in detail["payload"]
    await dispatcher.aclose()


@pytest.mark.usefixtures("allow_private_webhooks")
async def test_free_plan_gets_three_attempts_then_failed_and_redeliver_queues_it_again(
        database: str, receiver: Receiver, dispatcher: Dispatcher) -> None:
    tenant = await make_tenant(plan="free")
    await save(tenant, receiver.url)
    receiver.status = 503
    [event] = await emit(tenant, {"id": "x"})
    [row] = await deliveries(tenant)
    failed = await wait_status(row.id, "failed")
    assert failed.attempts == 3 and failed.max_attempts == 3 and failed.next_attempt_at is None
    assert receiver.count == 3 and failed.response_status == 503

    receiver.status = 200
    async with db.session() as session:
        queued = (await endpoints.redeliver(session, actor_of(tenant.organization_id), row.id)).wire()
    assert queued["status"] == "pending"
    delivered = await wait_status(row.id, "delivered")
    assert delivered.attempts == 4 and delivered.max_attempts == 6  # a fresh budget of three
    assert receiver.ids() == [event.id] * 4  # the same webhook-id every time
    async with db.session() as session:
        log = list(await session.exec(select(WebhookAttempt).where(WebhookAttempt.delivery_id == row.id)
                                      .order_by(WebhookAttempt.attempt)))
    assert [(a.attempt, a.response_status) for a in log] == [(1, 503), (2, 503), (3, 503), (4, 200)]


@pytest.mark.usefixtures("allow_private_webhooks")
async def test_test_event_goes_out_whatever_the_subscription(tenant: Tenant, receiver: Receiver,
                                                             dispatcher: Dispatcher) -> None:
    secret = (await save(tenant, receiver.url, ["message.read"]))["secret"]
    async with db.session() as session:
        sent = (await endpoints.send_test_event(session, actor_of(tenant.organization_id), tenant.instance_id)).wire()
    await receiver.wait_for(lambda r: r.count == 1)
    body = Webhook(secret).verify(receiver.requests[0].body, receiver.requests[0].headers)
    assert body["type"] == "webhook.test" and body["id"] == sent["eventId"]
    await wait_status(sent["id"], "delivered")


# --- SSRF ----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://localhost:8080/hook",  # a hostname that resolves to 127.0.0.1
    "http://127.0.0.1/hook", "http://[::1]/hook", "http://10.0.0.5/hook", "http://192.168.1.1/",
    "http://172.16.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
    "http://100.100.100.200/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://224.0.0.1/",
    "http://100.64.0.1/", "ftp://example.com/", "file:///etc/passwd", "not a url", "http:///nohost",
    "https://user:pw@93.184.216.34/", "http://no-such-host.invalid/",
])
async def test_unsafe_urls_are_refused_when_saved(tenant: Tenant, url: str) -> None:
    async with db.session() as session:
        with pytest.raises(UnsafeWebhookUrl) as refused:
            await endpoints.save_endpoint(session, actor_of(tenant.organization_id), tenant.instance_id, url)
    assert refused.value.code == "unsafe_webhook_url" and refused.value.status == 422
    assert await _endpoints() == 0


async def test_a_public_address_is_accepted(tenant: Tenant) -> None:
    async with db.session() as session:  # an IP literal resolves without DNS; nothing is sent
        saved = (await endpoints.save_endpoint(session, actor_of(tenant.organization_id), tenant.instance_id,
                                              "https://93.184.216.34/hooks/livchat")).wire()
    assert saved["url"] == "https://93.184.216.34/hooks/livchat"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])  # an address, and a name that resolves to one
async def test_the_address_is_checked_again_at_send_time(tenant: Tenant, receiver: Receiver, outbox: None,
                                                         host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from livchat.core.settings import reset_settings_cache

    monkeypatch.setenv("LIVCHAT_WEBHOOK_ALLOW_PRIVATE", "1")
    reset_settings_cache()
    await save(tenant, receiver.url_at(host))  # saved while private addresses were allowed
    monkeypatch.delenv("LIVCHAT_WEBHOOK_ALLOW_PRIVATE")
    reset_settings_cache()
    await emit(tenant, {"id": "s"})
    dispatcher = Dispatcher(FAST)
    assert await dispatcher.run_once() == 1
    await dispatcher.aclose()
    [row] = await deliveries(tenant)
    async with db.session() as session:
        [attempt] = list(await session.exec(select(WebhookAttempt).where(WebhookAttempt.delivery_id == row.id)))
    assert receiver.count == 0 and attempt.response_status is None
    assert attempt.error is not None and attempt.error.startswith(f"host '{host}' resolves to a non-public address (")
    assert "127.0.0.1" in attempt.error and attempt.error.endswith("only public addresses are allowed")
    assert row.status == "pending"  # retried later: the name may resolve elsewhere by then


async def _endpoints() -> int:
    async with db.session() as session:
        return len(list(await session.exec(select(WebhookEndpoint))))


@pytest.mark.usefixtures("allow_private_webhooks")
async def test_paused_endpoint_refuses_redeliver_and_test_events_until_saved_again(
        tenant: Tenant, receiver: Receiver, outbox: None) -> None:
    await save(tenant, receiver.url)
    await emit(tenant, {"id": "p"})
    [row] = await deliveries(tenant)
    async with db.session() as session:
        endpoint = (await session.exec(select(WebhookEndpoint))).one()
        endpoint.paused_at = utcnow()
        await session.commit()
        with pytest.raises(Conflict):
            await endpoints.redeliver(session, actor_of(tenant.organization_id), row.id)
        with pytest.raises(Conflict):
            await endpoints.send_test_event(session, actor_of(tenant.organization_id), tenant.instance_id)
        assert (await endpoints.get_endpoint(session, tenant.organization_id, tenant.instance_id)).active is False
    await emit(tenant, {"id": "while paused"})
    _, paused = await deliveries(tenant)  # logged as failed, never attempted
    assert (paused.status, paused.failure_reason, paused.attempts) == ("failed", "endpoint_paused", 0)
    resumed = await save(tenant, receiver.url)
    assert resumed["active"] is True and resumed["pausedAt"] is None
