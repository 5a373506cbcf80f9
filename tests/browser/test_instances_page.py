"""The instance pages end to end in Chromium against the production build: sign up, create an
instance, link it from the simulated phone (/sandbox) in a second tab and watch it become
connected without a reload, send a test message and find it in the phone's outbox, point the
webhook at a receiver on 127.0.0.1, see the delivery in the log with its attempt, redeliver it."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []
    arrived = threading.Condition()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        with self.arrived:
            self.received.append((self.headers.get("webhook-id", ""), body))
            self.arrived.notify_all()
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", _Receiver
    server.shutdown()
    server.server_close()


def _wait_received(handler: type[_Receiver], count: int, timeout: float = 20.0) -> list[tuple[str, dict]]:
    with handler.arrived:
        assert handler.arrived.wait_for(lambda: len(handler.received) >= count, timeout), handler.received
        return list(handler.received)


def _sign_up(page: Page, live_app: str, email: str) -> None:
    page.goto(live_app + "/sign-in")
    page.locator("#sign-up-link").click()
    expect(page.locator("#sign-up-title")).to_be_visible()
    page.locator("#field-name").fill("Ana")
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("#field-organization").fill("Shop Org")
    page.locator("#sign-up-submit").click()
    expect(page).to_have_url(re.compile(r".*/dashboard/?$"))


def test_create_link_send_webhook_delivery_redeliver(live_app: str, page: Page, receiver) -> None:  # type: ignore[no-untyped-def]
    url, handler = receiver
    _sign_up(page, live_app, f"ana-{uuid.uuid4().hex[:8]}@example.com")

    page.locator("#nav-instances").click()
    expect(page.locator("#dashboard-title")).to_have_text("Instances")
    expect(page.locator("#instances-empty")).to_be_visible()
    page.locator("#instance-name").fill("Shop")
    page.locator("#create-instance").click()
    row = page.locator(".instance-row", has_text="Shop")
    expect(row).to_have_attribute("data-status", "disconnected")
    instance_id = row.get_attribute("data-instance")
    assert instance_id and instance_id.startswith("inst_")

    # The free plan has one instance: a second one is refused with a clear message.
    page.locator("#instance-name").fill("Second")
    page.locator("#create-instance").click()
    expect(page.locator("#dashboard-error")).to_contain_text("instance limit")
    expect(page.locator(".instance-row")).to_have_count(1)

    row.locator(".connect-instance").click()
    expect(page.locator("#instance-qr")).to_be_visible()
    expect(row).to_have_attribute("data-status", "connecting")
    # Or link by a code typed on the phone: the panel's form asks WuzAPI for one.
    page.locator("#pair-phone").fill("+55 11 98765-4321")
    page.locator("#pair-submit").click()
    expect(page.locator("#pairing-code")).to_have_text(re.compile(r"^[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}$"))

    # The phone, in a second tab of the same browser: scan (link) the waiting session.
    phone = page.context.new_page()
    phone.goto(live_app + "/sandbox")
    session = phone.locator(f"#sandbox-session-{instance_id}")  # the page shows the instance's name
    expect(session).to_be_visible()
    phone.locator("#sandbox-phone").fill("5511955554444")
    session.locator("[id^=sandbox-link-]").click()
    expect(session).to_contain_text("5511955554444")

    # Back on the dashboard, untouched: the row turns connected and the QR goes away by itself.
    expect(row).to_have_attribute("data-status", "connected")
    expect(row).to_contain_text("5511955554444")
    expect(page.locator("#instance-qr")).to_have_count(0)

    # The instance page: webhook first (secret shown once), then a test message.
    row.locator(".open-instance").click()
    expect(page.locator("#instance-header")).to_have_attribute("data-status", "connected")
    page.locator("#webhook-url").fill(url)
    page.locator("#save-webhook").click()
    expect(page.locator("#webhook-secret")).to_contain_text("whsec_")

    page.locator("#send-to").fill("+55 11 91234-5678")
    page.locator("#send-text").fill("hello from the dashboard")
    page.locator("#send-message").click()
    message = page.locator(".message-row", has_text="hello from the dashboard")
    expect(message).to_have_attribute("data-status", "sent")
    expect(phone.locator("[id^=sandbox-out-]", has_text="hello from the dashboard")).to_be_visible()

    (first_id, first_body), = _wait_received(handler, 1)
    assert first_body["type"] == "message.sent" and first_body["data"]["text"] == "hello from the dashboard"
    delivery = page.locator(".delivery-row", has_text="message.sent")
    expect(delivery).to_have_attribute("data-status", "delivered")  # the page re-checks pending rows
    delivery.locator(".delivery-details").click()
    expect(page.locator(".attempt-row")).to_have_count(1)
    expect(page.locator(".attempt-row")).to_contain_text("200")

    delivery.locator(".redeliver").click()
    expect(page.locator("#dashboard-notice")).to_have_text("Redelivery queued.")
    received = _wait_received(handler, 2)
    assert received[1][0] == first_id and received[1][1]["id"] == first_body["id"]  # same webhook-id
    expect(page.locator(".attempt-row")).to_have_count(2)
    expect(delivery).to_have_attribute("data-status", "delivered")

    # The webhooks overview lists the endpoint; usage counts the message against the free plan.
    page.locator("#nav-webhooks").click()
    expect(page.locator(".webhook-overview-row")).to_contain_text(url)
    page.locator("#nav-analytics").click()
    expect(page.locator("#usage-messages")).to_contain_text("1")
    expect(page.locator("#usage-messages")).to_contain_text("50")
    expect(page.locator(".wa-day")).to_have_count(30)  # the last 30 days
    page.go_back()
    page.go_back()

    # The instance page in Portuguese.
    page.locator("#language-switcher").click()
    page.locator("#lang-pt-BR").click()
    expect(message).to_contain_text("Enviada")
    expect(page.locator("#save-webhook")).to_have_text("Salvar webhook")
