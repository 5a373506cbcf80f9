"""The /widget page in a customer's page, as shipping Chromium runs it (storage partitioned per
top-level site, third-party cookies blocked): the host page is served from another site
(http://127.0.0.1:P, the app is http://localhost:Q) with the embed snippet. Operator actions go
through the REST API with the organization's key, as an integration would."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from livchat.sandbox.testing import serve_in_thread
from tests.browser.browser_support import livchat_cli
from tests.browser.chromium import close_context
from tests.browser.conftest import ACTION_TIMEOUT_MS
from tests.polling import eventually_sync

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class Shop:
    organization_id: str
    api: httpx.Client


@pytest.fixture(scope="module")
def shop(live_app: str, live_env: dict[str, str]) -> Iterator[Shop]:
    org = f"Widget Shop {uuid.uuid4().hex[:6]}"
    livchat_cli(live_env, "create-user", f"shop-{uuid.uuid4().hex[:8]}@example.com", "--password", "long-password",
                "--org", org)
    key = livchat_cli(live_env, "create-api-key", "--org", org).strip()
    with httpx.Client(base_url=live_app, headers={"Authorization": f"Bearer {key}"}, timeout=30) as api:
        yield Shop(organization_id=api.get("/api/v1/organization").raise_for_status().json()["id"], api=api)


@pytest.fixture(scope="module")
def host_site(live_app: str, shop: Shop) -> Iterator[str]:
    """A customer's page on another site, with the snippet."""
    def page(request: Request) -> HTMLResponse:
        return HTMLResponse(f"""<!doctype html><html lang="en"><head><title>Shop</title></head><body>
<main><h1>Our shop</h1></main>
<script src="{live_app}/embed.js" data-organization-id="{shop.organization_id}" async></script>
</body></html>""")

    with serve_in_thread(Starlette(routes=[Route("/", page)])) as base:
        yield base


def _visitor_page(browser: Browser, ip: str) -> tuple[Page, list[str]]:
    # Each visitor its own address (the app trusts one proxy hop): per-IP limits keep tests apart.
    context = browser.new_context(locale="en-US", extra_http_headers={"X-Forwarded-For": ip})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def _open_widget(page: Page) -> FrameLocator:
    page.get_by_role("button", name="Open chat").click()
    return page.frame_locator("iframe[title=Chat]")


def _start_chat(widget: FrameLocator, name: str) -> None:
    expect(widget.locator("#widget-name")).to_be_visible()
    widget.locator("#widget-name").fill(name)
    widget.locator("#widget-email").fill("ana@example.com")
    widget.locator("#widget-start").click()
    expect(widget.locator("#widget-message")).to_be_visible()


