"""Dashboard → Webhooks: every instance's endpoint at a glance (details live on the instance page)."""

from __future__ import annotations

import reflex as rx

from livchat.core.db import db
from livchat.services.webhooks import endpoints
from livchat.services.whatsapp import instances
from livchat.state.auth import authorized, current_context


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
                state = "none" if endpoint is None else "active" if endpoint.active else "paused"
                rows.append({"id": instance.id, "name": instance.name, "url": endpoint.url if endpoint else "",
                             "events": str(len(endpoint.events)) if endpoint else "", "state": state})
        self.endpoints = rows
