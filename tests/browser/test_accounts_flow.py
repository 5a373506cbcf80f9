"""Accounts end to end in Chromium against the production build."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def _sign_in(page: Page, live_app: str, email: str, password: str) -> None:
    page.goto(live_app + "/sign-in")
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(password)
    page.locator("#sign-in-submit").click()


def _sign_up(page: Page, email: str, organization: str) -> None:
    expect(page.locator("#sign-up-title")).to_be_visible()
    page.locator("#field-name").fill(email.split("@")[0])
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("#field-organization").fill(organization)
    page.locator("#sign-up-submit").click()
    expect(page).to_have_url(re.compile(r".*/dashboard/?$"))


def _sign_out(page: Page) -> None:
    page.locator("#user-menu").click()
    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r".*/sign-in/?$"))


def test_sign_up_organizations_api_key_sign_out_and_back(live_app: str, page: Page) -> None:
    email = f"ana-{uuid.uuid4().hex[:8]}@example.com"

    # Signed out, the dashboard sends you to sign in.
    page.goto(live_app + "/dashboard/api-keys")
    expect(page).to_have_url(re.compile(r".*/sign-in/?$"))

    # Sign up -> dashboard of the new organization.
    page.locator("#sign-up-link").click()
    _sign_up(page, email, "Acme")
    expect(page.locator("#dashboard-title")).to_have_text("Overview")
    switcher = page.locator("#organization-switcher")
    expect(switcher).to_have_text("Acme")
    session_cookie = next(c for c in page.context.cookies() if c["name"] == "livchat_session")
    assert session_cookie["httpOnly"] is True and session_cookie["sameSite"] == "Lax"

    # A second organization, then switch back with the switcher.
    page.locator("#user-menu").click()
    page.locator("#menu-organizations").click()
    expect(page).to_have_url(re.compile(r".*/select-organization/?$"))
    expect(page.locator("#organization-list")).to_contain_text("Acme")
    page.locator("#field-organization").fill("Beta Labs")
    page.locator("#create-organization").click()
    expect(page).to_have_url(re.compile(r".*/dashboard/?$"))
    expect(switcher).to_have_text("Beta Labs")
    switcher.click()
    page.get_by_role("option", name="Acme").click()
    expect(switcher).to_have_text("Acme")

    # An API key, shown once, works with httpx for this organization, then stops once revoked.
    page.locator("#nav-api_keys").click()
    expect(page.locator("#dashboard-title")).to_have_text("API keys")
    page.locator("#api-key-name").fill("ci")
    page.locator("#create-api-key").click()
    secret = page.locator("#new-api-key").inner_text().strip()
    assert secret.startswith("lc_live_")
    me = httpx.get(f"{live_app}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert me.status_code == 200 and me.json()["organizationName"] == "Acme"
    row = page.locator(".api-key-row").filter(has_text="ci")
    expect(row).to_contain_text(secret[:12])
    page.reload()
    expect(page.locator(".api-key-row").filter(has_text="ci")).not_to_contain_text("Never")  # last used is shown
    expect(page.locator("#new-api-key")).to_have_count(0)  # never shown again
    page.locator(".revoke-key").first.click()
    expect(page.locator(".api-key-row").first).to_contain_text("Revoked")
    gone = httpx.get(f"{live_app}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert gone.status_code == 401 and gone.json()["code"] == "unauthorized"

    # Sign out: the cookie's session is over, the dashboard is closed again.
    _sign_out(page)
    page.goto(live_app + "/dashboard")
    expect(page).to_have_url(re.compile(r".*/sign-in/?$"))

    # A wrong password says so; the right one gets back in.
    _sign_in(page, live_app, email, "not the password")
    expect(page.locator("#sign-in-error")).to_have_text("Wrong email or password.")
    expect(page).to_have_url(re.compile(r".*/sign-in/?$"))
    _sign_in(page, live_app, email, PASSWORD)
    # Two organizations and a fresh session: the user picks one first.
    expect(page).to_have_url(re.compile(r".*/select-organization/?$"))
    page.locator("#organization-list > *").filter(has_text="Acme").locator(".open-organization").click()
    expect(page).to_have_url(re.compile(r".*/dashboard/?$"))
    expect(page.locator("#organization-switcher")).to_have_text("Acme")


def test_invitation_by_emailed_link_then_sign_up_joins_as_member(live_app: str, page: Page) -> None:
    owner, invitee = (f"{who}-{uuid.uuid4().hex[:8]}@example.com" for who in ("owner", "bo"))
    page.goto(live_app + "/sign-up")
    _sign_up(page, owner, "Gamma Co")

    page.locator("#nav-members").click()
    expect(page.locator("#members-table .member-row")).to_have_count(1)
    page.locator("#invite-email").fill(invitee)
    page.locator("#invite-submit").click()
    expect(page.locator(".invitation-row")).to_contain_text(invitee)
    body = page.locator("#outbox .outbox-email").filter(has_text=invitee).locator(".outbox-body").inner_text()
    link = re.search(r"https?://\S+/invite\?token=\S+", body)
    assert link, body

    _sign_out(page)
    page.goto(link.group(0))
    expect(page.locator("#invite-organization")).to_have_text("Gamma Co")
    page.get_by_text("Create an account to accept").click()
    expect(page.locator("#sign-up-title")).to_be_visible()
    expect(page.locator("#field-email")).to_have_value(invitee)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("#sign-up-submit").click()
    expect(page).to_have_url(re.compile(r".*/dashboard/?$"))
    expect(page.locator("#organization-switcher")).to_have_text("Gamma Co")

    page.locator("#nav-members").click()
    expect(page.locator("#members-table .member-row")).to_have_count(2)
    expect(page.locator("#members-table .member-row").filter(has_text=invitee)).to_contain_text("Member")
    expect(page.locator("#invite-email")).to_have_count(0)  # members do not invite