def _conversation_of(shop: Shop, name: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        rows = shop.api.get("/api/v1/conversations").raise_for_status().json()["data"]
        return next((row for row in rows if row["contact"]["name"] == name), None)

    return eventually_sync(found, timeout=15, what=f"{name}'s conversation")


def test_visitor_chats_operator_replies_live_reload_keeps_it_resolve_shows(
        shipping_browser: Browser, host_site: str, shop: Shop) -> None:
    page, errors = _visitor_page(shipping_browser, "198.51.100.21")
    page.goto(host_site)
    widget = _open_widget(page)
    # The form speaks the visitor's language and validates before anything is created.
    widget.locator("#widget-start").click()
    expect(widget.locator("#widget-name-error")).to_have_text("Enter your name (up to 120 characters).")
    expect(widget.locator("#widget-email-error")).to_have_text("Enter a valid email address.")
    name = f"Ana {uuid.uuid4().hex[:6]}"
    _start_chat(widget, name)

    widget.locator("#widget-message").fill("Where is my <b>order</b>?")
    widget.locator("#widget-send").click()
    mine = widget.locator(".lc-widget-message[data-sender=contact]")
    expect(mine).to_contain_text("Where is my <b>order</b>?")  # inert: the markup shows as text
    conversation = _conversation_of(shop, name)
    assert conversation["channel"] == "widget"
    assert conversation["contact"]["email"] == "ana@example.com"
    metadata = conversation["contact"]["metadata"]
    assert metadata.get("userAgent") and metadata.get("timeZone") and metadata.get("language") == "en-US"
    assert metadata.get("referrer", "").startswith(host_site)

    # An operator's reply (REST, like the inbox) shows in the widget without a reload.
    reply = f"Your order ships today {uuid.uuid4().hex[:4]}"
    shop.api.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"text": reply}).raise_for_status()
    expect(widget.locator(".lc-widget-message[data-sender=operator]").filter(has_text=reply)).to_be_visible()

    # The host page reloads: the loader hands the token back, the conversation is still there.
    page.reload()
    widget = _open_widget(page)
    expect(widget.locator(".lc-widget-message[data-sender=contact]")).to_contain_text("Where is my <b>order</b>?")
    expect(widget.locator(".lc-widget-message").filter(has_text=reply)).to_be_visible()
    expect(widget.locator("#widget-name")).to_have_count(0)

    # Closed, the widget tells the launcher how many replies wait; opened again, they count as read.
    page.evaluate("LivChat.close()")
    second = f"Tracking number sent {uuid.uuid4().hex[:4]}"
    shop.api.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"text": second}).raise_for_status()
    expect(page.get_by_role("button", name="Open chat (1 unread)")).to_be_visible()
    page.get_by_role("button", name="Open chat (1 unread)").click()
    expect(widget.locator(".lc-widget-message").filter(has_text=second)).to_be_visible()
    expect(page.get_by_role("button", name="Close chat")).to_be_visible()  # the badge is gone

    shop.api.post(f"/api/v1/conversations/{conversation['id']}/resolve").raise_for_status()
    expect(widget.locator("#widget-resolved")).to_have_text("This conversation was resolved. Write to reopen it.")
    assert errors == []
    close_context(page.context)


