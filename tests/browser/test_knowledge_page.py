"""The knowledge base page end to end in Chromium against the production build: upload a file and
watch its progress bar follow the ingestion live to done, search it, ask the playground and see a
cited answer with the passages and the tool it called; then the instance page's "AI answers this
number" switch. At 1366 px and on a 390 px phone nothing scrolls sideways."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.browser_support import livchat_cli, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "long-password"
GUIDE = """# Help centre

## Returns

You can return any item within 30 days of delivery for a full refund. Refunds reach your card within
5 business days after the return arrives.

## Shipping

Orders ship within 2 business days. Delivery takes 3 to 7 business days.
"""
# Records every progress value a file row shows, and survives only while the page is not reloaded.
WATCH_PROGRESS = """() => { window.__kbProgress = []; new MutationObserver(() => {
    document.querySelectorAll('tr.kb-file').forEach(row => {
        const value = row.getAttribute('data-progress'); const seen = window.__kbProgress;
        if (seen[seen.length - 1] !== value) seen.push(value); }); })
    .observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['data-progress']}); }"""


def _account(live_env: dict[str, str]) -> str:
    email = f"kb-{uuid.uuid4().hex[:8]}@example.com"
    livchat_cli(live_env, "create-user", email, "--password", PASSWORD, "--org", f"Knowledge {email[:11]}")
    return email


def _no_sideways_scroll(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page scrolls sideways ({scroll} px wide at {width} px)"


def test_upload_watch_it_index_search_it_and_ask_the_playground(live_app: str, live_env: dict[str, str],
                                                                open_context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    email = _account(live_env)
    page = open_context(viewport={"width": 1366, "height": 900}).new_page()
    sign_in(page, live_app, email, PASSWORD)
    page.goto(live_app + "/dashboard/knowledge")
    expect(page.locator("#dashboard-title")).to_have_text("Knowledge base")
    expect(page.locator("#kb-files-empty")).to_be_visible()
    expect(page.locator("#nav-knowledge")).to_have_attribute("aria-current", "page")

    # A refused file says why, and nothing appears in the list.
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page.locator("#kb-file").set_input_files(str(image))
    page.locator("#kb-upload").click()
    expect(page.locator("#kb-error")).to_contain_text("Upload a PDF, Word (.docx), text, Markdown or HTML")
    expect(page.locator("#kb-files-empty")).to_be_visible()

    guide = tmp_path / "returns.md"
    guide.write_text(GUIDE)
    page.evaluate(WATCH_PROGRESS)
    page.locator("#kb-file").set_input_files(str(guide))
    page.locator("#kb-upload").click()
    expect(page.locator("#kb-notice")).to_have_text("File received: it is being indexed.")
    row = page.locator("tr.kb-file", has_text="returns.md")
    expect(row).to_have_attribute("data-status", "ready", timeout=60_000)  # live: no reload
    expect(row).to_contain_text("Markdown")
    expect(row).to_contain_text("Ready")
    seen = [int(v) for v in page.evaluate("window.__kbProgress")]  # undefined after a reload: fails
    assert seen and seen[-1] == 100 and seen == sorted(seen), seen
    _no_sideways_scroll(page, 1366)

    page.locator("#kb-query").fill("refund")
    page.locator("#kb-search").click()
    hit = page.locator("tr.kb-hit").first
    expect(hit).to_contain_text("returns.md")
    expect(hit).to_contain_text("30 days")

    page.locator("#tab-agent").click()
    expect(page.locator("#agent-kind")).to_have_attribute("data-kind", "extractive")
    page.locator("#playground-question").fill("How many days do I have to return an item?")
    page.locator("#playground-ask").click()
    expect(page.locator("#playground-action")).to_have_attribute("data-action", "answer")
    expect(page.locator("#playground-answer")).to_contain_text("30 days")
    expect(page.locator("#playground-sources")).to_contain_text("returns.md")
    expect(page.locator("#playground-tools")).to_contain_text("search_knowledge_base")
    expect(page.locator("tr.playground-passage").first).to_contain_text("returns.md")
    _no_sideways_scroll(page, 1366)

    phone = open_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(phone, live_app, email, PASSWORD)
    phone.goto(live_app + "/dashboard/knowledge")
    expect(phone.locator("tr.kb-file", has_text="returns.md")).to_be_visible()
    _no_sideways_scroll(phone, 390)
    phone.locator("#tab-agent").click()
    expect(phone.locator("#agent-kind")).to_be_visible()
    _no_sideways_scroll(phone, 390)


def test_the_instance_page_switches_ai_answers(live_app: str, live_env: dict[str, str], open_context) -> None:  # type: ignore[no-untyped-def]
    email = _account(live_env)
    key = livchat_cli(live_env, "create-api-key", "--org", f"Knowledge {email[:11]}").strip()
    with httpx.Client(base_url=live_app, headers={"Authorization": f"Bearer {key}"}, timeout=30) as api:
        instance = api.post("/api/v1/instances", json={"name": "Support line"}).raise_for_status().json()["id"]
    page = open_context().new_page()
    sign_in(page, live_app, email, PASSWORD)
    page.goto(f"{live_app}/dashboard/instances/{instance}")
    switch = page.locator("#ai-answers")
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(page.locator("#ai-answers-card")).to_contain_text("AI answers this number")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    with httpx.Client(base_url=live_app, headers={"Authorization": f"Bearer {key}"}, timeout=30) as api:
        assert api.get(f"/api/v1/instances/{instance}").json()["agentEnabled"] is True
    page.reload()
    expect(page.locator("#ai-answers")).to_have_attribute("aria-checked", "true")
