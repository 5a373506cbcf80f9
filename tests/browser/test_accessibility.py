"""axe-core (npm, pinned in tests/browser/package-lock.json; `make test` installs it) on the pages a
newcomer meets — landing, sign-in, sign-up, dashboard, an instance — in light and dark, English
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
                        ("/dashboard/analytics", "#wa-chart-messages svg")]:
        member.goto(live_app + path)
        expect(member.locator(ready).first).to_be_visible()
        expect(member.locator("html")).to_have_attribute("lang", lang)
        found[path] = _serious_violations(member)

    problems = {path: violations for path, violations in found.items() if violations}
    assert not problems, "\n".join(f"{path}:\n" + "\n".join(v) for path, v in problems.items())
