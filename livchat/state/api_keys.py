"""The API keys page: list, create (the full key shown once), revoke — for the session's organization."""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from livchat.core.db import db
from livchat.services import api_keys
from livchat.services.errors import NotFound, ServiceError
from livchat.state.auth import authorized, current_context, error_key


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


class ApiKeysState(rx.State):
    keys: list[dict[str, str]] = []
    can_manage: bool = False
    new_secret: str = ""  # the full key, held only until the user dismisses it
    error: str = ""

    async def _reload(self, organization_id: str) -> None:
        async with db.session() as session:
            rows = await api_keys.list_api_keys(session, organization_id)
        self.keys = [
            {"id": k.id, "name": k.name, "prefix": k.prefix + "…", "created": when(k.created_at),
             "last_used": when(k.last_used_at), "revoked": "yes" if k.revoked_at else ""}
            for k in rows
        ]

    @rx.event
    @authorized
    async def load(self) -> None:
        ctx = await current_context(self)
        self.error, self.new_secret = "", ""
        self.can_manage = ctx.can("manage_keys")
        await self._reload(ctx.organization.id)

    @rx.event
    @authorized
    async def create(self, form_data: dict) -> None:
        ctx = await current_context(self)
        self.error = ""
        try:
            ctx.require("manage_keys")
            async with db.session() as session:
                created = await api_keys.create_api_key(
                    session, ctx.organization.id, str(form_data.get("name") or ""), created_by_user_id=ctx.user.id
                )
                await session.commit()
        except ServiceError as exc:
            self.error = error_key(exc)
            return
        self.new_secret = created.secret
        await self._reload(ctx.organization.id)

    @rx.event
    @authorized
    async def revoke(self, key_id: str) -> None:
        ctx = await current_context(self)
        self.error = ""
        try:
            ctx.require("manage_keys")
            async with db.session() as session:
                await api_keys.revoke_api_key(session, ctx.organization.id, key_id)
                await session.commit()
        except NotFound:
            pass  # another organization's key, or gone: nothing to do
        except ServiceError as exc:
            self.error = error_key(exc)
        await self._reload(ctx.organization.id)

    @rx.event
    def dismiss_secret(self) -> None:
        self.new_secret = ""
