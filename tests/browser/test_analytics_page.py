"""The Analytics page in Chromium: seeded WhatsApp and support figures render as charts (SVG) with
their cards and tables, the range and the tab switch, the CSV downloads, a phone fits."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.browser_support import ROOT, livchat_cli, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Run in the served app's environment (its database): an instance with a week of figures, a
# conversation and a question the agent could not answer.
SEED = """
import asyncio
from datetime import timedelta
from sqlmodel import select
from livchat.core.db import db, utcnow
from livchat.core.ids import new_id
from livchat.models import Organization, UnansweredQuestion
from livchat.models.enums import MessageStatus
from tests.analytics.analytics_support import add_instance, add_rows, add_usage, delivery, outbound

async def main(org_name):
    async with db.session() as session:
        org = (await session.exec(select(Organization.id).where(Organization.name == org_name))).one()
    shop = await add_instance(org, "Loja Centro")
    now = utcnow().replace(microsecond=0)
    for n in range(7):
        await add_usage(org, shop, now.date() - timedelta(days=n), messages_sent=10 + n, messages_received=5,
                        webhooks_delivered=3, webhooks_failed=n % 2)
    await add_rows(outbound(org, shop, now - timedelta(hours=1), MessageStatus.READ),
                   outbound(org, shop, now - timedelta(hours=1), MessageStatus.DELIVERED),
                   delivery(org, shop, now - timedelta(hours=1), 2.0))
    async with db.session() as session:
        session.add(UnansweredQuestion(id=new_id("uq"), organization_id=org, question="<b>Do you ship to Porto?</b>",
                                       language="en", best_similarity=0.1, created_at=now - timedelta(hours=2)))
        await session.commit()

asyncio.run(main(__import__("sys").argv[1]))
"""


def _seeded_member(live_app: str, live_env: dict[str, str]) -> tuple[str, str]:
    email, org = f"analytics-{uuid.uuid4().hex[:8]}@example.com", f"Analytics {uuid.uuid4().hex[:6]}"
    livchat_cli(live_env, "create-user", email, "--password", "long-password", "--org", org)
    subprocess.run([sys.executable, "-c", SEED, org], env={**live_env, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                   check=True, timeout=120)
    return email, "long-password"


def _choose(page: Page, trigger: str, option: str) -> None:
    page.locator(trigger).click()
    page.get_by_role("option", name=option).click()


def test_charts_range_tabs_and_csv(live_app: str, live_env: dict[str, str], page: Page) -> None:
    email, password = _seeded_member(live_app, live_env)
    sign_in(page, live_app, email, password)
    page.goto(live_app + "/dashboard/analytics")

    # WhatsApp: three charts drawn as SVG, the cards, the instance table, 30 days by default.
    for chart in ("#wa-chart-messages", "#wa-chart-rates", "#wa-chart-webhooks"):
        expect(page.locator(f"{chart} svg.recharts-surface").first).to_be_visible()
    expect(page.locator("#wa-chart-messages .recharts-area")).to_have_count(2)
    expect(page.locator("#wa-sent")).to_contain_text(str(sum(10 + n for n in range(7))))
    expect(page.locator("#wa-delivery-rate")).to_contain_text("100%")
    expect(page.locator("#wa-read-rate")).to_contain_text("50%")
    expect(page.locator("#wa-latency")).to_contain_text("2.0 s")
    expect(page.locator(".wa-instance")).to_contain_text("Loja Centro")
    expect(page.locator(".wa-day")).to_have_count(30)
    page.locator("#wa-numbers summary").click()
    expect(page.locator(".wa-day").last).to_be_visible()

    # The range: a preset, then a custom range refused and accepted.
    _choose(page, "#range-preset", "Last 7 days")
    expect(page.locator(".wa-day")).to_have_count(7)
    _choose(page, "#range-preset", "Custom range")
    page.locator("#range-start").fill("2026-03-10")
    page.locator("#range-end").fill("2026-03-01")
    page.locator("#range-apply").click()
    expect(page.locator("#analytics-error")).to_contain_text("valid period")
    expect(page.locator(".wa-day")).to_have_count(7)
    page.locator("#range-start").fill("2026-03-01")
    page.locator("#range-end").fill("2026-03-10")
    page.locator("#range-apply").click()
    expect(page.locator(".wa-day")).to_have_count(10)
    expect(page.locator("#analytics-error")).to_have_count(0)
    _choose(page, "#range-preset", "Last 30 days")
    expect(page.locator(".wa-day")).to_have_count(30)

    # The CSV of the range downloads.
    with page.expect_download() as download:
        page.locator("#whatsapp-csv").click()
    assert re.fullmatch(r"livchat-whatsapp-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename)
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["date", "instance_id", "instance"] and len(rows) == 8
    assert {r[2] for r in rows[1:]} == {"Loja Centro"}

    # Support: its chart, cards and the unanswered question as text, linked to the knowledge base.
    page.locator("#tab-support").click()
    expect(page.locator("#support-chart svg.recharts-surface").first).to_be_visible()
    expect(page.locator("#support-conversations")).to_contain_text("0")
    expect(page.locator(".unanswered-question")).to_contain_text("<b>Do you ship to Porto?</b>")  # inert
    expect(page.locator("#unanswered-list b")).to_have_count(0)
    expect(page.locator("#to-knowledge")).to_have_attribute("href", "/dashboard/knowledge")
    with page.expect_download() as download:
        page.locator("#support-csv").click()
    assert download.value.suggested_filename.startswith("livchat-support-")
    page.locator("#tab-whatsapp").click()
    expect(page.locator("#wa-chart-messages svg.recharts-surface").first).to_be_visible()


def test_on_a_phone_the_page_fits(live_app: str, live_env: dict[str, str], open_context) -> None:  # type: ignore[no-untyped-def]
    email, password = _seeded_member(live_app, live_env)
    page = open_context(viewport=PHONE, color_scheme="dark").new_page()
    sign_in(page, live_app, email, password)
    page.goto(live_app + "/dashboard/analytics")
    expect(page.locator("#wa-chart-messages svg.recharts-surface").first).to_be_visible()
    box = page.locator("#wa-chart-messages").bounding_box()
    assert box and 300 <= box["width"] <= PHONE["width"], box
    for tab in ("#tab-support", "#tab-whatsapp"):
        page.locator(tab).click()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the analytics page scrolls sideways ({width} px wide)"
