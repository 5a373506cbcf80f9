"""The whole WhatsApp loop in the served app: an instance created through our service, linked by
its QR on the /sandbox phone page, a contact's message stored by our ingest, our message in the
phone's outbox, and the phone's read receipt reaching our message's status."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Page, expect

from livchat.core.crypto import reset_crypto_cache
from livchat.core.db import db
from livchat.core.ids import new_id
from livchat.core.settings import reset_settings_cache
from livchat.services.accounts import auth
from livchat.services.whatsapp import instances, messaging
from livchat.services.whatsapp.gateway import close_gateway
from livchat.services.whatsapp.messaging import OutgoingMessage
from tests.factories import actor_of
from tests.polling import eventually_sync

pytestmark = pytest.mark.browser
T = TypeVar("T")


class ServedApp:
    """Runs our services in a private event loop thread against the served app's database,
    data dir (sandbox admin token, media) and public URL (its in-process sandbox and hooks)."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url, self.data_dir = url, data_dir
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ServedApp:
        self.saved_env = {k: os.environ.get(k) for k in ("PUBLIC_URL", "LIVCHAT_DATA_DIR", "WUZAPI_URL")}
        self.saved_db = db._url
        os.environ.update(PUBLIC_URL=self.url, LIVCHAT_DATA_DIR=str(self.data_dir))
        os.environ.pop("WUZAPI_URL", None)
        reset_settings_cache()
        reset_crypto_cache()
        db.configure(f"sqlite:///{self.data_dir / 'livchat.db'}")
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        async def close() -> None:
            await close_gateway()
            await db.dispose()

        self.run(close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        for key, value in self.saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_settings_cache()
        reset_crypto_cache()
        db.configure(self.saved_db)

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        return asyncio.run_coroutine_threadsafe(work(), self.loop).result(30)

    def session_call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        async def call() -> T:
            async with db.session() as session:
                return await fn(session, *args, **kwargs)

        return self.run(call)

    def wait_for(self, probe: Callable[[], T], done: Callable[[T], bool], timeout: float = 20.0) -> T:
        """Poll the other process's database until `done` (bounded)."""
        return eventually_sync(probe, done, timeout=timeout, every=0.2, what="the served app's state")


@pytest.fixture
def served(live_app: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    dirs = sorted(tmp_path_factory.getbasetemp().glob("live-data*/livchat.db"))
    assert dirs, "the served app has no database in its data dir"
    with ServedApp(live_app, dirs[-1].parent) as app:
        yield app


async def _owner(session: Any, email: str) -> tuple[str, str]:
    """(organization id, session token) of a fresh account, as signing up would make them."""
    signed = await auth.sign_up(session, email, "correct horse battery", organization_name=email.split("@")[0])
    _, token = await auth.create_session(session, signed.user.id)
    await session.commit()
    return signed.organization.id, token


def test_instance_linked_on_the_phone_page_sends_and_receives(served: ServedApp, page: Page) -> None:
    org, token = served.session_call(_owner, f"flow-{new_id('u')}@example.com")
    other_org, _ = served.session_call(_owner, f"other-{new_id('u')}@example.com")
    instance = served.session_call(instances.create_instance, actor_of(org), "Browser shop")
    theirs = served.session_call(instances.create_instance, actor_of(other_org), "Not yours")
    qr = served.session_call(instances.qr_code, actor_of(org), instance.id)
    served.session_call(instances.qr_code, actor_of(other_org), theirs.id)
    assert qr.qr_code.startswith("data:image/png;base64,")

    page.context.add_cookies([{"name": auth.SESSION_COOKIE, "value": token, "url": served.url}])
    page.goto(served.url + "/sandbox")
    row = page.locator(f"#sandbox-session-{instance.id}")
    expect(row).to_contain_text("Browser shop")  # the instance's name, not an id
    expect(row).to_contain_text("Waiting for a QR code")
    expect(page.locator(f"#sandbox-session-{theirs.id}")).to_have_count(0)  # another organization's
    page.locator("#sandbox-phone").fill("5511977776666")
    page.locator(f"#sandbox-link-{instance.id}").click()
    expect(row).to_contain_text("5511977776666")
    expect(page.locator("#sandbox-active-session")).to_have_value(instance.id)

    # PairSuccess and Connected reached our ingest through the signed webhook.
    linked = served.wait_for(lambda: served.session_call(instances.get_instance, org, instance.id),
                             lambda row: row.status == "connected")
    assert linked.whatsapp_jid == "5511977776666@s.whatsapp.net"

    page.locator("#sandbox-from").fill("5511912345678")
    page.locator("#sandbox-text").fill("Is my order on its way?")
    page.locator("#sandbox-send").click()
    expect(page.locator("#sandbox-text")).to_have_value("")
    history = served.wait_for(lambda: served.session_call(messaging.list_messages, org, instance.id),
                              lambda result: len(result[0]) == 1)
    inbound = history[0][0]
    assert (inbound.direction, inbound.text, inbound.phone) == ("inbound", "Is my order on its way?", "5511912345678")

    sent = served.session_call(messaging.send_message, actor_of(org), instance.id,
                               OutgoingMessage(to="+55 11 91234-5678", text="Yes, it ships today"))
    assert sent.status == "sent"
    page.locator("#sandbox-refresh").click()
    expect(page.locator(f"#sandbox-out-{sent.whatsapp_message_id}")).to_contain_text("Yes, it ships today")
    expect(page.locator(f"#sandbox-status-{sent.whatsapp_message_id}")).to_contain_text("text · sent")

    page.locator(f"#sandbox-read-{sent.whatsapp_message_id}").click()
    read = served.wait_for(lambda: served.session_call(messaging.get_message, org, sent.id),
                           lambda row: row.status == "read")
    assert read.read_at is not None
    expect(page.locator(f"#sandbox-status-{sent.whatsapp_message_id}")).to_contain_text("text · read")
    page.locator("#language-switcher").click()
    page.locator("#lang-pt-BR").click()
    expect(page.locator(f"#sandbox-status-{sent.whatsapp_message_id}")).to_contain_text("texto · lida")
    expect(row).to_contain_text("Conectada")