def test_attachments_refused_with_clear_errors_and_nothing_stored(
        shipping_browser: Browser, host_site: str, shop: Shop) -> None:
    page, errors = _visitor_page(shipping_browser, "198.51.100.22")
    page.goto(host_site)
    widget = _open_widget(page)
    name = f"Bia {uuid.uuid4().hex[:6]}"
    _start_chat(widget, name)
    widget.locator("#widget-message").fill("Here is my receipt")
    widget.locator("#widget-send").click()
    conversation = _conversation_of(shop, name)
    messages = f"/api/v1/conversations/{conversation['id']}/messages"

    def files() -> list[dict[str, Any]]:
        return [f for m in shop.api.get(messages).raise_for_status().json()["data"] for f in m["attachments"]]

    file_input, error = widget.locator("#widget-file"), widget.locator("#widget-chat-error")
    file_input.set_input_files(files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"just text"}])
    expect(error).to_have_text("Only images (PNG, JPEG, GIF, WebP) and PDF files can be sent.")
    file_input.set_input_files(files=[{"name": "receipt.png", "mimeType": "image/png", "buffer": PDF}])
    expect(error).to_contain_text("does not match its content")
    file_input.set_input_files(files=[{"name": "huge.pdf", "mimeType": "application/pdf",
                                       "buffer": PDF + b"0" * (10 * 1024 * 1024)}])
    expect(error).to_have_text("The file is too large (at most 10 MB).")
    assert files() == []

    # A real PDF goes through, as a link in the visitor's bubble.
    file_input.set_input_files(files=[{"name": "receipt.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    expect(widget.locator(".lc-widget-message[data-sender=contact] a").filter(has_text="receipt.pdf")).to_be_visible()
    expect(error).to_have_count(0)
    assert [f["filename"] for f in files()] == ["receipt.pdf"]
    assert errors == []
    close_context(page.context)


def test_unknown_or_malformed_organization_gets_a_friendly_page(live_app: str, page: Page) -> None:
    for organization_id in ("org_01JD8Z5P0A1B2C3D4E5F6G7H8J", "not-an-id%00<script>", ""):
        response = page.goto(f"{live_app}/widget?organizationId={organization_id}")
        assert response is not None and response.status == 200
        expect(page.locator("#widget-unavailable")).to_have_text("This chat is not available")


def test_widget_answers_with_frame_ancestors_of_the_organization(live_app: str, shop: Shop) -> None:
    response = httpx.get(f"{live_app}/widget?organizationId={shop.organization_id}", timeout=30, follow_redirects=True)
    assert response.status_code == 200 and response.url.path == "/widget/"  # the built page's own path
    assert response.history[0].headers["content-security-policy"] == "frame-ancestors *"
    assert response.headers["content-security-policy"] == "frame-ancestors *"  # no allowed sites listed: any
    assert "x-frame-options" not in response.headers


def test_the_ai_agent_answers_from_the_knowledge_base_with_its_sources(
        shipping_browser: Browser, host_site: str, shop: Shop) -> None:
    """The default responder (`auto`: the offline extractive agent here) answers in the widget and
    cites the knowledge-base file it quotes."""
    policy = ("# Returns policy\n\n## Refunds\n\nRefunds are paid to the original card within 7 business days "
              "of the returned item arriving at our warehouse.\n\n## Exchanges\n\nExchanges for another size are "
              "free within 30 days of delivery.\n")
    uploaded = shop.api.post("/api/v1/knowledge/files",
                             files={"file": ("returns-policy.md", policy.encode(), "text/markdown")})
    uploaded.raise_for_status()
    eventually_sync(lambda: shop.api.get(f"/api/v1/knowledge/files/{uploaded.json()['id']}").json()["status"],
                    lambda status: status == "ready", timeout=120, what="the knowledge file ingested")

    page, errors = _visitor_page(shipping_browser, "198.51.100.23")
    page.goto(host_site)
    widget = _open_widget(page)
    _start_chat(widget, f"Caio {uuid.uuid4().hex[:6]}")
    widget.locator("#widget-message").fill("How long do refunds take to reach my card?")
    widget.locator("#widget-send").click()
    answer = widget.locator(".lc-widget-message[data-sender=ai]")
    expect(answer).to_contain_text("7 business days", timeout=60_000)
    expect(answer.locator(".lc-widget-sources")).to_contain_text("returns-policy.md")
    assert errors == []
    close_context(page.context)


def test_where_the_frame_has_no_storage_the_chat_opens_in_a_tab_and_survives_a_reload(
        browser: Browser, host_site: str, shop: Shop) -> None:
    """Playwright's default Chromium blocks storage in cross-site frames outright (as "block all
    cookies" does): the launcher opens /widget at top level, whose own storage keeps the token."""
    page, errors = _visitor_page(browser, "198.51.100.24")
    page.goto(host_site)
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Open chat").click()
    tab = opened.value
    expect(tab.locator("#widget-name")).to_be_visible()
    expect(tab.locator("#widget-close")).to_have_count(0)  # nothing to close at top level
    name = f"Duda {uuid.uuid4().hex[:6]}"
    tab.locator("#widget-name").fill(name)
    tab.locator("#widget-email").fill("duda@example.com")
    tab.locator("#widget-start").click()
    tab.locator("#widget-message").fill("Opened in a tab")
    tab.locator("#widget-send").click()
    expect(tab.locator(".lc-widget-message[data-sender=contact]")).to_have_text(re.compile("Opened in a tab"))
    tab.reload()
    expect(tab.locator(".lc-widget-message[data-sender=contact]")).to_have_text(re.compile("Opened in a tab"))
    assert _conversation_of(shop, name)["status"] in ("unresolved", "escalated")
    # The only errors: the framed app's own, reading storage the frame may not touch (the frame is gone).
    assert all("Access is denied for this document" in error for error in errors)
    close_context(page.context)
