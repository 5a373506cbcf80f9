"""One instance's page: messages and the test send, the webhook (secret shown once, rotate, test
event), the delivery log (filter, attempt details, redeliver), usage; another organization's
instance and deliveries stay out of reach."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from livchat.core.db import db, utcnow
from livchat.i18n import CATALOGUES
from livchat.models.webhooks import WebhookDelivery, WebhookEndpoint
from livchat.models.whatsapp import Message
from livchat.services.webhooks import endpoints
from livchat.services.webhooks.dispatcher import dispatcher_lifespan
from livchat.services.webhooks.schemas import AttemptOut
from livchat.services.whatsapp import messaging
from livchat.services.whatsapp.events import WEBHOOK_EVENT_TYPES
from livchat.state.instance_detail import InstanceDetailState, attempt_row, message_row
from livchat.state.usage import UsageState
from livchat.state.webhooks_overview import WebhooksOverviewState
from tests.accounts.accounts_support import event_text, tab_with_cookie
from tests.factories import signed_in_owner
from tests.polling import eventually
from tests.whatsapp.wa_support import LiveApp, linked_instance

pytestmark = pytest.mark.usefixtures("allow_private_webhooks", "forget_sandbox_users")


def detail_tab(cookie: str, instance_id: str) -> InstanceDetailState:
    return tab_with_cookie(InstanceDetailState, cookie, f"/dashboard/instances/{instance_id}",
               params={"instance_key": instance_id})  # type: ignore[return-value]


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers `status` and remembers what it got."""

    def __init__(self) -> None:
        self.status = 200
        self.bodies: list[dict] = []
        self.server: asyncio.base_events.Server | None = None
        self.url = ""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        self.bodies.append(json.loads(await reader.readexactly(length) or b"{}"))
        reply = b"ok" if self.status < 400 else b"nope"
        writer.write(b"HTTP/1.1 %d X\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s" % (
            self.status, len(reply), reply))
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> Receiver:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as r:
        yield r


async def delivery_statuses(instance_id: str) -> list[str]:
    async with db.session() as session:
        rows = await session.exec(select(WebhookDelivery.status).where(WebhookDelivery.instance_id == instance_id))
        return sorted(rows)


async def test_send_shows_the_message_and_the_usage_counts_it(live: LiveApp, session) -> None:
    org, cookie = await signed_in_owner("ana@example.com", plan="starter")  # 10 sends/s, no daily quota
    instance = await linked_instance(live, session, org)
    page = detail_tab(cookie, instance.id)
    await InstanceDetailState.load.fn(page)
    assert page.found and page.instance["status"] == "connected" and page.messages == []

    sent = await InstanceDetailState.send_message.fn(page, {"to": "+55 11 91234-5678", "text": "hello from the dashboard"})
    assert page.error == "" and page.notice == "dashboard_whatsapp.messages.sent"
    (row,) = page.messages
    assert (row["direction"], row["phone"], row["text"], row["status"]) == (
        "outbound", "5511912345678", "hello from the dashboard", "sent")
    assert row["time"].endswith("Z") and "T" in row["time"]  # UTC, RFC 3339: the browser shows local time
    assert clears_the_text_field(sent)  # a second click must not send it again

    refused = await InstanceDetailState.send_message.fn(page, {"to": "12", "text": "x"})
    assert page.error == "whatsapp.errors.invalid_phone"
    assert refused is None  # the text stays, to fix the number and send it

    usage = tab_with_cookie(UsageState, cookie, "/dashboard/analytics")
    await UsageState.load.fn(usage)
    assert (usage.sent_today, usage.daily_limit, usage.instances_used, usage.instances_allowed) == (1, 0, 1, 5)
    assert len(usage.days) == 14 and usage.days[0]["sent"] == "1" and usage.days[1]["sent"] == "0"


def clears_the_text_field(event: Any) -> bool:
    """The event empties the send form's message field (#send-text) in the page."""
    args = {str(name): str(value) for name, value in getattr(event, "args", ())}
    return (getattr(getattr(event, "handler", None), "fn", None) is not None
            and event.handler.fn.__qualname__ == "_set_value"
            and args == {"ref": '"ref_send_text"', "value": '""'})


def revealed(event: Any) -> str:
    """The secret an event writes into #webhook-secret (the page's only copy of it)."""
    script = event_text(event)
    assert '"webhook-secret"' in script, script
    return json.loads(script.rsplit("textContent = ", 1)[1])


