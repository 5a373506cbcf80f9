"""Through the REST API: a paused webhook's events are listed failed with their reason, and a PUT
resumes the webhook so they can be redelivered."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select
from webhook_helpers import Tenant, emit, wait_status

from bench.webhook_receiver import Receiver
from livchat.core.db import db, utcnow
from livchat.models.webhooks import WebhookEndpoint
from livchat.services.accounts import api_keys
from livchat.services.webhooks.dispatcher import Dispatcher
from tests.factories import actor_of

pytestmark = pytest.mark.usefixtures("allow_private_webhooks")


async def test_paused_webhook_events_are_listed_failed_and_redelivered_after_a_put(
        tenant: Tenant, receiver: Receiver, api: httpx.AsyncClient, dispatcher: Dispatcher) -> None:
    async with db.session() as session:
        key = await api_keys.create_api_key(session, actor_of(tenant.organization_id), "webhooks")
        await session.commit()
    auth = {"Authorization": f"Bearer {key.secret}"}
    hook = f"/api/v1/instances/{tenant.instance_id}/webhook"
    assert (await api.put(hook, json={"url": receiver.url}, headers=auth)).status_code == 200
    async with db.session() as session:  # paused, as after 24 h of failures
        endpoint = (await session.exec(select(WebhookEndpoint))).one()
        endpoint.paused_at = utcnow()
        await session.commit()
    paused = (await api.get(hook, headers=auth)).json()
    assert paused["active"] is False and paused["pausedAt"]

    [event] = await emit(tenant, {"id": "while paused"})
    failed = (await api.get(f"{hook}/deliveries", params={"status": "failed"}, headers=auth)).json()["data"]
    assert [(d["eventId"], d["attempts"], d["failureReason"]) for d in failed] == [(event.id, 0, "endpoint_paused")]
    redeliver = f"/api/v1/webhook-deliveries/{failed[0]['id']}/redeliver"
    refused = await api.post(redeliver, headers=auth)
    assert refused.status_code == 409, refused.text

    resumed = (await api.put(hook, json={"url": receiver.url}, headers=auth)).json()
    assert resumed["active"] is True and "pausedAt" not in resumed
    queued = await api.post(redeliver, headers=auth)
    assert queued.status_code == 202 and queued.json()["status"] == "pending"
    assert queued.json()["failureReason"] is None
    await wait_status(failed[0]["id"], "delivered")
    detail = (await api.get(f"/api/v1/webhook-deliveries/{failed[0]['id']}", headers=auth)).json()
    assert detail["status"] == "delivered" and [a["responseStatus"] for a in detail["attemptLog"]] == [200]
    assert receiver.ids() == [event.id]
