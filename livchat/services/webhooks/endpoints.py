"""Webhook endpoints (one per instance) and their delivery log, as API.md describes them.

Views are the models of `schemas.py` (the API's JSON), so the REST routers and the dashboard show the same.
Reads take the caller's organization; changes take the actor (`manage_webhooks`) and commit.
Another organization's ids are `NotFound`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import decrypt, encrypt
from livchat.core.db import table_of, utcnow
from livchat.core.ids import new_id
from livchat.core.ssrf import UnsafeUrl, check_public_url
from livchat.i18n import normalize_language
from livchat.models.accounts import Membership, Organization, User
from livchat.models.enums import DeliveryStatus, Role
from livchat.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from livchat.models.whatsapp import Instance
from livchat.services.actors import Actor
from livchat.services.errors import Conflict, InvalidInput, NotFound
from livchat.services.notifications import notices
from livchat.services.notifications.email import send_email
from livchat.services.pagination import newest_first
from livchat.services.webhooks.outbox import (
    DEFAULT_RETRY_POLICY,
    RetryPolicy,
    add_delivery,
    event_payload,
    new_delivery,
    nudge,
)
from livchat.services.webhooks.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    DeliveryPage,
    InstanceWebhook,
    WebhookOut,
)
from livchat.services.webhooks.signing import display_prefix, new_secret
from livchat.services.whatsapp.events import WEBHOOK_EVENT_TYPES

ROTATION_OVERLAP = timedelta(hours=24)
# Rotated-out secrets still signing at once: each adds ~50 bytes to `webhook-signature`, and
# receivers' proxies refuse headers past a few KB, so an 11th rotation within 24 h is refused.
MAX_PREVIOUS_SECRETS = 10
TEST_EVENT_TYPE = "webhook.test"


class UnsafeWebhookUrl(InvalidInput):
    """422 `unsafe_webhook_url`: the URL is refused by the SSRF guard; `reason` says why (a stable
    code the dashboard translates: length, characters, malformed, scheme, credentials,
    unresolvable or not_public)."""

    code = "unsafe_webhook_url"

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.reason = reason


async def check_webhook_url(url: str) -> str:
    """The URL, trimmed, when it is safe to post to now; otherwise UnsafeWebhookUrl."""
    try:
        return await check_public_url(url)
    except UnsafeUrl as exc:
        raise UnsafeWebhookUrl(exc.detail, exc.reason) from exc


async def _instance_id(session: AsyncSession, organization_id: str, instance_id: str) -> str:
    found = (await session.exec(select(Instance.id).where(
        Instance.id == instance_id, Instance.organization_id == organization_id))).first()
    if found is None:
        raise NotFound("not_found")
    return found


async def _endpoint(session: AsyncSession, organization_id: str, instance_id: str) -> WebhookEndpoint:
    endpoint = (await session.exec(select(WebhookEndpoint).where(
        WebhookEndpoint.instance_id == instance_id, WebhookEndpoint.organization_id == organization_id,
    ))).first()
    if endpoint is None:
        raise NotFound("not_found")
    return endpoint


def _valid_events(events: list[str] | None) -> list[str]:
    if events is None:
        return list(WEBHOOK_EVENT_TYPES)
    if not isinstance(events, list) or not events:
        raise InvalidInput("events must list at least one event type")
    unknown = sorted({e for e in events if e not in WEBHOOK_EVENT_TYPES}, key=str)
    if unknown:
        raise InvalidInput(f"unknown event types: {', '.join(map(str, unknown))}; "
                           f"known: {', '.join(WEBHOOK_EVENT_TYPES)}")
    return [e for e in WEBHOOK_EVENT_TYPES if e in events]


async def get_endpoint(session: AsyncSession, organization_id: str, instance_id: str) -> WebhookOut:
    return WebhookOut.of(await _endpoint(session, organization_id, instance_id))


async def endpoints_of(session: AsyncSession, organization_id: str, instance_ids: list[str]) -> dict[str, InstanceWebhook]:
    """The endpoint views of a page of the organization's instances (by instance id), in one query."""
    if not instance_ids:
        return {}
    found = await session.exec(select(WebhookEndpoint).where(
        WebhookEndpoint.organization_id == organization_id,
        col(WebhookEndpoint.instance_id).in_(instance_ids)))
    return {e.instance_id: InstanceWebhook.of(e) for e in found}


