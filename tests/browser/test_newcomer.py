"""What a newcomer hits first, in Chromium against the production build: either loopback address
works, a phone gets every control, the keyboard alone signs in and sends, the dead ends lead on
(docs, a first curl, the plans), times say their zone."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.browser_support import LinkedAccount, livchat_cli, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _tab_to(page: Page, element_id: str, presses: int = 40) -> None:
    """Press Tab until the element with `element_id` has the focus (a bounded number of times)."""
    for _ in range(presses):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    pytest.fail(f"#{element_id} never got the focus in {presses} Tabs")


def _fits_the_phone(page: Page, path: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} scrolls sideways ({width} px wide)"


def test_localhost_and_127_0_0_1_both_load_hydrate_and_sign_in(live_app: str, live_env: dict[str, str],
                                                              open_context) -> None:  # type: ignore[no-untyped-def]
    """PUBLIC_URL says localhost; a newcomer may type 127.0.0.1 (or the reverse): both must get a
    live page (the websocket accepted) and a session cookie that works."""
    port = urlsplit(live_app).port
    for host in ("127.0.0.1", "localhost"):
        email = f"twin-{uuid.uuid4().hex[:8]}@example.com"
        livchat_cli(live_env, "create-user", email, "--password", "long-password", "--org", "Twin Co")
        page = open_context().new_page()
        origin = f"http://{host}:{port}"
        page.goto(origin + "/")
        # The language lives in server state: the switch only works over a connected websocket.
        page.locator("#language-switcher").click()
        page.locator("#lang-pt-BR").click()
        expect(page.locator("#hero-title")).to_contain_text("Conecte o WhatsApp")

        sign_in(page, origin, email, "long-password")  # the sign-in POST comes from this origin
        expect(page).to_have_url(re.compile(rf"^{re.escape(origin)}/dashboard/?$"))
        expect(page.locator("#dashboard-title")).to_have_text("Visão geral")

        # Signed in, public pages offer the account, not "Sign in"; the docs are one click away.
        page.goto(origin + "/sandbox")
        expect(page.locator("#nav-account")).to_contain_text(email)
        expect(page.locator("#nav-sign-in")).to_have_count(0)
        page.locator("#nav-docs").click()
        expect(page).to_have_url(f"{origin}/docs")
        expect(page).to_have_title(re.compile(r"^(LivChat API|API do LivChat)$"))  # in the chosen language


def test_on_a_phone_no_page_scrolls_sideways_and_the_instance_page_works(
        live_app: str, linked_account: LinkedAccount, open_context) -> None:  # type: ignore[no-untyped-def]
    page = open_context(viewport=PHONE).new_page()
    sign_in(page, live_app, linked_account.email, linked_account.password)
    instance_page = f"/dashboard/instances/{linked_account.instance_id}"
    for path, ready in [("/", "#hero-title"), ("/sandbox", "#sandbox-title"), ("/dashboard", "#dashboard-title"),
                        ("/dashboard/instances", ".instance-row"), ("/dashboard/api-keys", ".api-key-row"),
                        ("/dashboard/webhooks", ".webhook-overview-row"), ("/dashboard/analytics", "#wa-chart-messages svg"),
                        ("/dashboard/members", ".member-row"), (instance_page, ".message-row")]:
        page.goto(live_app + path)
        expect(page.locator(ready).first).to_be_visible()
        _fits_the_phone(page, path)

    # Every control of the send form is there and usable.
    text, send = page.locator("#send-text"), page.locator("#send-message")
    text_box = text.bounding_box()
    assert text_box and text_box["width"] > 100, f"the message field is {text_box} wide"
    send.scroll_into_view_if_needed()  # below the fold on a phone (the AI switch sits above it): reachable
    expect(send).to_be_in_viewport()
    send_box = send.bounding_box()
    assert send_box and send_box["x"] >= 0 and send_box["x"] + send_box["width"] <= PHONE["width"], send_box
    # Table rows are cards: each value under its column's name.
    direction = page.locator(".message-row").first.locator("td").nth(1)
    expect(direction).to_have_attribute("data-label", "Direction")
    assert direction.evaluate("td => getComputedStyle(td, '::before').content") == '"Direction"'

    page.locator("#send-to").fill("+55 11 91234-5678")
    text.fill("sent from a phone")
    send.click()
    expect(page.locator(".message-row", has_text="sent from a phone")).to_have_attribute("data-status", "sent")
    expect(text).to_have_value("")  # sent: a second click must not send it again
    expect(page.locator("#send-to")).to_have_value("+55 11 91234-5678")  # the recipient stays
    send.click()  # the emptied (required) field stops a second send
    expect(page.locator(".message-row", has_text="sent from a phone")).to_have_count(1)

    # The phone menu holds what the sidebar holds: account, organizations, language, theme, sign-out.
    menu = page.locator("#mobile-menu-content")

    def choose(item: str) -> None:
        page.locator("#mobile-menu").click()
        expect(menu).to_be_visible()
        menu.locator(item).click()
        expect(menu).to_be_hidden()

    page.locator("#mobile-menu").click()
    expect(menu.get_by_role("menuitem", name="Instances")).to_be_visible()
    expect(menu.locator(".mobile-organization")).to_have_text(["Linked Co"])
    expect(menu).to_contain_text(linked_account.email)
    for item in ("#mobile-docs", "#mobile-organizations", "#mobile-lang-pt-BR", "#mobile-theme", "#mobile-sign-out"):
        expect(menu.locator(item)).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    choose("#mobile-lang-pt-BR")
    expect(page.locator("#dashboard-title")).to_have_text("Instâncias")
    dark = "dark" in (page.locator("html").get_attribute("class") or "")
    choose("#mobile-theme")
    expect(page.locator("html")).to_have_class(re.compile(r"\blight\b" if dark else r"\bdark\b"))
    choose("#mobile-sign-out")
    expect(page).to_have_url(re.compile(r".*/sign-in/?$"))


def test_keyboard_only_sign_in_and_send_then_the_ways_on(live_app: str, linked_account: LinkedAccount,
                                                         open_context) -> None:  # type: ignore[no-untyped-def]
    page = open_context(timezone_id="America/Sao_Paulo").new_page()
    page.goto(live_app + "/sign-in")
    expect(page.locator("#sign-in-submit")).to_be_enabled()  # hydrated
    _tab_to(page, "field-email")
    page.keyboard.type(linked_account.email)
    page.keyboard.press("Tab")
    expect(page.locator("#field-password")).to_be_focused()
    page.keyboard.type(linked_account.password)
    page.keyboard.press("Enter")
    expect(page.locator("#dashboard-title")).to_have_text("Overview")

    page.goto(f"{live_app}/dashboard/instances/{linked_account.instance_id}")
    expect(page.locator(".message-row").first).to_be_visible()
    _tab_to(page, "send-to", presses=60)  # past the sidebar's links
    page.keyboard.type("5511912345678")
    page.keyboard.press("Tab")
    expect(page.locator("#send-text")).to_be_focused()
    page.keyboard.type("sent with the keyboard")
    page.keyboard.press("Enter")
    expect(page.locator(".message-row", has_text="sent with the keyboard")).to_have_attribute("data-status", "sent")
    expect(page.locator("#send-text")).to_have_value("")

    # Times in the viewer's zone (São Paulo here), the UTC time in the tooltip.
    first_time = page.locator(".message-row time").first
    expect(first_time).to_contain_text("GMT-3")
    expect(first_time).to_have_attribute("title", re.compile(r"UTC$"))
    expect(first_time).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"))
    # The arrows say what they mean to a screen reader.
    expect(page.locator(".message-row[data-direction=inbound] .message-direction")).to_contain_text("Received")

    # The free plan's single instance is taken: the refusal leads to the Billing page.
    page.goto(live_app + "/dashboard/instances")
    page.locator("#instance-name").fill("Second")
    page.locator("#create-instance").click()
    expect(page.locator("#dashboard-error")).to_contain_text("instance limit")
    expect(page.locator("#see-plans")).to_have_attribute("href", "/dashboard/billing")

    # A new key comes with a first call to paste, and the docs are linked from the keys page.
    page.locator("#nav-api_keys").click()
    expect(page.locator("#api-keys-docs")).to_have_attribute("href", "/docs")
    page.locator("#api-key-name").fill("first")
    page.locator("#create-api-key").click()
    key = page.locator("#new-api-key")
    expect(key).to_have_text(re.compile(r"^lc_live_"))
    expect(page.locator("#new-api-key-curl")).to_have_text(
        f'curl -H "Authorization: Bearer {key.text_content()}" {live_app}/api/v1/instances')
    expect(page.locator("#copy-curl")).to_be_visible()
    expect(page.locator("#sidebar-docs")).to_have_attribute("href", "/docs")