async def test_webhook_secret_once_rotate_test_event_attempts_and_redeliver(live: LiveApp, session,
                                                                           receiver: Receiver) -> None:
    org, cookie = await signed_in_owner("bo@example.com", plan="starter")
    instance = await linked_instance(live, session, org)
    page = detail_tab(cookie, instance.id)
    await InstanceDetailState.load.fn(page)
    assert not page.has_webhook

    InstanceDetailState.set_webhook_url.fn(page, "ftp://nowhere")
    await InstanceDetailState.save_webhook.fn(page)
    assert page.error == "dashboard_whatsapp.errors.unsafe_webhook_url" and "http" in page.error_detail
    assert page.error_reason == "dashboard_whatsapp.url_refused.scheme"  # shown translated, not the English detail
    assert all(page.error_reason in catalogue for catalogue in CATALOGUES.values())
    assert not page.has_webhook

    InstanceDetailState.set_webhook_url.fn(page, receiver.url)
    for event_type in list(page.webhook_events):  # every event unticked: refused in the reader's language
        InstanceDetailState.toggle_event.fn(page, event_type)
    await InstanceDetailState.save_webhook.fn(page)
    assert page.error == "dashboard_whatsapp.errors.events_required" and not page.has_webhook
    for event_type in WEBHOOK_EVENT_TYPES:
        InstanceDetailState.toggle_event.fn(page, event_type)

    InstanceDetailState.set_webhook_url.fn(page, receiver.url)
    InstanceDetailState.toggle_event.fn(page, "instance.qr_updated")  # unticked
    first_secret = revealed(await InstanceDetailState.save_webhook.fn(page))
    assert page.error == "" and page.has_webhook and page.showing_secret
    assert first_secret.startswith("whsec_") and first_secret not in repr(page.dict())  # in the page only
    assert "instance.qr_updated" not in page.webhook_events
    async with db.session() as s:
        assert (await endpoints.get_endpoint(s, org, instance.id)).events == page.webhook_events

    await InstanceDetailState.load.fn(page)  # reloading never shows the secret again
    assert not page.showing_secret and first_secret.startswith(page.secret_prefix.rstrip("…."))

    second_secret = revealed(await InstanceDetailState.rotate_secret.fn(page))
    assert second_secret.startswith("whsec_") and second_secret != first_secret and page.showing_secret
    async with db.session() as s:
        endpoint = (await s.exec(select(WebhookEndpoint).where(WebhookEndpoint.instance_id == instance.id))).one()
        assert endpoints.secrets_in_use(endpoint, utcnow()) == [second_secret, first_secret]  # both sign for 24 h
    assert revealed(InstanceDetailState.dismiss_secret.fn(page)) == "" and not page.showing_secret

    receiver.status = 500
    async with dispatcher_lifespan():
        await InstanceDetailState.send_test_event.fn(page)
        assert page.notice == "dashboard_whatsapp.webhook.test_queued"
        await eventually(lambda: _statuses_are(instance.id, ["failed"]))  # one attempt for a test event
        await InstanceDetailState.refresh.fn(page)
        (failed,) = page.deliveries
        assert (failed["event"], failed["status"], failed["response"]) == ("webhook.test", "failed", "500")
        assert failed["reason"] == "attempts_exhausted"  # shown under the status
        # Every delivery fails: the page says since when, and so does the overview (not "Active").
        assert page.webhook_failing_since.endswith("Z") and not page.webhook_paused
        overview = tab_with_cookie(WebhooksOverviewState, cookie, "/dashboard/webhooks")
        await WebhooksOverviewState.load.fn(overview)
        (row,) = overview.endpoints
        assert (row["state"], row["failing_since"]) == ("failing", page.webhook_failing_since)

        await InstanceDetailState.toggle_delivery.fn(page, failed["id"])
        (attempt,) = page.attempts
        assert (attempt["status"], attempt["snippet"]) == ("500", "nope") and attempt["latency"].endswith(" ms")
        assert (attempt["error"], attempt["error_key"]) == ("HTTP 500", "dashboard_whatsapp.attempt_error.http_status")

        await InstanceDetailState.filter_deliveries.fn(page, "delivered")
        assert page.deliveries == [] and page.expanded == ""

        receiver.status = 200
        await InstanceDetailState.filter_deliveries.fn(page, "all")
        await InstanceDetailState.redeliver.fn(page, failed["id"])
        assert page.error == "" and page.notice == "dashboard_whatsapp.webhook.redelivery_queued"
        await eventually(lambda: _statuses_are(instance.id, ["delivered"]))
    await InstanceDetailState.refresh.fn(page)
    assert [(d["status"], d["reason"]) for d in page.deliveries] == [("delivered", "")]
    assert page.webhook_failing_since == ""  # a success ends the failing streak
    await WebhooksOverviewState.load.fn(overview)
    assert [r["state"] for r in overview.endpoints] == ["active"]
    assert [b["type"] for b in receiver.bodies] == ["webhook.test", "webhook.test"]
    assert receiver.bodies[0]["id"] == receiver.bodies[1]["id"]  # same event redelivered


