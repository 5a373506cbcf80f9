"""The simulated phone page against the served app: link a waiting session by clicking it, write
as a contact, see what the number sent, mark it read, log out — in both languages."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _admin_token(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The served app's sandbox admin token: WUZAPI_ADMIN_TOKEN if the run sets one, else the
    file the app generated in its data dir (live_app's `live-data*`)."""
    if os.environ.get("WUZAPI_ADMIN_TOKEN"):
        return os.environ["WUZAPI_ADMIN_TOKEN"]
    files = sorted(tmp_path_factory.getbasetemp().glob("live-data*/sandbox-admin.token"))
    assert files, "the served app did not write its sandbox admin token"
    return files[-1].read_text().strip()


def test_link_write_and_read_receipts(live_app: str, page: Page, tmp_path_factory: pytest.TempPathFactory) -> None:
    page.goto(live_app + "/sandbox")
    expect(page.locator("#sandbox-title")).to_have_text("Simulated phone")
    wuz = httpx.Client(base_url=live_app + "/sandbox/wuzapi", timeout=10)
    token = f"browser-{uuid.uuid4().hex[:8]}"
    created = wuz.post("/admin/users", headers={"Authorization": _admin_token(tmp_path_factory)},
                       json={"name": "Browser shop", "token": token, "events": "All"})
    assert created.status_code == 201, created.text
    user_id = created.json()["data"]["id"]
    h = {"token": token}
    wuz.post("/session/connect", headers=h, json={"Subscribe": ["All"], "Immediate": True}).raise_for_status()

    page.locator("#sandbox-refresh").click()
    expect(page.locator(f"#sandbox-session-{user_id}")).to_contain_text("Waiting for a QR code")
    page.locator("#sandbox-phone").fill("5511944443333")
    page.locator(f"#sandbox-link-{user_id}").click()
    expect(page.locator(f"#sandbox-session-{user_id}")).to_contain_text("5511944443333")
    status = wuz.get("/session/status", headers=h).json()["data"]
    assert status["loggedIn"] and status["jid"].startswith("5511944443333:")
    expect(page.locator("#sandbox-active-session")).to_have_value(user_id)

    page.locator("#sandbox-from").fill("5511912345678")
    page.locator("#sandbox-text").fill("Hi, is the shop open?")
    page.locator("#sandbox-send").click()
    expect(page.locator("#sandbox-notice")).to_have_text("Message delivered to the number.")
    expect(page.locator("#sandbox-text")).to_have_value("")

    sent = wuz.post("/chat/send/text", headers=h, json={"Phone": "5511912345678", "Body": "Yes, until 6pm"})
    message_id = sent.json()["data"]["Id"]
    # No click: the page's timer picks up what the number sent.
    item = page.locator(f"#sandbox-out-{message_id}")
    expect(item).to_contain_text("Yes, until 6pm")
    page.locator(f"#sandbox-delivered-{message_id}").click()
    expect(page.locator(f"#sandbox-status-{message_id}")).to_contain_text("delivered")
    page.locator(f"#sandbox-read-{message_id}").click()
    expect(page.locator(f"#sandbox-status-{message_id}")).to_contain_text("read")
    outbox = httpx.get(live_app + "/sandbox/control/outbox", params={"token": token}).json()["messages"]
    assert outbox[0]["id"] == message_id and outbox[0]["status"] == "read"

    page.locator("#language-switcher").click()
    page.locator("#lang-pt-BR").click()
    expect(page.locator("#sandbox-title")).to_have_text("Celular simulado")
    page.locator("#sandbox-logout").click()
    expect(page.locator("#sandbox-notice")).to_have_text("O celular saiu da sessão.")
    expect(page.locator(f"#sandbox-session-{user_id}")).to_contain_text("Desconectada")
    assert wuz.get("/session/status", headers=h).json()["data"]["loggedIn"] is False
