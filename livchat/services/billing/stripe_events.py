"""Stripe's webhooks (`POST /api/hooks/stripe`), verified by the caller with the library, applied
once per event id (the id is stored in the same transaction as the change it made).

| event                                   | what changes                                               |
|-----------------------------------------|------------------------------------------------------------|
| checkout.session.completed              | the customer and subscription ids join the organization   |
| customer.subscription.created / updated | plan, extra instances, status, period, limits             |
| customer.subscription.deleted           | back to Free (nothing deleted)                            |
| invoice.paid                            | a past-due subscription is active again                   |
| invoice.payment_failed                  | past due (grace starts), a notice and an email to owners  |

Events may come in any order: each names its organization by itself (the subscription's
metadata, the checkout's client_reference_id, or the customer id already stored), and one older
than the last applied (Stripe's `created`) is recorded but changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.logging import get_logger
from livchat.i18n import normalize_language
from livchat.models import (
    Membership,
    Organization,
    StripeWebhookEvent,
    Subscription,
    User,
)
from livchat.models.enums import Role, SubscriptionStatus
from livchat.services.billing import plans
from livchat.services.billing.subscriptions import apply_stripe_subscription
from livchat.services.notifications import notices
from livchat.services.notifications.email import send_email

log = get_logger("billing")

HANDLED = frozenset({
    "checkout.session.completed", "customer.subscription.created", "customer.subscription.updated",
    "customer.subscription.deleted", "invoice.paid", "invoice.payment_failed",
})


async def handle(session: AsyncSession, event: dict[str, Any]) -> str:
    """Apply one verified event: "applied", "duplicate" (seen before), "stale" (older than the last
    applied) or "ignored" (about no organization of ours). Commits."""
    event_id, kind = str(event.get("id") or ""), str(event.get("type") or "")
    if not event_id:
        return "ignored"
    if (await session.get(StripeWebhookEvent, event_id)) is not None:
        return "duplicate"
    obj = (event.get("data") or {}).get("object") or {}
    row = await _subscription_for(session, obj, kind) if kind in HANDLED else None
    session.add(StripeWebhookEvent(id=event_id, type=kind[:80], organization_id=row.organization_id if row else None))
    outcome = "applied" if row is not None else "ignored"
    if row is not None:
        created = int(event.get("created") or 0)
        if row.stripe_event_created and created < row.stripe_event_created and kind != "checkout.session.completed":
            outcome = "stale"
        else:
            await _apply(session, row, kind, obj)
            row.stripe_event_created = max(created, row.stripe_event_created or 0)
            session.add(row)
    try:
        await session.commit()
    except IntegrityError:  # the same event, applied meanwhile by a concurrent delivery
        await session.rollback()
        return "duplicate"
    if outcome != "applied":
        log.info("stripe event not applied", extra={"event_id": event_id, "type": kind, "outcome": outcome})
    return outcome


async def _subscription_for(session: AsyncSession, obj: dict[str, Any], kind: str) -> Subscription | None:
    if kind == "checkout.session.completed":
        organization_id = str(obj.get("client_reference_id") or "")
        return await plans.subscription_of(session, organization_id) if await _exists(session, organization_id) \
            else None
    subscription_id = obj.get("id") if kind.startswith("customer.subscription.") else _invoice_subscription(obj)
    customer = obj.get("customer")
    conditions: list[ColumnElement[bool]] = []
    if subscription_id:
        conditions.append(col(Subscription.stripe_subscription_id) == str(subscription_id))
    if customer:
        conditions.append(col(Subscription.stripe_customer_id) == str(customer))
    if conditions:
        found = (await session.exec(select(Subscription).where(or_(*conditions)))).first()
        if found is not None:
            return found
    organization_id = str((obj.get("metadata") or {}).get("organization_id") or "")
    if await _exists(session, organization_id):
        return await plans.subscription_of(session, organization_id)
    return None


async def _exists(session: AsyncSession, organization_id: str) -> bool:
    return bool(organization_id) and (await session.get(Organization, organization_id)) is not None


def _invoice_subscription(invoice: dict[str, Any]) -> str:
    """An invoice's subscription id (top level in older API versions, under `parent` in newer)."""
    parent = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return str(invoice.get("subscription") or parent or "")


async def _apply(session: AsyncSession, row: Subscription, kind: str, obj: dict[str, Any]) -> None:
    if kind == "checkout.session.completed":
        row.stripe_customer_id = str(obj.get("customer") or row.stripe_customer_id or "") or None
        if obj.get("subscription") and not row.stripe_subscription_id:
            row.stripe_subscription_id = str(obj["subscription"])
        session.add(row)
    elif kind.startswith("customer.subscription."):
        current = row.stripe_subscription_id
        if current and current != obj.get("id") and row.status != SubscriptionStatus.CANCELED:
            return  # a late event about an older subscription of the customer: the live one decides
        if kind == "customer.subscription.deleted":
            obj = {**obj, "status": SubscriptionStatus.CANCELED}
        await apply_stripe_subscription(session, row, obj)
    elif kind == "invoice.paid":
        if row.status == SubscriptionStatus.PAST_DUE:
            row.status, row.past_due_since = SubscriptionStatus.ACTIVE, None
            session.add(row)
            await plans.apply(session, row)
    elif kind == "invoice.payment_failed":
        first_failure = row.status != SubscriptionStatus.PAST_DUE
        if row.status != SubscriptionStatus.CANCELED:
            row.status = SubscriptionStatus.PAST_DUE
            row.past_due_since = row.past_due_since or utcnow()
            session.add(row)
            await plans.apply(session, row)
        if first_failure:
            await _tell_owners(session, row)


async def _tell_owners(session: AsyncSession, row: Subscription) -> None:
    """A dashboard notice, and an email to each owner in their language (in this transaction)."""
    ends = plans.grace_ends_at(row)
    params = {"date": ends.date().isoformat() if ends else ""}
    await notices.notify(session, row.organization_id, "payment_failed", **params)
    owners = (await session.exec(
        select(User.email, User.locale).join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.organization_id == row.organization_id, Membership.role == Role.OWNER)
    )).all()
    for email, locale in owners:
        subject, text = notices.render("payment_failed", params, normalize_language(locale))
        await send_email(session, email, subject, text, row.organization_id, template="payment_failed")
