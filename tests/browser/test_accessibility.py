"""axe-core (npm, pinned in tests/browser/package-lock.json; `make test` installs it) on the pages a
newcomer meets — landing, sign-in, sign-up, dashboard, an instance, the knowledge base, billing — in light and dark, English
and Portuguese: no serious or critical WCAG violation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.browser_support import LinkedAccount, sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
RUN_AXE = """() => axe.run(document, {resultTypes: ['violations']}).then(result => result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.impact} ${v.id}: ${v.help}\\n` + v.nodes.slice(0, 5)
        .map(n => `    ${n.target.join(' ')}: ${n.failureSummary.replace(/\\s+/g, ' ')}`).join('\\n')))"""


def _serious_violations(page: Page) -> list[str]:
    """axe's serious and critical findings; also one h1 and one <main> (axe counts those as minor)."""
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("main")).to_have_count(1)
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("locale", ["en-US", "pt-BR"])
def test_no_serious_or_critical_violations(live_app: str, linked_account: LinkedAccount, open_context,  # type: ignore[no-untyped-def]
                                           scheme: str, locale: str) -> None:
    assert AXE.exists(), f"{AXE} is missing: `make test` (or `make axe`) installs it"
    lang = "pt-BR" if locale == "pt-BR" else "en"
    found: dict[str, list[str]] = {}

    visitor = open_context(locale=locale, color_scheme=scheme).new_page()
    for path, ready in [("/", "#hero-title"), ("/sign-in", "#sign-in-title"), ("/sign-up", "#sign-up-title")]:
        visitor.goto(live_app + path)
        expect(visitor.locator(ready)).to_be_visible()
        expect(visitor.locator("html")).to_have_attribute("lang", lang)
        expect(visitor.locator("html")).to_have_class(re.compile(rf"\b{scheme}\b"))
        found[path] = _serious_violations(visitor)

    member = open_context(locale=locale, color_scheme=scheme).new_page()
    sign_in(member, live_app, linked_account.email, linked_account.password)
    for path, ready in [("/dashboard", "#dashboard-title"),
                        (f"/dashboard/instances/{linked_account.instance_id}", ".message-row"),
                        ("/dashboard/billing", "#billing-current"),
                        ("/dashboard/analytics", "#wa-chart-messages svg")]:
        member.goto(live_app + path)
        expect(member.locator(ready).first).to_be_visible()
        expect(member.locator("html")).to_have_attribute("lang", lang)
        found[path] = _serious_violations(member)
    # The knowledge base page, both tabs (an owner sees every control).
    member.goto(live_app + "/dashboard/knowledge")
    expect(member.locator("#kb-upload")).to_be_visible()
    found["/dashboard/knowledge"] = _serious_violations(member)
    member.locator("#tab-agent").click()
    expect(member.locator("#agent-kind")).to_be_visible()
    found["/dashboard/knowledge (AI agent)"] = _serious_violations(member)

    problems = {path: violations for path, violations in found.items() if violations}
    assert not problems, "\n".join(f"{path}:\n" + "\n".join(v) for path, v in problems.items())


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1366, 390])
def test_support_pages_have_no_serious_or_critical_violations(live_app: str, linked_account: LinkedAccount,  # type: ignore[no-untyped-def]
                                                              open_context, scheme: str, width: int) -> None:
    """The inbox (with a conversation open) and the widget customization page, wide and on a phone."""
    import uuid

    import httpx

    assert AXE.exists(), f"{AXE} is missing: `make test` (or `make axe`) installs it"
    api = {"Authorization": f"Bearer {linked_account.api_key}"}
    organization_id = httpx.get(live_app + "/api/v1/organization", headers=api, timeout=30).json()["id"]
    name = f"Axe {uuid.uuid4().hex[:8]}"
    ip = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    token = httpx.post(live_app + "/api/widget/sessions", headers={"X-Forwarded-For": ip}, timeout=30, json={
        "organizationId": organization_id, "name": name, "email": "axe@visitor.example"}).json()["contactToken"]
    httpx.post(live_app + "/api/widget/messages", json={"text": "Checking contrast"}, timeout=30,
               headers={"X-Contact-Token": token, "X-Forwarded-For": ip}).raise_for_status()

    member = open_context(color_scheme=scheme, viewport={"width": width, "height": 900}).new_page()
    sign_in(member, live_app, linked_account.email, linked_account.password)
    found: dict[str, list[str]] = {}
    member.goto(live_app + "/dashboard/inbox")
    member.locator(".inbox-item", has_text=name).click()
    expect(member.locator(".inbox-message").first).to_be_visible()
    found["/dashboard/inbox"] = _serious_violations(member)
    member.goto(live_app + "/dashboard/widget")
    expect(member.locator("#widget-preview")).to_be_visible()
    found["/dashboard/widget"] = _serious_violations(member)
    problems = {path: violations for path, violations in found.items() if violations}
    assert not problems, "\n".join(f"{path}:\n" + "\n".join(v) for path, v in problems.items())


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("locale", ["en-US", "pt-BR"])
def test_widget_has_no_serious_or_critical_violations_on_a_phone(live_app: str, linked_account: LinkedAccount,  # type: ignore[no-untyped-def]
                                                                 open_context, scheme: str, locale: str) -> None:
    """The /widget page at 390 px (a phone, or the launcher's window): the contact form, then the chat."""
    import httpx

    organization = httpx.get(live_app + "/api/v1/organization", timeout=30,
                             headers={"Authorization": f"Bearer {linked_account.api_key}"}).raise_for_status().json()
    lang = "pt-BR" if locale == "pt-BR" else "en"
    ip = "198.51.100.4" + ("1" if lang == "en" else "2") + ("1" if scheme == "light" else "2")
    widget = open_context(locale=locale, color_scheme=scheme, viewport={"width": 390, "height": 700},
                          extra_http_headers={"X-Forwarded-For": ip}).new_page()
    widget.goto(f"{live_app}/widget?organizationId={organization['id']}")
    expect(widget.locator("#widget-name")).to_be_visible()
    expect(widget.locator("html")).to_have_attribute("lang", lang)
    found = {"form": _serious_violations(widget)}
    widget.locator("#widget-start").click()  # the errors shown count too
    expect(widget.locator("#widget-email-error")).to_be_visible()
    found["form errors"] = _serious_violations(widget)
    widget.locator("#widget-name").fill("Ana")
    widget.locator("#widget-email").fill("ana@example.com")
    widget.locator("#widget-start").click()
    widget.locator("#widget-message").fill("Hello <b>there</b>")
    widget.locator("#widget-send").click()
    expect(widget.locator(".lc-widget-message[data-sender=contact]")).to_be_visible()
    found["chat"] = _serious_violations(widget)
    assert widget.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    problems = {name: violations for name, violations in found.items() if violations}
    assert not problems, "\n".join(f"{name}:\n" + "\n".join(v) for name, v in problems.items())
