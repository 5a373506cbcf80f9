"""The dashboard's notices (a paused webhook, ...): the organization's unread ones, live."""

from __future__ import annotations

import reflex as rx

from livchat.core.db import db
from livchat.services.errors import NotFound
from livchat.services.notifications import notices
from livchat.state.auth import AuthContext, authorized, current_context
from livchat.state.times import when


class NoticesState(rx.State):
    # Both languages travel, so switching language needs no round trip.
    items: list[dict[str, str]] = []

    @rx.event
    @authorized
    async def load(self) -> None:
        await self._reload(await current_context(self))

    @rx.event
    @authorized
    async def refresh(self) -> None:
        """A notice was created. Not a page load: the tab's organization is checked, not re-recorded."""
        await self._reload(await current_context(self))

    @rx.event
    @authorized
    async def dismiss(self, notification_id: str) -> None:
        ctx = await current_context(self)  # any member may dismiss their organization's notices
        async with db.session() as session:
            try:
                await notices.dismiss(session, ctx.actor, notification_id)
            except NotFound:
                return  # not theirs (or gone): nothing changes
        await self._reload(ctx)

    async def _reload(self, ctx: AuthContext) -> None:
        async with db.session() as session:
            views = await notices.unread(session, ctx.organization.id)
        self.items = [{"id": v.id, "created": when(v.created_at),
                       "title_en": v.text["en"].title, "body_en": v.text["en"].body,
                       "title_pt": v.text["pt-BR"].title, "body_pt": v.text["pt-BR"].body} for v in views]
