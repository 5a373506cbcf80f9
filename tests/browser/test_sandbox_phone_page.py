"""The simulated phone page against the served app, as the landing page's anonymous visitor:
their test-panel session (token in local storage) is the only one they see; link it by clicking,
write as a contact, see what the number sent, mark it delivered and read, go offline and back,
log out — with the message types and statuses in both languages."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import Page, expect

from livchat.state.sandbox_phone import ANONYMOUS_TOKEN_STORAGE

pytestmark = pytest.mark.browser


def _test_panel_session(api: httpx.Client) -> tuple[str, dict[str, str]]:
    """A test-panel session whose WhatsApp is connecting (QR shown), as the landing page makes it."""
    token = api.post("/api/public/session").json()["anonymousToken"]
    headers = {"X-Anonymous-Token": token}
    assert api.post("/api/public/connect", headers=headers).status_code == 200
    return token, headers


def test_the_visitor_links_their_session_writes_and_reads_receipts(live_app: str, page: Page) -> None:
    with httpx.Client(base_url=live_app, timeout=20) as api:
        token, visitor = _test_panel_session(api)

        page.add_init_script(f"window.localStorage.setItem({json.dumps(ANONYMOUS_TOKEN_STORAGE)}, {json.dumps(token)})")
        page.goto(live_app + "/sandbox")
        expect(page.locator("#sandbox-title")).to_have_text("Simulated phone")
        row = page.locator("[id^=sandbox-session-]")
        expect(row).to_have_count(1)  # theirs only, whatever else the sandbox holds
        expect(row).to_contain_text("Test panel")
        expect(row).to_contain_text("Waiting for a QR code")
        page.locator("#sandbox-phone").fill("5511944443333")
        row.locator("[id^=sandbox-link-]").click()
        expect(row).to_contain_text("5511944443333")
        expect(page.locator("#sandbox-notice")).to_have_text("Linked.")
        status = api.get("/api/public/status", headers=visitor).json()
        assert status["loggedIn"] and status["whatsappJid"] == "5511944443333@s.whatsapp.net"

        page.locator("#sandbox-from").fill("5511912345678")
        page.locator("#sandbox-text").fill("Hi, is the shop open?")
        page.locator("#sandbox-send").click()
        expect(page.locator("#sandbox-notice")).to_have_text("Message delivered to the number.")
        expect(page.locator("#sandbox-text")).to_have_value("")

        sent = api.post("/api/public/message", headers=visitor, json={"to": "+55 11 91234-5678",
                                                                      "message": "Yes, until 6pm"})
        assert sent.status_code == 200, sent.text
        # No click: the page's timer picks up what the number sent.
        item = page.locator("[id^=sandbox-out-]", has_text="Yes, until 6pm")
        expect(item).to_be_visible()
        item.locator("[id^=sandbox-delivered-]").click()
        expect(item.locator("[id^=sandbox-status-]")).to_contain_text("text · delivered")
        item.locator("[id^=sandbox-read-]").click()
        expect(item.locator("[id^=sandbox-status-]")).to_contain_text("text · read")

        page.locator("#language-switcher").click()
        page.locator("#lang-pt-BR").click()
        expect(page.locator("#sandbox-title")).to_have_text("Celular simulado")
        expect(page).to_have_title("LivChat — Celular simulado")
        expect(item.locator("[id^=sandbox-status-]")).to_contain_text("texto · lida")
        page.locator("#sandbox-disconnect").click()
        expect(page.locator("#sandbox-notice")).to_have_text("O celular ficou offline.")
        expect(row).to_contain_text("Offline (conexão caiu)")
        row.locator("[id^=sandbox-reconnect-]").click()
        expect(row).to_contain_text("Conectada")
        page.locator("#sandbox-logout").click()
        expect(page.locator("#sandbox-notice")).to_have_text("O celular saiu da sessão.")
        expect(row).to_contain_text("Desconectada")
        assert api.get("/api/public/status", headers=visitor).json()["loggedIn"] is False


def test_without_a_session_or_account_nothing_is_shown(live_app: str, page: Page) -> None:
    with httpx.Client(base_url=live_app, timeout=20) as api:
        _test_panel_session(api)  # someone else's, waiting
    page.goto(live_app + "/sandbox")
    expect(page.locator("#sandbox-sessions")).to_contain_text("Sign in to see your instances' sessions")
    expect(page.locator("[id^=sandbox-session-]")).to_have_count(0)
