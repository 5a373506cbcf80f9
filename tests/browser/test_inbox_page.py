"""The operator's inbox and the widget customization page in Chromium against the production build.

A visitor writes through the widget client API (REST, as the widget does) → the conversation
appears in the signed-in operator's inbox without a reload, with its unread count and the tab
title's signal → the visitor's typing shows → the operator replies (Enter) → the visitor reads it
over REST → `e` resolves it → the REST API says resolved; search and the status filter; a
`<script>` message shows as text; on a phone, list and conversation are two screens.
Customization: the preview follows the form, Save reaches GET /api/widget/settings, and a member
sees the settings but has no way to save them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.browser_support import LinkedAccount, livchat_cli, sign_in
from tests.polling import eventually_sync

pytestmark = pytest.mark.browser

SCRIPT_TEXT = "<script>window.__inboxPwned = 1</script> Where is my order?"


def _organization_id(live_app: str, account: LinkedAccount) -> str:
    headers = {"Authorization": f"Bearer {account.api_key}"}
    return httpx.get(live_app + "/api/v1/organization", headers=headers, timeout=30).raise_for_status().json()["id"]


def _visitor(live_app: str, organization_id: str, name: str) -> dict[str, str]:
    """A widget contact session, from an address of its own (per-IP limits keep tests apart)."""
    ip = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    created = httpx.post(live_app + "/api/widget/sessions", timeout=30, headers={"X-Forwarded-For": ip}, json={
        "organizationId": organization_id, "name": name, "email": f"{name.split()[-1]}@visitor.example",
        "metadata": {"language": "pt-BR", "timeZone": "America/Sao_Paulo", "referrer": "https://shop.example/cart"},
    }).raise_for_status().json()
    return {"X-Contact-Token": created["contactToken"], "X-Forwarded-For": ip}


def _inbox(live_app: str, account: LinkedAccount, open_context: Callable[..., BrowserContext]) -> Page:
    page = open_context(viewport={"width": 1366, "height": 900}).new_page()
    sign_in(page, live_app, account.email, account.password)
    page.goto(live_app + "/dashboard/inbox")
    expect(page.locator("#inbox-root")).to_be_visible()
    return page


def test_a_visitor_message_arrives_live_the_reply_reaches_them_and_e_resolves(  # type: ignore[no-untyped-def]
        live_app: str, linked_account: LinkedAccount, open_context) -> None:
    organization_id = _organization_id(live_app, linked_account)
    operator = _inbox(live_app, linked_account, open_context)
    name = f"Visitor {uuid.uuid4().hex[:8]}"
    visitor = _visitor(live_app, organization_id, name)

    posted = httpx.post(live_app + "/api/widget/messages", json={"text": SCRIPT_TEXT}, headers=visitor,
                        timeout=30).raise_for_status().json()
    item = operator.locator(".inbox-item", has_text=name)
    expect(item).to_be_visible()  # live: no reload
    expect(item.locator(".inbox-unread")).to_have_text("1")
    expect(operator).to_have_title(re.compile(r"^\(\d+\) LivChat — Inbox$"))

    item.click()
    expect(operator.locator("#inbox-conversation-title")).to_have_text(name)
    text = operator.locator(".inbox-message.sender-contact .inbox-text").first
    expect(text).to_have_text(SCRIPT_TEXT)  # shown as text, never run
    assert operator.evaluate("window.__inboxPwned") is None
    expect(operator.locator("#contact-time-zone")).to_have_text("America/Sao_Paulo")
    expect(operator.locator("#contact-referrer")).to_have_text("https://shop.example/cart")
    expect(item.locator(".inbox-unread")).to_have_count(0)  # read once opened

    httpx.post(live_app + "/api/widget/typing", json={"typing": True}, headers=visitor, timeout=30).raise_for_status()
    expect(operator.locator("#inbox-contact-typing")).to_have_text("The visitor is typing…")

    reply = operator.locator("#inbox-reply")
    reply.fill("It ships tomorrow.")
    reply.press("Enter")
    expect(operator.locator(".inbox-message.sender-operator .inbox-text").last).to_have_text("It ships tomorrow.")
    expect(reply).to_have_value("")

    def visitor_sees_reply() -> bool:
        data = httpx.get(live_app + "/api/widget/messages", headers=visitor, timeout=30).json()["data"]
        return any(m["sender"] == "operator" and m["text"] == "It ships tomorrow." for m in data)

    eventually_sync(visitor_sees_reply, timeout=15, what="the visitor reading the operator's reply")

    operator.locator("#inbox-conversation-title").click()  # focus out of the reply box
    operator.keyboard.press("e")
    expect(operator.locator("#inbox-conversation-status")).to_have_class(re.compile(r"\bstatus-resolved\b"))
    api = {"Authorization": f"Bearer {linked_account.api_key}"}
    conversation = httpx.get(f"{live_app}/api/v1/conversations/{posted['conversationId']}", headers=api,
                             timeout=30).raise_for_status().json()
    assert conversation["status"] == "resolved"
    status = httpx.get(live_app + "/api/widget/messages", headers=visitor, timeout=30).json()["conversation"]
    assert status["status"] == "resolved"


def test_search_and_the_status_filter(live_app: str, linked_account: LinkedAccount, open_context) -> None:  # type: ignore[no-untyped-def]
    organization_id = _organization_id(live_app, linked_account)
    operator = _inbox(live_app, linked_account, open_context)
    tag = uuid.uuid4().hex[:8]
    first, second = f"Search {tag} Alpha", f"Search {tag} Beta"
    for name, text in ((first, f"parcel {tag} is late"), (second, "a refund please")):
        httpx.post(live_app + "/api/widget/messages", json={"text": text},
                   headers=_visitor(live_app, organization_id, name), timeout=30).raise_for_status()
    expect(operator.locator(".inbox-item", has_text=second)).to_be_visible()

    operator.locator("#inbox-search").fill(f"parcel {tag}")  # message text
    operator.locator("#inbox-search").press("Enter")
    expect(operator.locator(".inbox-item")).to_have_count(1)
    expect(operator.locator(".inbox-item")).to_contain_text(first)
    operator.locator("#inbox-search").fill("Beta@visitor")  # email
    operator.locator("#inbox-search").press("Enter")
    expect(operator.locator(".inbox-item")).to_have_count(1)
    expect(operator.locator(".inbox-item")).to_contain_text(second)

    operator.locator(".inbox-item", has_text=second).click()
    operator.locator("#inbox-resolve").click()
    expect(operator.locator("#inbox-conversation-status")).to_have_class(re.compile(r"\bstatus-resolved\b"))
    operator.locator("#inbox-search").fill(tag)
    operator.locator("#inbox-search").press("Enter")
    expect(operator.locator(".inbox-item")).to_have_count(2)
    operator.locator("#inbox-status-filter").click()
    operator.locator("#inbox-filter-resolved").click()
    expect(operator.locator(".inbox-item")).to_have_count(1)
    expect(operator.locator(".inbox-item")).to_contain_text(second)


def test_phones_show_the_list_and_the_conversation_as_two_screens(  # type: ignore[no-untyped-def]
        live_app: str, linked_account: LinkedAccount, open_context) -> None:
    organization_id = _organization_id(live_app, linked_account)
    name = f"Phone {uuid.uuid4().hex[:8]}"
    httpx.post(live_app + "/api/widget/messages", json={"text": "from a phone"},
               headers=_visitor(live_app, organization_id, name), timeout=30).raise_for_status()
    phone = open_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, live_app, linked_account.email, linked_account.password)
    phone.goto(live_app + "/dashboard/inbox")
    item = phone.locator(".inbox-item", has_text=name)
    item.click()
    expect(phone.locator("#inbox-conversation-title")).to_be_visible()
    expect(phone.locator("#inbox-list")).to_be_hidden()
    phone.locator("#inbox-back").click()
    expect(item).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_customization_preview_follows_the_form_and_save_reaches_the_widget(  # type: ignore[no-untyped-def]
        live_app: str, linked_account: LinkedAccount, live_env: dict[str, str], open_context) -> None:
    organization_id = _organization_id(live_app, linked_account)
    owner = open_context(viewport={"width": 1366, "height": 900}).new_page()
    sign_in(owner, live_app, linked_account.email, linked_account.password)
    owner.goto(live_app + "/dashboard/widget")
    expect(owner.locator("#widget-preview")).to_be_visible()
    expect(owner.locator("#widget-snippet")).to_contain_text(f'data-organization-id="{organization_id}"')
    expect(owner.locator("#widget-csp")).to_contain_text("frame-src")
    expect(owner.locator("#widget-any-site")).to_be_visible()

    owner.locator("#widget-greeting").fill("Hello from the test!")
    expect(owner.locator("#preview-greeting")).to_have_text("Hello from the test!")
    owner.locator("#widget-primary-color").fill("#aa2200")
    expect(owner.locator("#widget-preview")).to_have_attribute("data-color", "#aa2200")
    owner.locator("#widget-suggestions").fill("Where is my order?\nReturns")
    expect(owner.locator(".preview-suggestion")).to_have_count(2)
    owner.locator("#widget-save").click()
    expect(owner.locator("#widget-saved")).to_be_visible()

    public = httpx.get(live_app + "/api/widget/settings", params={"organizationId": organization_id},
                       timeout=30).raise_for_status().json()
    assert (public["greeting"], public["primaryColor"], public["suggestions"]) == (
        "Hello from the test!", "#aa2200", ["Where is my order?", "Returns"])

    email = f"member-{uuid.uuid4().hex[:8]}@example.com"
    livchat_cli(live_env, "create-user", email, "--password", "long-password", "--org", "Linked Co",
                "--role", "member")
    member = open_context().new_page()
    sign_in(member, live_app, email, "long-password")
    member.goto(live_app + "/dashboard/widget")
    expect(member.locator("#widget-read-only")).to_be_visible()
    expect(member.locator("#preview-greeting")).to_have_text("Hello from the test!")
    expect(member.locator("#widget-save")).to_have_count(0)
    expect(member.locator("#widget-greeting")).to_have_attribute("readonly", "")
