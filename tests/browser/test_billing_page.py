"""The Billing page in Chromium against the production build, in development mode (no Stripe
keys): the plan and usage against it, the price calculator, an upgrade to Starter with extra
instances applied at once, and back to Free; at a phone's width nothing overflows."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def _sign_up(page: Page, live_app: str) -> None:
    page.goto(live_app + "/sign-up")
    expect(page.locator("#sign-up-title")).to_be_visible()
    page.locator("#field-name").fill("Bia")
    page.locator("#field-email").fill(f"bia-{uuid.uuid4().hex[:8]}@example.com")
    page.locator("#field-password").fill(PASSWORD)
    page.locator("#field-organization").fill("Bia Billing")
    page.locator("#sign-up-submit").click()
    expect(page).to_have_url(re.compile(r".*/dashboard/?$"))


def test_calculator_and_upgrade_in_development_mode(live_app: str, page: Page) -> None:
    _sign_up(page, live_app)
    page.locator("#nav-billing").click()
    expect(page.locator("#dashboard-title")).to_have_text("Billing")
    expect(page.locator("#billing-dev-mode")).to_contain_text("Development mode")
    expect(page.locator("#billing-plan")).to_have_text("Free")
    expect(page.locator("#billing-instances")).to_have_text("0/1")
    expect(page.locator("#billing-no-invoices")).to_have_text("No invoices in development mode.")

    # The calculator: 7 instances by default, one more is R$ 445 + 3 × R$ 89.
    page.locator("#pricing-more").click()
    expect(page.locator("#pricing-instances")).to_have_value("8")
    expect(page.locator("#pricing-total")).to_have_text("R$712.00")

    page.locator("#billing-upgrade").click()
    expect(page.locator("#billing-changed")).to_be_visible()
    expect(page.locator("#billing-plan")).to_have_text("Starter")
    expect(page.locator("#billing-instances")).to_have_text("0/8")
    expect(page.locator("#billing-extra")).to_contain_text("3")

    page.reload()  # it is the organization's plan, not the tab's
    expect(page.locator("#billing-plan")).to_have_text("Starter")

    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a phone"

    page.locator("#billing-downgrade").click()
    expect(page.locator("#billing-plan")).to_have_text("Free")
    expect(page.locator("#billing-instances")).to_have_text("0/1")
