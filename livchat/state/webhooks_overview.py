"""Dashboard → Webhooks: every instance's endpoint at a glance (details live on the instance page)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from livchat.core.db import db
from livchat.services.webhooks import endpoints
from livchat.services.whatsapp import instances
from livchat.state.auth import authorized, current_context
from livchat.state.times import when


def endpoint_state(endpoint: dict[str, Any]) -> str:
    """none ({}: no endpoint), paused (deliveries held), failing (every delivery since
    `failingSince` failed), active."""
    if not endpoint:
        return "none"
    if endpoint["pausedAt"] or not endpoint["active"]:
        return "paused"
    return "failing" if endpoint["failingSince"] else "active"


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
                endpoint = await endpoints.find_endpoint(session, org, instance.id) or {}
                rows.append({"id": instance.id, "name": instance.name, "url": endpoint.get("url", ""),
                             "events": str(len(endpoint["events"])) if endpoint else "",
                             "state": endpoint_state(endpoint), "paused_at": when(endpoint.get("pausedAt")),
                             "failing_since": when(endpoint.get("failingSince"))})
        self.endpoints = rows
