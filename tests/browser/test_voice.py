"""Dashboard → Voice and the widget's "Call us" button in Chromium against the production build, with
VAPI_API_URL at the local fake Vapi (tests/fakes/vapi_server.py): connecting (a refused key, then
good ones shown by their last 4 only), the assistants and phone numbers, the widget's assistant, at
1366 px in English and Portuguese with no serious axe finding; then the widget's button starts a web
call through the real @vapi-ai/web (its POST /call/web reaches the fake with the public key) and the
call's record lands in the conversation.

What cannot run here: the audio itself. After POST /call/web the SDK joins the call's Daily room
(webCallUrl), which needs Daily's servers; offline the join fails, the SDK reports the error, and the
page records the call from GET /call/{id} (the fake ends each web call at once: `auto_end`)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.browser_support import livchat_cli, sign_in
from tests.browser.test_accessibility import AXE, _serious_violations
from tests.fakes.vapi_server import FakeVapi
from tests.polling import eventually_sync

pytestmark = pytest.mark.browser


def test_connect_vapi_choose_the_widgets_assistant_and_call_from_the_widget(  # type: ignore[no-untyped-def]
        live_app: str, live_env: dict[str, str], _fake_vapi_session: FakeVapi, open_context) -> None:
    assert AXE.exists(), f"{AXE} is missing: `make test` (or `make axe`) installs it"
    fake = _fake_vapi_session
    account = fake.account()
    fake.auto_end = True
    email, password, org_name = f"voice-{uuid.uuid4().hex[:8]}@example.com", "long-password", "Voice Co"
    livchat_cli(live_env, "create-user", email, "--password", password, "--org", org_name)
    key = livchat_cli(live_env, "create-api-key", "--org", org_name).strip()
    api = httpx.Client(base_url=live_app, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    organization_id = api.get("/api/v1/organization").raise_for_status().json()["id"]

    owner = open_context(locale="en-US", viewport={"width": 1366, "height": 900}).new_page()
    sign_in(owner, live_app, email, password)
    owner.locator("#nav-voice").click()
    expect(owner.locator("#dashboard-title")).to_have_text("Voice")
    expect(owner.locator("#voice-connect-card")).to_be_visible()
    expect(owner.get_by_label("Private API key")).to_have_attribute("type", "password")

    owner.get_by_label("Private API key").fill(account.public_key)  # the wrong key
    owner.get_by_label("Public API key").fill(account.public_key[::-1])
    owner.locator("#voice-connect").click()
    expect(owner.locator("#voice-error")).to_contain_text("Vapi refused this private key")

    owner.get_by_label("Private API key").fill(account.private_key)
    owner.get_by_label("Public API key").fill(account.public_key)
    owner.locator("#voice-connect").click()
    expect(owner.locator("#voice-connected")).to_be_visible()
    expect(owner.locator("#voice-private-last4")).to_have_text("…" + account.private_key[-4:])
    expect(owner.locator("#voice-public-last4")).to_have_text("…" + account.public_key[-4:])
    expect(owner.get_by_label("Private API key")).to_have_value("")  # the form forgets what was typed
    expect(owner.locator(".voice-assistant")).to_have_count(2)
    expect(owner.locator(".voice-number")).to_contain_text(account.phone_numbers[0]["number"])
    owner.locator(f'.voice-choose[data-assistant="{account.assistants[0]["id"]}"]').click()
    expect(owner.locator("#voice-widget-assistant")).to_have_text(account.assistants[0]["name"])
    html = owner.content()
    assert account.private_key not in html and account.public_key not in html
    violations = {"en": _serious_violations(owner)}

    portuguese = open_context(locale="pt-BR", viewport={"width": 1366, "height": 900}).new_page()
    sign_in(portuguese, live_app, email, password)
    portuguese.goto(live_app + "/dashboard/voice")
    expect(portuguese.locator("#dashboard-title")).to_have_text("Voz")
    expect(portuguese.locator("#voice-widget-assistant")).to_have_text(account.assistants[0]["name"])
    expect(portuguese.locator(".voice-chosen")).to_have_text("No widget")
    expect(portuguese.locator("html")).to_have_attribute("lang", "pt-BR")
    violations["pt-BR"] = _serious_violations(portuguese)
    assert not any(violations.values()), violations

    # The widget, in a tab of its own: the contact form, then "Call us".
    visitor = open_context(locale="en-US", viewport={"width": 400, "height": 700},
                           permissions=["microphone"]).new_page()
    said: list[str] = []  # the page's console and errors, shown when the call does not reach the fake
    visitor.on("console", lambda message: said.append(f"{message.type}: {message.text}"))
    visitor.on("pageerror", lambda error: said.append(f"pageerror: {error}"))
    visitor.on("requestfailed", lambda request: said.append(f"failed: {request.method} {request.url} "
                                                            f"{request.failure}"))
    visitor.goto(f"{live_app}/widget?organizationId={organization_id}")
    visitor.locator("#widget-name").fill("Ana")
    visitor.locator("#widget-email").fill("ana@example.com")
    visitor.locator("#widget-start").click()
    expect(visitor.locator("#widget-voice-call")).to_have_text("Call us")
    calls_before = len(fake.web_calls)
    visitor.locator("#widget-voice-call").click()
    try:
        eventually_sync(lambda: len(fake.web_calls) > calls_before, timeout=30,
                        what="@vapi-ai/web's POST /call/web reached the fake")
    except AssertionError as error:
        facts = visitor.evaluate("() => [typeof window.livchatVoiceStart, typeof window.LivChatVapi, "
                                 "(document.getElementById('widget-voice-status') || {}).textContent]")
        raise AssertionError(f"{error}\n{facts}\npage said:\n" + "\n".join(said[-30:])) from None
    assert fake.web_calls[-1]["assistantId"] == account.assistants[0]["id"]
    assert ("POST", "/call/web", account.public_key) in fake.requests  # the public key, never the private one
    assert not any(r[0] == "POST" and r[2] == account.private_key for r in fake.requests)

    # Offline the Daily room cannot be joined: the SDK ends the attempt, the page records the call.
    record = visitor.locator('.lc-widget-message[data-sender="system"]')
    expect(record).to_contain_text("Voice call", timeout=30_000)
    expect(record).to_contain_text("Duration: 2:05")
    conversation = api.get("/api/v1/conversations").raise_for_status().json()["data"][0]["id"]
    texts = [m["text"] for m in api.get(f"/api/v1/conversations/{conversation}/messages").json()["data"]]
    assert any("Voice call" in t and "Transcript:" in t for t in texts)  # what the operators' inbox shows
