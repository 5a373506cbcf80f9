"""The dashboard frame's state: who is signed in, the active organization, the switcher, sign-out."""

from __future__ import annotations

import reflex as rx

from livchat.core.db import db
from livchat.core.settings import get_settings
from livchat.i18n import translate
from livchat.services.accounts import auth, organizations
from livchat.services.errors import NotFound
from livchat.state.auth import (
    TabOrganization,
    authorized,
    current_context,
    session_token,
    signed_in,
    take_notice,
)
from livchat.state.i18n import LangState

# After our session is gone: with Clerk, Clerk's session ends too (on a page that loads Clerk).
SIGNED_OUT_PAGE = "/signed-out"


class ShellState(rx.State):
    ready: bool = False
    user_email: str = ""
    user_name: str = ""
    organization_id: str = ""
    organization_name: str = ""
    role: str = ""
    organizations: list[dict[str, str]] = []

    @rx.event
    @authorized
    async def load(self):
        """Guard of every dashboard page: signed out -> /sign-in; no organization -> selection."""
        self.ready = False
        ctx = await current_context(self)
        async with db.session() as session:
            mine = await organizations.organizations_of(session, ctx.user.id)
        self.user_email, self.user_name = ctx.user.email, ctx.user.name
        self.organization_id, self.organization_name, self.role = ctx.organization.id, ctx.organization.name, ctx.role
        self.organizations = [{"id": m.organization.id, "name": m.organization.name} for m in mine]
        self.ready = True
        notice = await take_notice(self)
        if notice:  # left by a reload: another tab switched the organization
            language = (await self.get_state(LangState)).lang
            return rx.toast.warning(translate(notice, language, organization=ctx.organization.name),
                                    id="organization-changed", duration=10_000)
        return None

    @rx.event
    @authorized
    async def switch_organization(self, organization_id: str):
        user_session, _ = await signed_in(self)
        async with db.session() as session:
            user_session = await session.merge(user_session)
            try:
                await auth.select_organization(session, user_session, organization_id)
            except NotFound:
                return None  # not theirs: nothing changes
            await session.commit()
        # A full reload: every page state reloads its data for the new organization.
        return rx.call_script("window.location.reload()")

    @rx.event
    async def sign_out(self):
        async with db.session() as session:
            await auth.revoke_session(session, session_token(self))
            await session.commit()
        self.reset()
        tab = await self.get_state(TabOrganization)
        tab._organization_id, tab._notice = "", ""
        after = SIGNED_OUT_PAGE if get_settings().clerk_enabled else "/sign-in"
        # The HttpOnly cookie can only be cleared by a response from us; then a real page load.
        return rx.call_script("fetch('/api/auth/sign-out', {method: 'POST', credentials: 'same-origin'})"
                              f".finally(() => window.location.assign('{after}'))")