async def find_endpoint(session: AsyncSession, organization_id: str, instance_id: str) -> WebhookOut | None:
    """The endpoint view, or None when the (own) instance has none yet."""
    await _instance_id(session, organization_id, instance_id)
    try:
        return await get_endpoint(session, organization_id, instance_id)
    except NotFound:
        return None


async def save_endpoint(session: AsyncSession, actor: Actor, instance_id: str, url: str,
                        events: list[str] | None = None) -> WebhookOut:
    """Create or update the instance's endpoint. The view has `secret` only when it was created
    (the one time the full secret is shown). Saving a paused endpoint resumes it."""
    actor.require("manage_webhooks")
    organization_id = actor.organization_id
    await _instance_id(session, organization_id, instance_id)
    url = await check_webhook_url(url)
    chosen = _valid_events(events)
    endpoint = (await session.exec(select(WebhookEndpoint).where(
        WebhookEndpoint.instance_id == instance_id))).first()
    secret = None
    if endpoint is None:
        secret = new_secret()
        endpoint = WebhookEndpoint(id=new_id("whe"), organization_id=organization_id, instance_id=instance_id,
                                   url=url, events=chosen, secret_encrypted=encrypt(secret),
                                   secret_prefix=display_prefix(secret))
        session.add(endpoint)
    else:
        endpoint.url, endpoint.events = url, chosen
        endpoint.active, endpoint.paused_at, endpoint.failing_since = True, None, None
        endpoint.updated_at = utcnow()
    await session.commit()
    return WebhookOut.of(endpoint, secret)


async def delete_endpoint(session: AsyncSession, actor: Actor, instance_id: str) -> None:
    """Removes the endpoint and its delivery log."""
    actor.require("manage_webhooks")
    endpoint = await _endpoint(session, actor.organization_id, instance_id)
    await session.delete(endpoint)
    await session.commit()


async def rotate_secret(session: AsyncSession, actor: Actor, instance_id: str, *,
                        now: datetime | None = None) -> WebhookOut:
    """A new secret (in the view, shown once). The current one keeps signing beside it for 24 h,
    as does every earlier one until its own 24 h are over."""
    actor.require("manage_webhooks")
    endpoint = await _endpoint(session, actor.organization_id, instance_id)
    now = now or utcnow()
    previous = _still_signing(endpoint.previous_secrets, now)
    if len(previous) >= MAX_PREVIOUS_SECRETS:
        raise Conflict("webhook_rotation_limit")
    secret = new_secret()
    endpoint.previous_secrets = [
        {"secret": endpoint.secret_encrypted, "expiresAt": (now + ROTATION_OVERLAP).isoformat()}, *previous]
    endpoint.secret_encrypted, endpoint.secret_prefix = encrypt(secret), display_prefix(secret)
    endpoint.updated_at = now
    await session.commit()
    return WebhookOut.of(endpoint, secret)


