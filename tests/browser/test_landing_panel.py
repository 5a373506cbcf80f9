"""The landing page's test panel in the served app, as a newcomer uses it: link WhatsApp from `/`
(QR code, or pairing code), the /sandbox phone page of the same browser playing the phone and the
contact, a send from the panel, the reply in the panel's feed with its signed webhook headers,
then an account that keeps the number — the dashboard opens on it, connected, same phone.

Each visitor names its own address (X-Forwarded-For; the served app trusts one proxy hop), so
per-IP limits keep tests apart; the panel's limits are lowered with LIVCHAT_PANEL_LIMITS
(tests/browser/conftest.py) and reached through the real limiter."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from livchat.core.crypto import hash_token
from livchat.core.ids import new_id
from livchat.state.sandbox_phone import ANONYMOUS_TOKEN_STORAGE
from tests.browser.chromium import close_context

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
CONTACT = "5511912345678"


@pytest.fixture
def visitors(browser: Browser) -> Iterator[callable]:  # type: ignore[valid-type]
    """New browser contexts, each a visitor from its own address."""
    opened: list[BrowserContext] = []

    def open_visitor(ip: str, *, width: int = 1366, locale: str = "en-US") -> Page:
        context = browser.new_context(locale=locale, viewport={"width": width, "height": 900},
                                      extra_http_headers={"X-Forwarded-For": ip})
        opened.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    yield open_visitor
    for context in opened:
        close_context(context)


def _token(page: Page) -> str:
    return page.evaluate(f"window.localStorage.getItem({json.dumps(ANONYMOUS_TOKEN_STORAGE)})") or ""


def _phone_page(visitor: Page, live_app: str) -> Page:
    """/sandbox in the visitor's own browser: it plays their phone and their contacts."""
    phone = visitor.context.new_page()
    phone.set_default_timeout(20_000)
    phone.goto(live_app + "/sandbox")
    expect(phone.locator("[id^=sandbox-session-]")).to_have_count(1)
    return phone


def _verify(secret: str, headers_text: str, body: str) -> bool:
    """What a receiver does with the panel's demo secret (docs' recipe, written out here)."""
    headers = dict(line.split(": ", 1) for line in headers_text.strip().splitlines())
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body.encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return headers["webhook-signature"] == f"v1,{expected}" and headers["x-hmac-signature"] == hmac.new(
        key, body.encode(), hashlib.sha256).hexdigest()


def _send_and_see_the_reply(panel: Page, phone: Page, text: str, reply: str) -> None:
    panel.locator("#panel-to").fill("+55 11 91234-5678")
    panel.locator("#panel-message").fill(text)
    panel.locator("#panel-send").click()
    expect(panel.locator("#panel-sent")).to_be_visible()
    expect(panel.locator("#panel-message")).to_have_value("")  # a second click would send nothing twice
    expect(phone.locator("[id^=sandbox-out-]", has_text=text)).to_be_visible()  # the contact got it

    phone.locator("#sandbox-from").fill(CONTACT)
    phone.locator("#sandbox-text").fill(reply)
    phone.locator("#sandbox-send").click()
    received = panel.locator(".panel-event[data-type='message.received']", has_text=reply)
    expect(received).to_be_visible()
    expect(received).to_contain_text(f"From +{CONTACT}")
    for header in ("webhook-id: evt_", "webhook-timestamp: ", "webhook-signature: v1,", "x-hmac-signature: "):
        expect(received.locator(".panel-headers")).to_contain_text(header)
    secret = panel.locator("#panel-secret").inner_text()
    body = received.locator(".panel-body").text_content() or ""
    assert json.loads(body)["data"]["text"] == reply
    assert _verify(secret, received.locator(".panel-headers").inner_text(), body)


def _instance_page_shows(page: Page, number: str) -> None:
    expect(page).to_have_url(re.compile(r"/dashboard/instances/inst_"))
    expect(page.locator("#instance-header")).to_have_attribute("data-status", "connected")
    expect(page.locator("#instance-header")).to_contain_text(number)


