"""Dashboard → one instance (`/dashboard/instances/[instance_key]`): its messages and test send,
its webhook endpoint (secret shown once), and its delivery log with attempt details.

The instance comes from the route and is looked up inside the session's organization on every
call; another organization's instance is simply "not found". Lists are bounded pages.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from livchat.core.db import db
from livchat.models.enums import DeliveryStatus
from livchat.models.whatsapp import Message
from livchat.services.errors import NotFound, ServiceError
from livchat.services.webhooks import endpoints
from livchat.services.webhooks.dispatcher import attempt_error_kind
from livchat.services.webhooks.schemas import AttemptOut, DeliveryOut, WebhookOut
from livchat.services.whatsapp import instances, messaging
from livchat.services.whatsapp.events import WEBHOOK_EVENT_TYPES
from livchat.services.whatsapp.messaging import OutgoingMessage
from livchat.services.whatsapp.schemas import MessageOut
from livchat.state.auth import AuthContext, authorized, current_context
from livchat.state.feeds import OrgFeed
from livchat.state.inputs import browser_input
from livchat.state.instances import MANAGE, instance_row
from livchat.state.reveal import reveal
from livchat.state.times import when
from livchat.state.whatsapp_common import code_key, problem_key

PAGE_SIZE = 20
DELIVERY_STATUSES = [str(s) for s in DeliveryStatus]


def message_row(row: Message) -> dict[str, str]:
    message = MessageOut.of(row)
    return {"id": message.id, "direction": str(message.direction), "phone": message.phone or "",
            "type": str(message.type), "text": (message.text or message.caption or "")[:300],
            "status": str(message.status), "error": message.error or "", "time": when(message.timestamp),
            "error_key": code_key(code) if (code := messaging.failure_code(message.error)) else ""}


def delivery_row(view: DeliveryOut) -> dict[str, str]:
    return {"id": view.id, "event": view.event_type, "status": str(view.status),
            "attempts": str(view.attempts), "response": str(view.response_status or ""),
            "latency": "" if view.latency_ms is None else f"{view.latency_ms} ms",
            "created": when(view.created_at), "last_attempt": when(view.last_attempt_at),
            "reason": view.failure_reason or ""}


def attempt_row(view: AttemptOut) -> dict[str, str]:
    return {"attempt": str(view.attempt), "status": str(view.response_status or ""),
            "latency": "" if view.latency_ms is None else f"{view.latency_ms} ms",
            "snippet": (view.response_snippet or "")[:1024], "error": view.error or "",
            "time": when(view.created_at),
            "error_key": f"dashboard_whatsapp.attempt_error.{kind}" if (kind := attempt_error_kind(view.error))
            else ""}


SECRET_ELEMENT = "webhook-secret"
SEND_TEXT_ELEMENT = "send-text"  # the send form's message field (uncontrolled: cleared by an event)


class InstanceDetailState(rx.State):
    found: bool = False
    instance: dict[str, str] = {}
    can_manage: bool = False
    error: str = ""
    error_detail: str = ""
    # Why a webhook URL was refused, as a catalogue key (shown instead of the English detail).
    error_reason: str = ""
    notice: str = ""
    busy: bool = False
    # "AI answers this number": its messages feed the support inbox and the AI agent answers them.
    ai_answers: bool = False
    # Messages: newest first, one bounded page at a time ("load more").
    messages: list[dict[str, str]] = []
    messages_cursor: str = ""
    # Webhook endpoint. A new signing secret is shown once, in the page only (see state/reveal.py).
    webhook_url: str = ""
    webhook_events: list[str] = list(WEBHOOK_EVENT_TYPES)
    has_webhook: bool = False
    webhook_paused: bool = False
    webhook_failing_since: str = ""  # UTC, RFC 3339: every delivery since then has failed
    secret_prefix: str = ""
    showing_secret: bool = False
    # Deliveries, optionally filtered by status; one row expanded with its attempts.
    deliveries: list[dict[str, str]] = []
    deliveries_cursor: str = ""
    delivery_filter: str = "all"
    has_pending: bool = False  # while true, the page re-checks the log every few seconds
    expanded: str = ""
    attempts: list[dict[str, str]] = []

    def _instance_key(self) -> str:
        return str(self.router._page.params.get("instance_key", "") or "")

    def _fail(self, exc: ServiceError) -> None:
        self.error, self.error_detail, self.notice = problem_key(exc), exc.detail, ""  # no stale success beside it
        self.error_reason = f"dashboard_whatsapp.url_refused.{exc.reason}" if isinstance(exc, endpoints.UnsafeWebhookUrl) else ""

    async def _reload(self, organization_id: str, *, keep_pages: bool = True) -> None:
        """The instance, the first page(s) of messages and deliveries, the endpoint (no network)."""
        key = self._instance_key()
        async with db.session() as session:
            try:
                instance = await instances.get_instance(session, organization_id, key)
            except NotFound:
                self.found, self.instance, self.messages, self.deliveries = False, {}, [], []
                return
            self.found, self.instance = True, instance_row(instance)
            self.ai_answers = bool(instance.agent_enabled)
            shown = max(PAGE_SIZE, len(self.messages) if keep_pages else 0)
            rows, cursor = await messaging.list_messages(session, organization_id, instance.id, limit=shown)
            self.messages, self.messages_cursor = [message_row(r) for r in rows], cursor or ""
            endpoint = await endpoints.find_endpoint(session, organization_id, instance.id)
            self.has_webhook = endpoint is not None
            self.webhook_paused, self.webhook_failing_since = False, ""
            if endpoint is not None:
                self.webhook_url, self.webhook_events = endpoint.url, endpoint.events
                self.webhook_paused, self.secret_prefix = bool(endpoint.paused_at), endpoint.secret_prefix
                self.webhook_failing_since = when(endpoint.failing_since)
            await self._reload_deliveries(session, organization_id, keep_pages=keep_pages)

    async def _reload_deliveries(self, session: Any, organization_id: str, *, keep_pages: bool = True) -> None:
        status = None if self.delivery_filter == "all" else self.delivery_filter
        shown = max(PAGE_SIZE, len(self.deliveries) if keep_pages else 0)
        page = await endpoints.list_deliveries(session, organization_id, self.instance["id"], status=status,
                                              limit=shown)
        self.deliveries, self.deliveries_cursor = [delivery_row(d) for d in page.data], page.next_cursor or ""
        self.has_pending = any(d["status"] == DeliveryStatus.PENDING for d in self.deliveries)
        if self.expanded:
            await self._load_attempts(session, organization_id, self.expanded)

    async def _load_attempts(self, session: Any, organization_id: str, delivery_id: str) -> None:
        detail = await endpoints.get_delivery(session, organization_id, delivery_id)
        self.expanded, self.attempts = detail.id, [attempt_row(a) for a in detail.attempt_log]

    @rx.event
    @authorized
    async def load(self) -> None:
        ctx = await current_context(self)
        self.error, self.error_detail, self.notice, self.expanded = "", "", "", ""
        self.showing_secret, self.busy = False, False  # busy: no spinner left by a broken handler
        self.can_manage = ctx.can(MANAGE)
        await self._reload(ctx.organization.id, keep_pages=False)

    @rx.event
    @authorized
    async def refresh(self) -> None:
        """The organization's feed moved; only this instance's events matter here."""
        feed = await self.get_state(OrgFeed)
        if self.found and feed.last_instance not in ("", self.instance.get("id")):
            return
        ctx = await current_context(self)
        await self._reload(ctx.organization.id)

    @rx.event
    @authorized
    async def reload_deliveries(self) -> None:
        """The dispatcher works apart from the feed: the page asks again while deliveries are pending."""
        ctx = await current_context(self)
        if self.found:
            async with db.session() as session:
                await self._reload_deliveries(session, ctx.organization.id)

    @rx.event
    @authorized
    async def load_more_messages(self) -> None:
        ctx = await current_context(self)
        if not self.found or not self.messages_cursor:
            return
        async with db.session() as session:
            rows, cursor = await messaging.list_messages(session, ctx.organization.id, self.instance["id"],
                                                         cursor=self.messages_cursor, limit=PAGE_SIZE)
        self.messages = self.messages + [message_row(r) for r in rows]
        self.messages_cursor = cursor or ""

    @rx.event
    @authorized
    async def load_more_deliveries(self) -> None:
        ctx = await current_context(self)
        if not self.found or not self.deliveries_cursor:
            return
        status = None if self.delivery_filter == "all" else self.delivery_filter
        async with db.session() as session:
            page = await endpoints.list_deliveries(session, ctx.organization.id, self.instance["id"], status=status,
                                                  limit=PAGE_SIZE, cursor=self.deliveries_cursor)
        self.deliveries = self.deliveries + [delivery_row(d) for d in page.data]
        self.deliveries_cursor = page.next_cursor or ""

    @rx.event
    @authorized
    async def filter_deliveries(self, status: str) -> None:
        ctx = await current_context(self)
        self.delivery_filter = status if status in DELIVERY_STATUSES else "all"
        self.expanded, self.attempts = "", []
        if self.found:
            async with db.session() as session:
                await self._reload_deliveries(session, ctx.organization.id, keep_pages=False)

    @rx.event
    @authorized
    async def toggle_delivery(self, delivery_id: str) -> None:
        ctx = await current_context(self)
        if self.expanded == delivery_id:
            self.expanded, self.attempts = "", []
            return
        try:
            async with db.session() as session:
                await self._load_attempts(session, ctx.organization.id, delivery_id)
        except ServiceError as exc:
            self._fail(exc)

    @rx.event
    @authorized
    async def redeliver(self, delivery_id: str) -> None:
        ctx = await current_context(self)
        self.error, self.error_detail, self.notice = "", "", ""
        try:
            async with db.session() as session:
                await endpoints.redeliver(session, ctx.actor, delivery_id)
        except ServiceError as exc:
            self._fail(exc)
            return
        self.notice = "dashboard_whatsapp.webhook.redelivery_queued"
        await self._reload(ctx.organization.id)

    @rx.event
    @authorized
    async def set_ai_answers(self, enabled: bool) -> None:
        """The switch: on, the number's messages become inbox conversations the AI agent answers."""
        ctx = await current_context(self)
        self.error, self.error_detail, self.notice = "", "", ""
        if not self.found:
            return
        try:
            async with db.session() as session:
                instance = await instances.set_ai_answers(session, ctx.actor, self.instance.get("id", ""),
                                                          enabled is True)
        except ServiceError as exc:
            self._fail(exc)
            return
        self.ai_answers = bool(instance.agent_enabled)

    @rx.event
    def toggle_event(self, event_type: str) -> None:
        if event_type in self.webhook_events:
            self.webhook_events = [e for e in self.webhook_events if e != event_type]
        elif event_type in WEBHOOK_EVENT_TYPES:
            self.webhook_events = [e for e in WEBHOOK_EVENT_TYPES if e in self.webhook_events or e == event_type]

    @rx.event
    @browser_input
    def set_webhook_url(self, value: str) -> None:
        self.webhook_url = value

    @rx.event
    def dismiss_secret(self) -> rx.event.EventSpec:
        self.showing_secret = False
        return reveal(SECRET_ELEMENT, "")

    def _show_secret(self, view: Any) -> rx.event.EventSpec | None:
        """A view that carries a new secret (create, rotate) puts it in the page once."""
        secret = view.secret if isinstance(view, WebhookOut) else None
        if not secret:
            return None
        self.showing_secret = True
        return reveal(SECRET_ELEMENT, secret)

    async def _webhook_change(self, change: Any) -> rx.event.EventSpec | None:
        ctx = await current_context(self)
        self.error, self.error_detail, self.notice = "", "", ""
        if not self.found:
            return
        try:
            async with db.session() as session:
                view = await change(session, ctx)
        except ServiceError as exc:
            self._fail(exc)
            return None
        shown = self._show_secret(view)
        await self._reload(ctx.organization.id)
        return shown

    @rx.event(background=True)
    @authorized
    async def save_webhook(self):  # type: ignore[no-untyped-def]
        """Background: checking the URL resolves its host (DNS), a network call."""
        async with self:
            url, events, instance_id = self.webhook_url, list(self.webhook_events), self.instance.get("id", "")
            if not events:  # the form's own check, in the reader's language (the API says it in English)
                self.error, self.error_detail, self.notice = "dashboard_whatsapp.errors.events_required", "", ""
                return
        ctx = await current_context(self)
        try:
            async with db.session() as session:
                view = await endpoints.save_endpoint(session, ctx.actor, instance_id, url, events)
        except ServiceError as exc:
            async with self:
                self._fail(exc)
            return
        async with self:
            self.error, self.error_detail = "", ""
            shown = self._show_secret(view)
            self.notice = "dashboard_whatsapp.webhook.saved"
            await self._reload(ctx.organization.id)
        return shown

    @rx.event
    @authorized
    async def rotate_secret(self):  # type: ignore[no-untyped-def]
        instance_id = self.instance.get("id", "")
        return await self._webhook_change(lambda s, ctx: endpoints.rotate_secret(s, ctx.actor, instance_id))

    @rx.event
    @authorized
    async def send_test_event(self) -> None:
        instance_id = self.instance.get("id", "")

        async def test(session: Any, ctx: AuthContext) -> DeliveryOut:
            return await endpoints.send_test_event(session, ctx.actor, instance_id)

        await self._webhook_change(test)
        if not self.error:
            self.notice = "dashboard_whatsapp.webhook.test_queued"

    @rx.event
    @authorized
    async def delete_webhook(self) -> None:
        instance_id = self.instance.get("id", "")
        await self._webhook_change(lambda s, ctx: endpoints.delete_endpoint(s, ctx.actor, instance_id))
        if not self.error:
            self.webhook_url, self.webhook_events = "", list(WEBHOOK_EVENT_TYPES)

    @rx.event(background=True)
    @authorized
    async def send_message(self, form_data: dict):  # type: ignore[no-untyped-def]
        """Background: sending calls WuzAPI. Same limits as the API (per-second and daily quota).
        A sent text leaves the field (a second click must not send it again); a refused one stays."""
        async with self:
            self.error, self.error_detail, self.notice, self.busy = "", "", "", True
            instance_id = self.instance.get("id", "")
        ctx = await current_context(self)
        org = ctx.organization
        error: ServiceError | None = None
        try:  # the service checks the input first, then the plan's limits
            async with db.session() as session:
                await messaging.send_message(session, ctx.actor, instance_id, OutgoingMessage(
                    to=str(form_data.get("to") or ""), text=str(form_data.get("text") or "")), plan=org.plan)
        except ServiceError as exc:
            error = exc
        async with self:
            self.busy = False
            if error is not None:
                self._fail(error)
            else:
                self.notice = "dashboard_whatsapp.messages.sent"
            await self._reload(org.id)
        return None if error is not None else rx.set_value(SEND_TEXT_ELEMENT, "")

