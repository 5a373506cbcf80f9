"""Billing against a fake Stripe API that speaks Stripe's protocol (the `stripe` library calls it
over HTTP), with webhooks signed by the library's own scheme and posted to our route."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from livchat.core.db import db, utcnow
from livchat.models import (
    EmailOutbox,
    Instance,
    Notification,
    Organization,
    StripeWebhookEvent,
    Subscription,
)
from livchat.models.enums import Role
from livchat.services.accounts import api_keys, auth
from livchat.services.actors import Actor
from livchat.services.billing import plans, subscriptions
from livchat.services.errors import InvalidInput, PermissionDenied
from livchat.services.notifications.email import body_of
from livchat.services.usage.limits import PlanLimitReached
from livchat.services.whatsapp import instances
from tests.billing.conftest import WEBHOOK_SECRET
from tests.factories import PASSWORD
from tests.fakes.stripe_server import PRICE_EXTRA, PRICE_STARTER, FakeStripe


async def _owner(label: str = "owner") -> Actor:
    async with db.session() as session:
        signed = await auth.sign_up(session, f"{label}-{uuid4().hex[:8]}@example.com", PASSWORD,
                                    organization_name=f"Org {label}")
        await session.commit()
    return Actor.for_member(signed.organization.id, signed.user.id, Role.OWNER)


async def _post(api: httpx.AsyncClient, fake: FakeStripe, event: dict[str, Any], *, secret: str = WEBHOOK_SECRET,
                timestamp: int | None = None) -> httpx.Response:
    body, header = fake.signed(event, secret, timestamp)
    return await api.post("/api/hooks/stripe", content=body,
                          headers={"Stripe-Signature": header, "Content-Type": "application/json"})


async def _overview(organization_id: str):  # type: ignore[no-untyped-def]
    async with db.session() as session:
        return await subscriptions.overview(session, organization_id)


async def _create_instance(actor: Actor, name: str) -> Instance:
    async with db.session() as session:
        return await instances.create_instance(session, actor, name)


async def test_checkout_subscription_extra_instance_payment_failure_grace_then_free_limits(
        live, forget_sandbox_users, api: httpx.AsyncClient, stripe_on: FakeStripe) -> None:  # type: ignore[no-untyped-def]
    fake = stripe_on
    owner = await _owner()
    org = owner.organization_id

    # Free → Starter: a Checkout Session in BRL prices, for the organization, with its customer.
    async with db.session() as session:
        change = await subscriptions.change_plan(session, owner, "starter", 5)
    assert change.redirect_url.startswith("https://checkout.stripe.test/")
    checkout = fake.checkout_sessions[-1]
    assert checkout["line_items"] == [{"price": PRICE_STARTER, "quantity": "1"}]
    assert checkout["client_reference_id"] == org
    assert checkout["subscription_data"]["metadata"] == {"organization_id": org}
    assert fake.customers[checkout["customer"]]["metadata"] == {"organization_id": org}
    assert (await _overview(org)).plan == "free"  # nothing changes before Stripe says it is paid

    # Paid at Checkout: Stripe's events, in the order it may send them.
    subscription = fake.complete_checkout(checkout["id"])
    for event in (fake.event("customer.subscription.created", subscription),
                  fake.event("checkout.session.completed", {**checkout, "subscription": subscription["id"]}),
                  fake.event("invoice.paid", fake.invoices[-1])):
        response = await _post(api, fake, event)
        assert response.status_code == 200 and response.json()["outcome"] == "applied", response.text
    billing = await _overview(org)
    assert (billing.plan, billing.status, billing.instances_allowed, billing.extra_instances) == \
        ("starter", "active", 5, 0)

    # Five instances allowed, the sixth refused.
    for n in range(5):
        await _create_instance(owner, f"Number {n + 1}")
    with pytest.raises(PlanLimitReached):
        await _create_instance(owner, "Number 6")

    # One extra instance: the subscription's quantity changes, prorated; the sixth fits.
    async with db.session() as session:
        change = await subscriptions.change_plan(session, owner, "starter", 6)
    assert change.redirect_url == "" and change.extra_instances == 1
    assert fake.updates[-1] == {"items": [{"price": PRICE_EXTRA, "quantity": "1"}],
                                "proration_behavior": "create_prorations"}
    assert (await _overview(org)).instances_allowed == 6
    await _create_instance(owner, "Number 6")
    # Stripe confirms with its own event: applying it again changes nothing.
    response = await _post(api, fake, fake.event("customer.subscription.updated", fake.subscriptions[subscription["id"]]))
    assert response.json()["outcome"] == "applied"
    assert (await _overview(org)).instances_allowed == 6

    # The renewal is declined: past due, the paid limits hold for the grace period; owners are told.
    invoice = fake.fail_payment(subscription["id"])
    assert (await _post(api, fake, fake.event("invoice.payment_failed", invoice))).json()["outcome"] == "applied"
    await _post(api, fake, fake.event("customer.subscription.updated", fake.subscriptions[subscription["id"]]))
    billing = await _overview(org)
    assert (billing.plan, billing.subscribed_plan, billing.status, billing.instances_allowed) == \
        ("starter", "starter", "past_due", 6)
    assert billing.grace_ends_at is not None
    async with db.session() as session:
        notices = (await session.exec(select(Notification.kind).where(Notification.organization_id == org))).all()
        mails = (await session.exec(select(EmailOutbox).where(EmailOutbox.organization_id == org,
                                                               EmailOutbox.template == "payment_failed"))).all()
    assert notices == ["payment_failed"]
    assert len(mails) == 1 and "payment method" in body_of(mails[0])

    # Within the grace period the sweep changes nothing; after it, Free limits — nothing deleted.
    async with db.session() as session:
        assert await plans.expire_grace(session, utcnow() + timedelta(days=1)) == 0
        assert await plans.expire_grace(session, utcnow() + timedelta(days=8)) == 1
    billing = await _overview(org)
    assert (billing.plan, billing.subscribed_plan, billing.instances_allowed, billing.instances_used) == \
        ("free", "starter", 1, 6)
    with pytest.raises(PlanLimitReached):
        await _create_instance(owner, "Number 7")

    # Paid at last: the plan and its extra instance are back.
    paid = {**invoice, "status": "paid"}
    assert (await _post(api, fake, fake.event("invoice.paid", paid))).json()["outcome"] == "applied"
    billing = await _overview(org)
    assert (billing.plan, billing.status, billing.instances_allowed) == ("starter", "active", 6)

    # Invoices come from Stripe, newest first; the portal opens for the customer.
    async with db.session() as session:
        listed = await subscriptions.invoices(session, org)
        portal = await subscriptions.portal_url(session, owner)
    assert [i.status for i in listed] == ["open", "paid"] and listed[1].amount_cents == 445_00
    assert portal.startswith("https://billing.stripe.test/")

    # Cancelled in the portal: Free again, every instance still there.
    fake.subscriptions[subscription["id"]]["status"] = "canceled"
    await _post(api, fake, fake.event("customer.subscription.deleted", fake.subscriptions[subscription["id"]]))
    billing = await _overview(org)
    assert (billing.plan, billing.status, billing.extra_instances, billing.instances_used) == ("free", "canceled", 0, 6)


async def test_replayed_and_badly_signed_webhooks_are_refused(api: httpx.AsyncClient, stripe_on: FakeStripe) -> None:
    fake = stripe_on
    owner = await _owner()
    subscription = {"id": fake.new_id("sub"), "object": "subscription", "customer": fake.new_id("cus"),
                    "status": "active", "metadata": {"organization_id": owner.organization_id},
                    "items": {"object": "list", "data": [{"id": "si_1", "price": {"id": PRICE_STARTER}, "quantity": 1}]}}
    event = fake.event("customer.subscription.created", subscription)
    body, header = fake.signed(event, WEBHOOK_SECRET)
    headers = {"Stripe-Signature": header, "Content-Type": "application/json"}

    first = await api.post("/api/hooks/stripe", content=body, headers=headers)
    again = await api.post("/api/hooks/stripe", content=body, headers=headers)  # Stripe's retry, or a replay
    assert (first.json()["outcome"], again.json()["outcome"]) == ("applied", "duplicate")
    async with db.session() as session:
        seen = (await session.exec(select(func.count()).select_from(StripeWebhookEvent)
                                   .where(StripeWebhookEvent.id == event["id"]))).one()
    assert seen == 1

    # Stripe keeps no order: a cancellation older than what was applied arrives late and changes nothing.
    late = fake.event("customer.subscription.deleted", {**subscription, "status": "canceled"})
    late["created"] -= 120
    assert (await _post(api, fake, late)).json()["outcome"] == "stale"
    assert (await _overview(owner.organization_id)).plan == "starter"

    # A cancellation with a bad signature, another secret, an old timestamp or no header: refused, nothing changes.
    cancel = fake.event("customer.subscription.deleted", {**subscription, "status": "canceled"})
    cancel_body, good_header = fake.signed(cancel, WEBHOOK_SECRET)
    refused = [
        await api.post("/api/hooks/stripe", content=cancel_body.replace(b"canceled", b"cancelled"),
                       headers={"Stripe-Signature": good_header}),
        await _post(api, fake, cancel, secret="whsec_someone_else"),
        await _post(api, fake, cancel, timestamp=int(time.time()) - 3600),  # a replay past the 5-minute tolerance
        await api.post("/api/hooks/stripe", content=cancel_body),
        await api.post("/api/hooks/stripe", content=b"not json", headers={"Stripe-Signature": "t=1,v1=00"}),
    ]
    assert [r.status_code for r in refused] == [400] * 5
    assert {r.json()["code"] for r in refused} == {"invalid_signature"}
    assert (await _overview(owner.organization_id)).plan == "starter"

    # An event about nobody we know is acknowledged (so Stripe stops) and changes nothing.
    stranger = fake.event("invoice.paid", {"id": "in_x", "customer": "cus_unknown"})
    assert (await _post(api, fake, stranger)).json()["outcome"] == "ignored"


async def test_without_a_webhook_secret_the_route_is_not_there(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/hooks/stripe", content=b"{}", headers={"Stripe-Signature": "t=1,v1=00"})
    assert response.status_code == 404


async def test_only_owners_change_billing_and_scale_is_on_request(stripe_on: FakeStripe, database: str) -> None:
    owner = await _owner()
    admin = Actor.for_member(owner.organization_id, owner.user_id or "", Role.ADMIN)
    async with db.session() as session:
        with pytest.raises(PermissionDenied):
            await subscriptions.change_plan(session, admin, "starter", 5)
        with pytest.raises(PermissionDenied):
            await subscriptions.portal_url(session, admin)
        with pytest.raises(InvalidInput, match="scale_on_request"):
            await subscriptions.change_plan(session, owner, "scale", 30)
        with pytest.raises(InvalidInput, match="invalid_plan"):
            await subscriptions.change_plan(session, owner, "gold", 5)
        with pytest.raises(InvalidInput, match="invalid_instances"):
            await subscriptions.change_plan(session, owner, "starter", 0)
        with pytest.raises(InvalidInput, match="no_billing_account"):
            await subscriptions.portal_url(session, owner)
    assert stripe_on.requests == []  # refused before Stripe was asked anything


async def test_development_mode_switches_plans_at_once_without_stripe(api: httpx.AsyncClient) -> None:
    owner = await _owner()
    async with db.session() as session:
        assert subscriptions.mode() == "development"
        change = await subscriptions.change_plan(session, owner, "starter", 8)
        assert (change.redirect_url, change.plan, change.extra_instances) == ("", "starter", 3)
        billing = await subscriptions.overview(session, owner.organization_id)
        assert (billing.mode, billing.plan, billing.instances_allowed) == ("development", "starter", 8)
        key = await api_keys.create_api_key(session, owner, "billing")
        await session.commit()
    # The API reports the same allowance, extra instances included.
    headers = {"Authorization": f"Bearer {key.secret}"}
    organization = (await api.get("/api/v1/organization", headers=headers)).json()
    usage = (await api.get("/api/v1/usage", headers=headers)).json()
    assert (organization["plan"], organization["limits"]["instances"]) == ("starter", 8)
    assert (usage["limits"]["instances"], usage["today"]["instancesRemaining"]) == (8, 8)
    async with db.session() as session:
        assert await subscriptions.invoices(session, owner.organization_id) == []
        with pytest.raises(InvalidInput, match="billing_development_mode"):
            await subscriptions.portal_url(session, owner)
        await subscriptions.change_plan(session, owner, "scale", 30)
        assert (await session.get(Organization, owner.organization_id)).plan == "scale"  # type: ignore[union-attr]
        await subscriptions.change_plan(session, owner, "free")
        row = (await session.exec(select(Subscription).where(
            Subscription.organization_id == owner.organization_id))).one()
        assert (row.plan, row.instances_extra, row.status) == ("free", 0, "active")