def test_qr_link_send_reply_then_sign_up_keeps_the_number(live_app: str, visitors) -> None:  # type: ignore[no-untyped-def]
    panel = visitors("198.51.100.11")
    panel.goto(live_app + "/")
    expect(panel.locator("h1")).to_have_count(1)
    panel.locator("#panel-show-qr").click()
    expect(panel.locator("#panel-qr")).to_have_attribute("src", re.compile("^data:image/png;base64,"))
    assert _token(panel).startswith("lc_anon_")

    phone = _phone_page(panel, live_app)
    expect(phone.locator("[id^=sandbox-session-]")).to_contain_text("Waiting for a QR code")
    phone.locator("#sandbox-phone").fill("5511960001111")
    phone.locator("[id^=sandbox-session-] [id^=sandbox-link-]").click()
    expect(panel.locator("#panel-number")).to_have_text("+5511960001111")  # live, no reload
    expect(panel.locator(".panel-event[data-type='instance.connected']")).to_be_visible()

    _send_and_see_the_reply(panel, phone, "Hello from the panel", "Got it, thanks!")
    expect(panel.locator("#panel-remaining")).to_contain_text("2 of 3")

    # A returning visitor (the same tab reloaded) finds the panel as they left it, and it still
    # answers: a reload once left the tab waiting forever on the feed it was linked to.
    panel.reload()
    expect(panel.locator("#panel-number")).to_have_text("+5511960001111")
    expect(panel.locator("#panel-remaining")).to_contain_text("2 of 3")

    panel.locator("#panel-sign-up").click()
    expect(panel.locator("#sign-up-title")).to_be_visible()
    email = f"qr-{new_id('u').lower()}@example.com"
    panel.locator("#field-name").fill("Ana")
    panel.locator("#field-email").fill(email)
    panel.locator("#field-password").fill(PASSWORD)
    panel.locator("#field-organization").fill("Ana's shop")
    panel.locator("#sign-up-submit").click()
    _instance_page_shows(panel, "5511960001111")
    assert _token(panel) == ""  # the panel's token is spent and gone from the browser
    expect(panel.locator(".message-row", has_text="Hello from the panel")).to_be_visible()  # its messages too


def test_pairing_code_link_send_reply_then_sign_in_keeps_the_number(live_app: str, live_env: dict[str, str],  # type: ignore[no-untyped-def]
                                                                    visitors) -> None:
    email = f"code-{new_id('u').lower()}@example.com"
    subprocess.run([str(Path(sys.executable).with_name("livchat")), "create-user", email, "--password", PASSWORD,
                    "--org", "Code shop", "--role", "owner"], env=live_env, check=True, capture_output=True, timeout=60)
    panel = visitors("198.51.100.12")
    panel.goto(live_app + "/")
    panel.locator("#panel-tab-code").click()
    panel.locator("#panel-phone").fill("+55 11 96000-2222")
    panel.locator("#panel-get-code").click()
    code = panel.locator("#panel-pairing-code")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))

    phone = _phone_page(panel, live_app)
    phone.locator("#sandbox-pairing-code").fill(code.inner_text())
    phone.locator("#sandbox-link-code").click()
    expect(panel.locator("#panel-number")).to_have_text("+5511960002222")

    _send_and_see_the_reply(panel, phone, "Olá pelo código", "Recebido!")

    panel.locator("#panel-sign-in").click()
    panel.locator("#field-email").fill(email)
    panel.locator("#field-password").fill(PASSWORD)
    panel.locator("#sign-in-submit").click()
    _instance_page_shows(panel, "5511960002222")


