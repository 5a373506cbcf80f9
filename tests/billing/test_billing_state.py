"""The Billing page's state: what it shows, and a development-mode change sized by the calculator."""

from __future__ import annotations

import livchat.livchat  # noqa: F401  (every state registered in the main context)
from livchat.state.billing import BillingState
from livchat.state.pricing import PricingState
from tests.accounts.accounts_support import run_handler, tab_with_cookie
from tests.factories import signed_in_owner


async def test_an_owner_upgrades_to_the_calculators_instances_in_development_mode(database: str) -> None:
    _, cookie = await signed_in_owner("bia@example.com")
    tab = tab_with_cookie(BillingState, cookie, url="/dashboard/billing")
    events = await run_handler(await BillingState.load.fn(tab))
    assert (tab.mode, tab.plan, tab.instances_used, tab.instances_allowed, tab.can_manage) == \
        ("development", "free", 0, 1, True)
    assert BillingState.load_invoices in events and not tab.awaiting_checkout

    (await tab.get_state(PricingState)).instances = 12
    await run_handler(await BillingState.choose_plan.fn(tab, "starter"))
    assert (tab.error, tab.plan, tab.instances_allowed, tab.extra_instances, tab.changed) == ("", "starter", 12, 7, True)

    await run_handler(await BillingState.choose_plan.fn(tab, "free"))
    assert (tab.plan, tab.instances_allowed) == ("free", 1)


async def test_scale_through_the_calculator_is_on_request_in_stripe_mode(database: str, stripe_on) -> None:  # type: ignore[no-untyped-def]
    _, cookie = await signed_in_owner("caio@example.com")
    tab = tab_with_cookie(BillingState, cookie, url="/dashboard/billing?checkout=done")
    await run_handler(await BillingState.load.fn(tab))
    assert tab.mode == "stripe" and tab.awaiting_checkout  # back from Checkout, the webhook not here yet
    (await tab.get_state(PricingState)).instances = 30
    await run_handler(await BillingState.choose_plan.fn(tab, "starter"))
    assert tab.error == "accounts.errors.scale_on_request" and tab.plan == "free"