async def _statuses_are(instance_id: str, expected: list[str]) -> bool:
    return await delivery_statuses(instance_id) == expected


async def test_another_organizations_instance_and_deliveries_change_nothing(live: LiveApp, session,
                                                                           receiver: Receiver) -> None:
    org_a, cookie_a = await signed_in_owner("a@example.com", plan="starter")
    _, cookie_b = await signed_in_owner("b@example.com", plan="starter")
    instance = await linked_instance(live, session, org_a)
    owner = detail_tab(cookie_a, instance.id)
    await InstanceDetailState.load.fn(owner)
    InstanceDetailState.set_webhook_url.fn(owner, receiver.url)
    await InstanceDetailState.save_webhook.fn(owner)
    await InstanceDetailState.send_test_event.fn(owner)
    (delivery,) = owner.deliveries

    intruder = detail_tab(cookie_b, instance.id)  # B opens A's instance page by its URL
    await InstanceDetailState.load.fn(intruder)
    assert not intruder.found and intruder.messages == [] and intruder.deliveries == []
    await InstanceDetailState.send_message.fn(intruder, {"to": "5511912345678", "text": "hi"})
    InstanceDetailState.set_webhook_url.fn(intruder, receiver.url + "/b")
    await InstanceDetailState.save_webhook.fn(intruder)
    assert await InstanceDetailState.rotate_secret.fn(intruder) is None  # no secret for them
    await InstanceDetailState.redeliver.fn(intruder, delivery["id"])
    assert intruder.error == "dashboard_whatsapp.errors.not_found"
    await InstanceDetailState.toggle_delivery.fn(intruder, delivery["id"])
    assert intruder.attempts == [] and not intruder.showing_secret

    await InstanceDetailState.load.fn(owner)
    assert owner.webhook_url == receiver.url and owner.messages == []
    assert [d["status"] for d in owner.deliveries] == ["pending"] and owner.has_pending

    overview_a = tab_with_cookie(WebhooksOverviewState, cookie_a, "/dashboard/webhooks")
    await WebhooksOverviewState.load.fn(overview_a)
    assert [(r["id"], r["url"], r["state"]) for r in overview_a.endpoints] == [(instance.id, receiver.url, "active")]
    overview_b = tab_with_cookie(WebhooksOverviewState, cookie_b, "/dashboard/webhooks")
    await WebhooksOverviewState.load.fn(overview_b)
    assert overview_b.endpoints == []


def test_a_failed_message_row_names_its_error_in_the_catalogue() -> None:
    def key_of(error: str | None) -> str:
        row = Message(id="msg_1", instance_id="inst_1", direction="outbound", chat_jid="1@s.whatsapp.net",
                      phone="1", type="text", text="hi", status="failed" if error else "sent", error=error)
        return message_row(row)["error_key"]

    assert key_of(None) == ""
    assert key_of(messaging.TIMEOUT_ERROR) == "whatsapp.errors.gateway_timeout"
    assert key_of(messaging.INTERRUPTED_ERROR.format(reason="cancelled")) == "whatsapp.errors.gateway_timeout"
    assert key_of("instance_not_connected: no session") == "whatsapp.errors.instance_not_connected"
    assert key_of("gateway_unavailable") == "whatsapp.errors.gateway_unavailable"
    assert key_of("something else broke") == "dashboard_whatsapp.errors.message_failed"
    assert all(key in CATALOGUES["pt-BR"] for key in (key_of("gateway_unavailable"), key_of("x y")))


@pytest.mark.parametrize(("error", "kind"), [
    (None, ""), ("timed out after 10 s", "timeout"), ("HTTP 503", "http_status"),
    ("host 'x' resolves to a non-public address (10.0.0.1); only public addresses are allowed", "refused"),
    ("webhook URL is malformed: bad port", "refused"), ("internal error: KeyError", "internal"),
    ("ConnectError: connection refused", "unreachable"),
])
def test_an_attempt_error_has_a_translated_label(error: str | None, kind: str) -> None:
    row = attempt_row(AttemptOut.model_validate({"attempt": 1, "responseStatus": None, "latencyMs": None,
                                                 "responseSnippet": None, "error": error, "createdAt": None}))
    assert row["error_key"] == (f"dashboard_whatsapp.attempt_error.{kind}" if kind else "")
    assert not kind or all(row["error_key"] in catalogue for catalogue in CATALOGUES.values())