def _still_signing(previous: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    return [p for p in previous if datetime.fromisoformat(p["expiresAt"]) > now]


def secrets_in_use(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign now: the current one first, then each rotated-out one (newest first)
    until 24 h after its rotation."""
    return [decrypt(endpoint.secret_encrypted),
            *(decrypt(p["secret"]) for p in _still_signing(endpoint.previous_secrets, now))]


async def list_deliveries(session: AsyncSession, organization_id: str, instance_id: str, *,
                          status: str | None = None, limit: int = 50, cursor: str | None = None) -> DeliveryPage:
    """Newest first, `next_cursor` None on the last page; `cursor` is the last id seen."""
    await _instance_id(session, organization_id, instance_id)
    if status is not None and status not in set(DeliveryStatus):
        raise InvalidInput(f"status must be one of {', '.join(DeliveryStatus)}")
    query = select(WebhookDelivery).where(WebhookDelivery.organization_id == organization_id,
                                          WebhookDelivery.instance_id == instance_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    page, next_cursor = await newest_first(session, query, WebhookDelivery.id, limit=limit, cursor=cursor)
    return DeliveryPage(data=[DeliveryOut.of(d) for d in page], next_cursor=next_cursor)


async def _delivery(session: AsyncSession, organization_id: str, delivery_id: str) -> WebhookDelivery:
    delivery = (await session.exec(select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.organization_id == organization_id,
    ))).first()
    if delivery is None:
        raise NotFound("not_found")
    return delivery


async def get_delivery(session: AsyncSession, organization_id: str, delivery_id: str) -> DeliveryDetail:
    """One delivery with its attempts (oldest first) and the payload it sends."""
    delivery = await _delivery(session, organization_id, delivery_id)
    attempts = (await session.exec(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
                                      .order_by(col(WebhookAttempt.attempt), col(WebhookAttempt.created_at))))
    return DeliveryDetail(**DeliveryOut.of(delivery).model_dump(), payload=delivery.payload,
                          attempt_log=[AttemptOut.of(a) for a in attempts])


async def _plan(session: AsyncSession, organization_id: str) -> str:
    return (await session.exec(select(Organization.plan).where(Organization.id == organization_id))).one()


async def redeliver(session: AsyncSession, actor: Actor, delivery_id: str, *,
                    now: datetime | None = None, policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> DeliveryOut:
    """Queue it again now with a fresh attempt schedule; it keeps its `webhook-id` (the event id).
    A row a dispatcher is posting right now stays its own (making it claimable would post it twice
    at once): it is flagged, and that dispatcher queues it again when the attempt in flight ends."""
    actor.require("manage_webhooks")
    organization_id = actor.organization_id
    delivery = await _delivery(session, organization_id, delivery_id)
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or endpoint.paused_at is not None or not endpoint.active:
        raise Conflict("webhook_paused")
    now = now or utcnow()
    budget = policy.attempts_for(await _plan(session, organization_id))
    table = table_of(WebhookDelivery)
    leased = table.c.locked_until.is_not(None) & (table.c.locked_until > now)
    # One statement, so a claim in between sees the row either before or after it. A leased row
    # is pending with its due time passed already: only the flag and the budget differ.
    await session.exec(update(table).where(table.c.id == delivery.id).values(
        status=DeliveryStatus.PENDING, next_attempt_at=now, failure_reason=None, updated_at=now,
        redeliver_requested=leased,
        max_attempts=table.c.attempts + case((leased, 1), else_=0) + budget))  # + the attempt in flight
    await session.commit()
    await session.refresh(delivery)
    nudge()
    return DeliveryOut.of(delivery)


async def send_test_event(session: AsyncSession, actor: Actor, instance_id: str, *,
                          now: datetime | None = None) -> DeliveryOut:
    """A `webhook.test` delivery to the endpoint, whatever events it subscribes to (one attempt)."""
    actor.require("manage_webhooks")
    organization_id = actor.organization_id
    endpoint = await _endpoint(session, organization_id, instance_id)
    if endpoint.paused_at is not None or not endpoint.active:
        raise Conflict("webhook_paused")
    now = now or utcnow()
    event_id = new_id("evt")
    payload = event_payload(event_id, TEST_EVENT_TYPE, instance_id, now,
                            {"message": "This is a test event from LivChat."})
    values = new_delivery(organization_id=organization_id, endpoint_id=endpoint.id, instance_id=instance_id,
                          event_id=event_id, event_type=TEST_EVENT_TYPE, payload=payload, max_attempts=1, now=now)
    await add_delivery(session, values)
    await session.commit()
    nudge()
    return DeliveryOut.of(WebhookDelivery(**values))


async def notify_endpoint_paused(session: AsyncSession, endpoint_id: str) -> None:
    """A dashboard notice and an email to each owner and admin, each in their language (in the
    caller's transaction)."""
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        return
    instance = await session.get(Instance, endpoint.instance_id)
    params = {"url": endpoint.url, "instance": instance.name if instance else endpoint.instance_id}
    await notices.notify(session, endpoint.organization_id, "webhook_paused", **params)
    people = (await session.exec(
        select(User.email, User.locale).join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.organization_id == endpoint.organization_id,
               col(Membership.role).in_([Role.OWNER, Role.ADMIN]))
    )).all()
    for email, locale in people:
        subject, text = notices.render("webhook_paused", params, normalize_language(locale))
        await send_email(session, email, subject, text, endpoint.organization_id, template="webhook_paused")
