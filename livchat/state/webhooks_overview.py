"""Dashboard → Webhooks: every instance's endpoint at a glance (details live on the instance page)."""

from __future__ import annotations

import reflex as rx

from livchat.core.db import db
from livchat.services.webhooks import endpoints
from livchat.services.webhooks.schemas import InstanceWebhook
from livchat.services.whatsapp import instances
from livchat.state.auth import authorized, current_context
from livchat.state.times import when


def endpoint_state(endpoint: InstanceWebhook | None) -> str:
    """none, paused (deliveries held), failing (every delivery since `failing_since` failed), active."""
    if endpoint is None:
        return "none"
    if endpoint.paused_at or not endpoint.active:
        return "paused"
    return "failing" if endpoint.failing_since else "active"


class WebhooksOverviewState(rx.State):
    endpoints: list[dict[str, str]] = []

    @rx.event
    @authorized
    async def load(self) -> None:
        ctx = await current_context(self)
        org = ctx.organization.id
        rows = []
        async with db.session() as session:
            for instance in await instances.list_instances(session, org):
                endpoint = await endpoints.find_endpoint(session, org, instance.id)
                rows.append({"id": instance.id, "name": instance.name, "url": endpoint.url if endpoint else "",
                             "events": str(len(endpoint.events)) if endpoint else "",
                             "state": endpoint_state(endpoint),
                             "paused_at": when(endpoint.paused_at) if endpoint else "",
                             "failing_since": when(endpoint.failing_since) if endpoint else ""})
        self.endpoints = rows
