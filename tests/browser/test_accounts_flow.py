"""Accounts end to end in Chromium against the production build."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parents[2]


def _emailed_link(live_env: dict[str, str], to: str, path: str) -> str:
    """The link in the latest email to `to`, read the way an operator without Brevo does
    (`livchat emails`): bodies are encrypted at rest and the dashboard never shows them."""
    shown = subprocess.run([str(Path(sys.executable).parent / "livchat"), "emails", "--to", to, "--limit", "1"],
                           env=live_env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    link = re.search(rf"https?://\S+{re.escape(path)}\?token=\S+", shown.stdout)
    assert link, shown.stdout + shown.stderr
    return link.group(0)


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
    expect(page).to_have_url(re.compile(r".*/sign-in/?\?next=%2Fdashboard%2Fapi-keys%2F?$"))  # and back after

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
    expect(page.locator("#new-api-key")).to_have_text(re.compile(r"^lc_live_"))
    secret = page.locator("#new-api-key").inner_text().strip()
    assert secret.startswith("lc_live_")
    me = httpx.get(f"{live_app}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert me.status_code == 200 and me.json()["organizationName"] == "Acme"
    row = page.locator(".api-key-row").filter(has_text="ci")
    expect(row).to_contain_text(secret[:12])
    page.reload()
    expect(page.locator(".api-key-row").filter(has_text="ci")).not_to_contain_text("Never")  # last used is shown
    expect(page.locator("#new-api-key")).to_be_hidden()  # never shown again
    expect(page.locator("#new-api-key")).to_have_text("")
    page.locator(".revoke-key").first.click()
    expect(page.locator(".api-key-row").first).to_contain_text("Revoked")
    gone = httpx.get(f"{live_app}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert gone.status_code == 401 and gone.json()["code"] == "unauthorized"

    # Sign out: the cookie's session is over, the dashboard is closed again.
    _sign_out(page)
    page.goto(live_app + "/dashboard")
    expect(page).to_have_url(re.compile(r".*/sign-in/?\?next=%2Fdashboard%2F?$"))

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


def test_invitation_by_emailed_link_then_sign_up_joins_as_member(live_app: str, live_env: dict[str, str],
                                                                  page: Page) -> None:
    owner, invitee = (f"{who}-{uuid.uuid4().hex[:8]}@example.com" for who in ("owner", "bo"))
    page.goto(live_app + "/sign-up")
    _sign_up(page, owner, "Gamma Co")

    page.locator("#nav-members").click()
    expect(page.locator("#members-table .member-row")).to_have_count(1)
    page.locator("#invite-email").fill(invitee)
    page.locator("#invite-submit").click()
    expect(page.locator(".invitation-row")).to_contain_text(invitee)
    # The outbox says who was emailed, never the link (it is the invitee's).
    expect(page.locator("#outbox .outbox-email").filter(has_text=invitee)).to_be_visible()
    expect(page.locator("#outbox")).not_to_contain_text("token=")
    link = _emailed_link(live_env, invitee, "/invite")

    _sign_out(page)
    page.goto(link)
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


def test_password_reset_by_the_emailed_link_and_errors_in_portuguese(live_app: str, live_env: dict[str, str],
                                                                   page: Page) -> None:
    email = f"reset-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(live_app + "/sign-up")
    _sign_up(page, email, "Reset Co")
    _sign_out(page)

    # In Portuguese, a wrong password says so in Portuguese.
    page.locator("#language-switcher").click()
    page.locator("#lang-pt-BR").click()
    expect(page.locator("#sign-in-title")).to_have_text("Entrar no LivChat")
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill("not the password")
    page.locator("#sign-in-submit").click()
    expect(page.locator("#sign-in-error")).to_have_text("E-mail ou senha incorretos.")

    # A sign-in link that no longer works lands here with the reason, translated.
    page.goto(live_app + "/sign-in?error=sign_in_link_expired")
    expect(page.locator("#sign-in-error")).to_contain_text("Esse login não foi concluído")

    # Forgot the password: the link comes by email (in the language the account was made in).
    page.get_by_text("Esqueceu a senha?").click()
    expect(page).to_have_url(re.compile(r".*/forgot-password/?$"))
    page.locator("#field-email").fill(email)
    page.get_by_role("button", name="Enviar link").click()
    expect(page.locator("#reset-sent")).to_be_visible()
    link = _emailed_link(live_env, email, "/reset-password")

    page.goto(link)
    page.locator("#field-password").fill("a brand new password")
    page.get_by_role("button", name="Salvar senha").click()
    expect(page.locator("#reset-done")).to_be_visible()

    # The link is spent (opened again from the email, in a new tab); the new password works, the old one does not.
    again = page.context.new_page()
    again.goto(link)
    again.locator("#field-password").fill("yet another password")
    again.get_by_role("button", name="Salvar senha").click()
    expect(again.locator("#form-error")).to_contain_text("Este link de redefinição é inválido")
    expect(again.locator("#reset-ask-again")).to_have_text("Pedir um novo link")  # and the way to a fresh one
    again.close()
    _sign_in(page, live_app, email, PASSWORD)
    expect(page.locator("#sign-in-error")).to_have_text("E-mail ou senha incorretos.")
    _sign_in(page, live_app, email, "a brand new password")
    expect(page).to_have_url(re.compile(r".*/dashboard/?$"))
    expect(page.locator("#organization-switcher")).to_have_text("Reset Co")

    # Signed in, the sign-in page has nothing to offer: on to the dashboard.
    page.goto(live_app + "/sign-in")
    expect(page).to_have_url(re.compile(r".*/dashboard/?$"))
