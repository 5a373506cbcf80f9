"""Dashboard → Voice and the widget's "Call us" button in Chromium against the production build, with
VAPI_API_URL at the local fake Vapi (tests/fakes/vapi_server.py): connecting (a refused key, then
good ones shown by their last 4 only), the assistants and phone numbers, the widget's assistant, with
no serious axe finding at 1366 and 390 px, light and dark, English and Portuguese (and nothing wider
than the phone); then the widget's button starts a web call through the real @vapi-ai/web (its POST
/call/web reaches the fake with the public key) and the call's record lands in the conversation.
The keyboard alone: Tab reaches every control in order with a focus ring, Enter and Space do the
page's actions, and the focus never falls back to the page's start.

What cannot run here: the audio itself. After POST /call/web the SDK joins the call's Daily room
(webCallUrl), which needs Daily's servers; offline the join fails, the SDK reports the error, and the
page records the call from GET /call/{id} (the fake ends each web call at once: `auto_end`)."""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.browser_support import livchat_cli, sign_in
from tests.browser.test_accessibility import AXE, RUN_AXE, _serious_violations
from tests.fakes.vapi_server import FakeVapi
from tests.polling import eventually_sync

pytestmark = pytest.mark.browser

# What has the focus: its id, else a choose button's assistant, else its tag and text; where it is
# on the page; whether a focus ring shows (Radix draws a text field's ring on the field's wrapper).
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const r = e.getBoundingClientRect();
  const ring = [e, e.parentElement].some((x) => { const s = getComputedStyle(x);
    return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1; });
  return {name: e.id ? '#' + e.id : e.dataset.assistant ? 'choose:' + e.dataset.assistant
                : e.tagName.toLowerCase() + ':' + (e.textContent || '').trim().slice(0, 30),
          inMain: !!e.closest('main'), top: r.top + window.scrollY, left: r.left, ring};
}"""
# Every control of the page's <main> a keyboard should reach, in the same naming.
CONTROLS = """() => [...document.querySelectorAll('main :is(a[href], button, input, select, textarea, [tabindex])')]
  .filter((e) => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0)
  .map((e) => e.id ? '#' + e.id : e.dataset.assistant ? 'choose:' + e.dataset.assistant
                   : e.tagName.toLowerCase() + ':' + (e.textContent || '').trim().slice(0, 30))"""


def _fits(page: Page, width: int) -> None:
    """Nothing wider than the screen: neither the page nor its <main> (which would scroll inside)."""
    sizes = page.evaluate("""() => { const m = document.querySelector('main');
        return [document.documentElement.scrollWidth, m.scrollWidth, m.clientWidth]; }""")
    assert sizes[0] <= width and sizes[1] <= sizes[2], f"wider than {width} px: page, main, main's box = {sizes}"


def _tab_through(page: Page, presses: int = 80) -> list[dict[str, Any]]:
    """From the page's title (a click there: where Tab starts from), Tab until the focus has left
    <main> after entering it: the controls of <main> in the order the keyboard reaches them."""
    page.locator("#dashboard-title").click()
    reached: list[dict[str, Any]] = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused and focused["inMain"]:
            reached.append(focused)
        elif reached:
            return reached
    return reached


def _keyboard_walk(page: Page, expected: list[str]) -> None:
    """Tab reaches exactly `expected` in <main>, in that order, top to bottom, each with a focus ring."""
    reached = _tab_through(page)
    assert [f["name"] for f in reached] == expected
    assert sorted(page.evaluate(CONTROLS)) == sorted(expected)  # nothing the keyboard skips
    assert not [f["name"] for f in reached if not f["ring"]], "no visible focus indicator"
    for before, after in itertools.pairwise(reached):
        assert after["top"] >= before["top"] - 8, f"the focus jumps back up from {before['name']} to {after['name']}"


def _tab_to(page: Page, name: str, presses: int = 80) -> None:
    for _ in range(presses):
        focused = page.evaluate(FOCUSED)
        if focused and focused["name"] == name:
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{name} never got the focus in {presses} Tabs")


def _focused(page: Page) -> str:
    focused = page.evaluate(FOCUSED)
    return focused["name"] if focused else "(nothing)"


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
    refused = _serious_violations(owner)

    owner.get_by_label("Private API key").fill(account.private_key)
    owner.get_by_label("Public API key").fill(account.public_key)
    owner.locator("#voice-connect").click()
    expect(owner.locator("#voice-connected")).to_be_visible()
    expect(owner.locator("#voice-private-last4")).to_have_text("…" + account.private_key[-4:])
    expect(owner.locator("#voice-public-last4")).to_have_text("…" + account.public_key[-4:])
    expect(owner.get_by_label("Private API key")).to_have_value("")  # the form forgets what was typed
    expect(owner.locator(".voice-assistant")).to_have_count(2)
    expect(owner.locator(".voice-number")).to_contain_text(account.phone_numbers[0]["number"])
    # One "Use in the widget" per row: each button's name says which assistant it is for.
    owner.get_by_role("button", name=f'Use in the widget: {account.assistants[0]["name"]}').click()
    expect(owner.locator("#voice-widget-assistant")).to_have_text(account.assistants[0]["name"])
    html = owner.content()
    assert account.private_key not in html and account.public_key not in html

    # axe wide and on a phone, light and dark, English and Portuguese; nothing wider than a phone.
    violations = {"refused key": refused, "en-US light 1366": _serious_violations(owner)}
    for locale, scheme, width in [(locale, scheme, width) for locale in ("en-US", "pt-BR")
                                  for scheme in ("light", "dark") for width in (1366, 390)][1:]:
        viewer = open_context(locale=locale, color_scheme=scheme,
                              viewport={"width": width, "height": 900}).new_page()
        sign_in(viewer, live_app, email, password)
        viewer.goto(live_app + "/dashboard/voice")
        expect(viewer.locator("#dashboard-title")).to_have_text("Voz" if locale == "pt-BR" else "Voice")
        expect(viewer.locator("html")).to_have_attribute("lang", "pt-BR" if locale == "pt-BR" else "en")
        expect(viewer.locator("html")).to_have_class(re.compile(rf"\b{scheme}\b"))
        expect(viewer.locator("#voice-widget-assistant")).to_have_text(account.assistants[0]["name"])
        expect(viewer.locator(".voice-assistant")).to_have_count(2)
        if locale == "pt-BR":
            expect(viewer.locator(".voice-chosen")).to_have_text("No widget")
        if width == 390:
            _fits(viewer, width)
        violations[f"{locale} {scheme} {width}"] = _serious_violations(viewer)
    problems = {where: found for where, found in violations.items() if found}
    assert not problems, "\n".join(f"{where}:\n" + "\n".join(found) for where, found in problems.items())

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


def test_the_voice_page_with_the_keyboard_only(live_app: str, live_env: dict[str, str],  # type: ignore[no-untyped-def]
                                               _fake_vapi_session: FakeVapi, open_context) -> None:
    """Tab reaches every control of the page, top to bottom, with a visible focus ring; Enter and
    Space connect Vapi, choose the widget's assistant, turn the call button off and disconnect, and
    after each the focus stays on the page (never dropped back to its start)."""
    account = _fake_vapi_session.account()
    first, second = (f"choose:{a['id']}" for a in account.assistants[:2])
    email, password = f"voice-keys-{uuid.uuid4().hex[:8]}@example.com", "long-password"
    livchat_cli(live_env, "create-user", email, "--password", password, "--org", "Voice Keys Co")
    page = open_context(locale="en-US", viewport={"width": 1366, "height": 900}).new_page()
    sign_in(page, live_app, email, password)
    page.goto(live_app + "/dashboard/voice")
    expect(page.locator("#voice-connect")).to_be_enabled()
    _tab_to(page, "#voice-private-key")  # from the page's start, past the sidebar
    _keyboard_walk(page, ["#voice-private-key", "#voice-public-key", "#voice-connect"])

    # Connect: the keys typed, Enter in a field sends the form; a refused key says so.
    _tab_to(page, "#voice-private-key")
    page.keyboard.type(account.public_key)
    page.keyboard.press("Tab")
    page.keyboard.type(account.public_key[::-1])
    page.keyboard.press("Enter")
    expect(page.locator("#voice-error")).to_contain_text("Vapi refused this private key")
    _tab_to(page, "#voice-private-key")
    page.keyboard.type(account.private_key)
    page.keyboard.press("Tab")
    page.keyboard.type(account.public_key)
    page.keyboard.press("Tab")
    expect(page.locator("#voice-connect")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#voice-saved")).to_have_text("Saved.")
    expect(page.locator("#voice-connected")).to_be_visible()
    expect(page.locator("#voice-error")).to_have_count(0)
    expect(page.locator(".voice-assistant")).to_have_count(2)
    expect(page.locator("#voice-connect")).to_be_focused()  # still where the keyboard was
    _keyboard_walk(page, ["#voice-disconnect", first, second, "#voice-private-key", "#voice-public-key",
                          "#voice-connect"])

    # Choose the widget's assistant with Space; the focus goes to what now stands for it.
    _tab_to(page, second)
    page.keyboard.press("Space")
    expect(page.locator("#voice-widget-assistant")).to_have_text(account.assistants[1]["name"])
    expect(page.locator("#voice-saved")).to_be_visible()
    expect(page.locator("#voice-widget-off")).to_be_focused()
    _keyboard_walk(page, ["#voice-disconnect", "#voice-widget-off", first, "#voice-private-key",
                          "#voice-public-key", "#voice-connect"])

    # Turn the call button off with Enter: the focus lands on the first assistant's button.
    _tab_to(page, "#voice-widget-off")
    page.keyboard.press("Enter")
    expect(page.locator("#voice-widget-none")).to_be_visible()
    expect(page.locator(f'.voice-choose[data-assistant="{account.assistants[0]["id"]}"]')).to_be_focused()

    # Disconnect: Enter opens the confirmation (Escape closes it, nothing changes, the focus comes back).
    _tab_to(page, "#voice-disconnect")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.locator("#voice-disconnect")).to_be_focused()
    expect(page.locator("#voice-connected")).to_be_visible()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.add_script_tag(path=str(AXE))  # the dialog's title is a heading of its own: no one-h1 check
    assert not page.evaluate(RUN_AXE)
    _tab_to(page, "button:Disconnect", presses=4)  # inside the dialog: Cancel, then Disconnect
    page.keyboard.press("Enter")
    expect(page.locator("#voice-connected")).to_have_count(0)
    expect(page.locator("#voice-connect")).to_have_text("Connect")
    expect(page.locator("#voice-private-key")).to_be_focused()  # the form to connect again
    assert _focused(page) == "#voice-private-key"
