"""The API keys page: list, create (the full key shown once), revoke — for the session's organization.

The full key of a new key never enters the state: Reflex stores state (on disk, in Redis), so the
key travels once, in the event that writes it into the page (`show_secret`, with a curl command
that uses it), and stays in the DOM.
"""

from __future__ import annotations

import reflex as rx

from livchat.core.db import db
from livchat.core.settings import get_settings
from livchat.services.accounts import api_keys
from livchat.services.accounts.schemas import ApiKeyOut
from livchat.services.errors import NotFound, ServiceError
from livchat.state.auth import authorized, current_context, error_key
from livchat.state.reveal import reveal_all
from livchat.state.times import when

SECRET_ELEMENT = "new-api-key"


CURL_ELEMENT = "new-api-key-curl"


def first_call(secret: str) -> str:
    """A ready-to-paste first request with the new key ("" without a key)."""
    if not secret:
        return ""
    return f'curl -H "Authorization: Bearer {secret}" {get_settings().public_url.rstrip("/")}/api/v1/instances'


def show_secret(secret: str) -> rx.event.EventSpec:
    """Write the key, and a first curl call that uses it, into the page's (always present, hidden
    until shown) elements, and only there."""
    return reveal_all({SECRET_ELEMENT: secret, CURL_ELEMENT: first_call(secret)})


class ApiKeysState(rx.State):
    keys: list[dict[str, str]] = []
    can_manage: bool = False
    showing_secret: bool = False  # the callout with the new key is open (the key itself is only in the page)
    error: str = ""

    async def _reload(self, organization_id: str) -> None:
        async with db.session() as session:
            rows = await api_keys.list_api_keys(session, organization_id)
        self.keys = [
            {"id": k.id, "name": k.name, "prefix": k.prefix + "…", "created": when(k.created_at),
             "last_used": when(k.last_used_at), "revoked": "yes" if k.revoked_at else ""}
            for k in map(ApiKeyOut.of, rows)
        ]

    @rx.event
    @authorized
    async def load(self) -> None:
        ctx = await current_context(self)
        self.error, self.showing_secret = "", False
        self.can_manage = ctx.can("manage_keys")
        await self._reload(ctx.organization.id)

    @rx.event
    @authorized
    async def create(self, form_data: dict):
        ctx = await current_context(self)
        self.error = ""
        try:
            async with db.session() as session:
                created = await api_keys.create_api_key(session, ctx.actor, str(form_data.get("name") or ""))
                await session.commit()
        except ServiceError as exc:
            self.error = error_key(exc)
            return None
        self.showing_secret = True
        await self._reload(ctx.organization.id)
        return show_secret(created.secret)

    @rx.event
    @authorized
    async def revoke(self, key_id: str) -> None:
        ctx = await current_context(self)
        self.error = ""
        try:
            async with db.session() as session:
                await api_keys.revoke_api_key(session, ctx.actor, key_id)
                await session.commit()
        except NotFound:
            pass  # another organization's key, or gone: nothing to do
        except ServiceError as exc:
            self.error = error_key(exc)
        await self._reload(ctx.organization.id)

    @rx.event
    def dismiss_secret(self):
        self.showing_secret = False
        return show_secret("")
