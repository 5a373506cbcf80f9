"""Dashboard → Billing: the plan, usage against it, changing it, the Customer Portal, invoices.

Thin: every figure and every change is services/billing's (which checks the role: only owners
change billing). What may wait on Stripe (a plan change, the portal, invoices) runs in the
background, so the tab never freezes on the network.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from livchat.core.db import db
from livchat.services.billing import prices, subscriptions
from livchat.services.billing.schemas import BillingOut, InvoiceOut
from livchat.services.errors import ServiceError
from livchat.state.auth import authorized, current_context, error_key, full_navigation
from livchat.state.pricing import PricingState
from livchat.state.times import when

CHECKOUT_POLLS, CHECKOUT_POLL_SECONDS = 20, 1.5


def _invoice_row(invoice: InvoiceOut) -> dict[str, str]:
    return {"id": invoice.id, "number": invoice.number, "status": invoice.status, "created": when(invoice.created_at),
            "amount_en": prices.format_price(invoice.amount_cents, "en"),
            "amount_pt": prices.format_price(invoice.amount_cents, "pt-BR"), "url": invoice.url}


class BillingState(rx.State):
    mode: str = ""
    plan: str = ""
    subscribed_plan: str = ""
    status: str = ""
    extra_instances: int = 0
    instances_used: int = 0
    instances_allowed: int = 0
    grace_ends: str = ""  # when a past-due plan falls to Free limits ("" when not past due)
    renews: str = ""
    has_customer: bool = False
    can_manage: bool = False
    invoices: list[dict[str, str]] = []
    invoices_loaded: bool = False
    busy: bool = False
    error: str = ""
    changed: bool = False  # a plan change just applied (development mode, or a quantity change)
    awaiting_checkout: bool = False  # back from Checkout, Stripe's confirmation not here yet

    def _show(self, billing: BillingOut) -> None:
        self.mode, self.plan, self.subscribed_plan = billing.mode, billing.plan, billing.subscribed_plan
        self.status, self.extra_instances = billing.status, billing.extra_instances
        self.instances_used, self.instances_allowed = billing.instances_used, billing.instances_allowed
        self.grace_ends = when(billing.grace_ends_at) if billing.grace_ends_at else ""
        self.renews = when(billing.current_period_end) if billing.current_period_end else ""
        self.has_customer = billing.has_customer

    @rx.event
    @authorized
    async def load(self) -> Any:
        ctx = await current_context(self)
        self.error, self.busy, self.changed = "", False, False
        self.can_manage = ctx.can("manage_billing")
        async with db.session() as session:
            self._show(await subscriptions.overview(session, ctx.organization.id))
        self.invoices, self.invoices_loaded = [], False
        # Back from Stripe Checkout: the plan changes when Stripe's webhook arrives, seconds later.
        self.awaiting_checkout = (self.router.url.query_parameters.get("checkout") == "done"
                                  and self.mode == "stripe" and self.plan == "free")
        return [BillingState.load_invoices] + ([BillingState.await_checkout] if self.awaiting_checkout else [])

    @rx.event(background=True)
    @authorized
    async def await_checkout(self) -> None:
        """Re-read the plan a few times while Stripe's confirmation is on its way (bounded)."""
        if not self.awaiting_checkout:  # only after `load` saw the return from Checkout
            return
        ctx = await current_context(self)
        for _ in range(CHECKOUT_POLLS):
            await asyncio.sleep(CHECKOUT_POLL_SECONDS)
            async with db.session() as session:
                billing = await subscriptions.overview(session, ctx.organization.id)
            if billing.plan != "free":
                async with self:
                    self._show(billing)
                    self.awaiting_checkout, self.changed = False, True
                return
        async with self:
            self.awaiting_checkout = False

    @rx.event(background=True)
    @authorized
    async def load_invoices(self) -> None:
        ctx = await current_context(self)
        rows: list[dict[str, str]] = []
        error = ""
        try:
            async with db.session() as session:
                rows = [_invoice_row(i) for i in await subscriptions.invoices(session, ctx.organization.id)]
        except ServiceError as exc:
            error = error_key(exc)
        async with self:
            self.invoices, self.invoices_loaded = rows, True
            self.error = self.error or error

    @rx.event(background=True)
    @authorized
    async def choose_plan(self, plan: str) -> Any:
        """Move to `plan`; Starter with as many instances as the calculator shows."""
        ctx = await current_context(self)
        async with self:
            self.error, self.busy, self.changed = "", True, False
            instances = (await self.get_state(PricingState)).instances
        try:
            async with db.session() as session:
                change = await subscriptions.change_plan(session, ctx.actor, plan, instances)
                billing = await subscriptions.overview(session, ctx.organization.id)
        except ServiceError as exc:
            async with self:
                self.error, self.busy = error_key(exc), False
            return None
        async with self:
            self.busy = False
            self._show(billing)
            self.changed = not change.redirect_url
        return full_navigation(change.redirect_url) if change.redirect_url else None

    @rx.event(background=True)
    @authorized
    async def open_portal(self) -> Any:
        ctx = await current_context(self)
        async with self:
            self.error, self.busy = "", True
        try:
            async with db.session() as session:
                url = await subscriptions.portal_url(session, ctx.actor)
        except ServiceError as exc:
            async with self:
                self.error, self.busy = error_key(exc), False
            return None
        async with self:
            self.busy = False
        return full_navigation(url)