def test_every_limit_and_failure_has_its_own_screen(live_app: str, live_env: dict[str, str], visitors) -> None:  # type: ignore[no-untyped-def]
    admin = {"Authorization": (Path(live_env["LIVCHAT_DATA_DIR"]) / "sandbox-admin.token").read_text().strip()}
    # A QR code left unscanned: it expires after code_seconds (30 s here); checked last.
    idle = visitors("198.51.100.21")
    idle.goto(live_app + "/")
    idle.locator("#panel-show-qr").click()
    expect(idle.locator("#panel-qr")).to_be_visible()

    # Rate limited: pairing codes are 2 an hour per address here; the third is refused.
    eager = visitors("198.51.100.22")
    eager.goto(live_app + "/")
    eager.locator("#panel-tab-code").click()
    for attempt in range(3):
        eager.locator("#panel-phone").fill(f"+55 11 96000-300{attempt}")
        eager.locator("#panel-get-code").click()
        if attempt < 2:
            eager.locator("#panel-pair-again").click()
    expect(eager.locator("#panel-rate-limited")).to_be_visible()
    expect(eager.locator("#panel-retry-after")).to_contain_text("min")

    # Daily limit: 3 test messages a day here; the fourth shows when they come back (local time), in pt-BR.
    busy = visitors("198.51.100.23", locale="pt-BR")
    busy.goto(live_app + "/")
    busy.locator("#panel-show-qr").click()
    expect(busy.locator("#panel-qr")).to_be_visible()
    phone = _phone_page(busy, live_app)
    phone.locator("[id^=sandbox-session-] [id^=sandbox-link-]").click()
    expect(busy.locator("#panel-linked")).to_be_visible()
    busy.locator("#panel-to").fill(CONTACT)
    for n in range(3):
        busy.locator("#panel-message").fill(f"mensagem {n}")
        busy.locator("#panel-send").click()
        expect(busy.locator("#panel-remaining")).to_contain_text(f"{2 - n} de 3")
    busy.locator("#panel-message").fill("mais uma")
    busy.locator("#panel-send").click()
    expect(busy.locator("#panel-daily-limit")).to_contain_text("As mensagens de teste de hoje acabaram")
    expect(busy.locator("#panel-resets-at")).not_to_be_empty()

    # Session expired: a newer session from the same network replaces this one.
    replaced = visitors("198.51.100.24")
    replaced.goto(live_app + "/")
    expect(replaced.locator("#panel-show-qr")).to_be_visible()
    newer = visitors("198.51.100.24")
    newer.goto(live_app + "/")
    expect(newer.locator("#panel-show-qr")).to_be_visible()
    replaced.locator("#panel-show-qr").click()
    expect(replaced.locator("#panel-session-expired")).to_be_visible()
    replaced.locator("#panel-new-session").click()
    expect(replaced.locator("#panel-show-qr")).to_be_visible()

    # Gateway unavailable: WuzAPI loses this visitor's user, and refuses its calls.
    unlucky = visitors("198.51.100.25")
    unlucky.goto(live_app + "/")
    unlucky.locator("#panel-show-qr").click()
    expect(unlucky.locator("#panel-qr")).to_be_visible()
    with sqlite3.connect(Path(live_env["LIVCHAT_DATA_DIR"]) / "livchat.db") as db:
        (user_id,) = db.execute(
            "SELECT i.wuzapi_user_id FROM instances i JOIN anonymous_sessions a ON a.id = i.anonymous_session_id"
            " WHERE a.token_hash = ?", (hash_token(_token(unlucky)),)).fetchone()
    gone = httpx.delete(f"{live_app}/sandbox/wuzapi/admin/users/{user_id}/full", headers=admin, timeout=20)
    assert gone.status_code == 200, gone.text
    unlucky.locator("#panel-use-code").click()
    unlucky.locator("#panel-phone").fill("+55 11 96000-4444")
    unlucky.locator("#panel-get-code").click()
    expect(unlucky.locator("#panel-gateway")).to_be_visible()

    expect(idle.locator("#panel-code-expired")).to_be_visible(timeout=45_000)
    idle.locator("#panel-new-code").click()
    expect(idle.locator("#panel-qr")).to_be_visible()


def test_pricing_calculator(live_app: str, visitors) -> None:  # type: ignore[no-untyped-def]
    page = visitors("198.51.100.31", width=390)
    page.goto(live_app + "/pricing")
    expect(page.locator("h1")).to_have_text("Pricing")
    page.locator("#pricing-instances").fill("7")
    expect(page.locator("#pricing-total")).to_have_text("R$623.00")
    expect(page.locator("#pricing-breakdown")).to_contain_text("2 × R$89.00")
    page.locator("#pricing-more").click()
    expect(page.locator("#pricing-total")).to_have_text("R$712.00")
    page.locator("#language-switcher").click()
    page.locator("#lang-pt-BR").click()
    page.locator("#pricing-fewer").click()
    expect(page.locator("#pricing-total")).to_have_text("R$\u00a0623,00")
    page.locator("#pricing-instances").fill("40")
    expect(page.locator("#pricing-total")).to_have_text("Scale: sob consulta")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing sideways at 390 px
