"""The members page: people, roles, invitations, leaving — always for the session's organization."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import db
from livchat.models.enums import Role
from livchat.services.accounts import invitations, organizations
from livchat.services.accounts.schemas import InvitationOut, MemberOut
from livchat.services.errors import ServiceError
from livchat.services.notifications import email
from livchat.state.auth import (
    AuthContext,
    authorized,
    current_context,
    error_key,
    full_navigation,
)
from livchat.state.i18n import LangState
from livchat.state.times import when


class MembersState(rx.State):
    members: list[dict[str, str]] = []
    invitations: list[dict[str, str]] = []
    emails: list[dict[str, str]] = []  # the outbox: without an email provider, links are shared from here
    can_manage: bool = False
    is_owner: bool = False
    error: str = ""
    notice: str = ""

    async def _reload(self, ctx: AuthContext) -> None:
        async with db.session() as session:
            people = await organizations.list_members(session, ctx.organization.id)
            manager = ctx.can("manage_members")
            pending = await invitations.list_pending(session, ctx.organization.id) if manager else []
            sent = await email.organization_outbox(session, ctx.organization.id) if manager else []
        self.members = [
            {"id": m.id, "name": m.name, "email": m.email, "role": m.role,
             "me": "yes" if m.user_id == ctx.user.id else ""}
            for m in (MemberOut.of(person.membership, person.user) for person in people)
        ]
        self.invitations = [
            {"id": i.id, "email": i.email, "role": i.role, "expires": when(i.expires_at)}
            for i in map(InvitationOut.of, pending)
        ]
        # Who, what and when; never the body: it holds the invitee's link, which is theirs.
        self.emails = [
            {"id": e.id, "to": e.to, "subject": e.subject, "status": e.status, "created": when(e.created_at)}
            for e in sent
        ]
        self.can_manage, self.is_owner = ctx.can("manage_members"), ctx.role == Role.OWNER

    async def _run(self, action: Callable[[AsyncSession, AuthContext], Awaitable[object]], notice: str = "") -> None:
        """Run one change for the session's organization; errors become a translated message."""
        ctx = await current_context(self)
        self.error, self.notice = "", ""
        async with db.session() as session:
            try:
                await action(session, ctx)
                await session.commit()
                self.notice = notice
            except ServiceError as exc:
                await session.rollback()
                self.error = error_key(exc)
        await self._reload(ctx)

    @rx.event
    @authorized
    async def load(self) -> None:
        ctx = await current_context(self)
        self.error, self.notice = "", ""
        await self._reload(ctx)

    @rx.event
    @authorized
    async def invite(self, form_data: dict) -> None:
        email, role = str(form_data.get("email") or ""), str(form_data.get("role") or Role.MEMBER)
        language = (await self.get_state(LangState)).lang  # the email's, unless the invitee has an account
        await self._run(
            lambda s, ctx: invitations.invite(s, ctx.actor, email, role, language),
            "accounts.members.invited",
        )

    @rx.event
    @authorized
    async def revoke_invitation(self, invitation_id: str) -> None:
        await self._run(lambda s, ctx: invitations.revoke(s, ctx.actor, invitation_id))

    @rx.event
    @authorized
    async def change_role(self, membership_id: str, role: str) -> None:
        await self._run(lambda s, ctx: organizations.change_role(s, ctx.actor, membership_id, role))

    @rx.event
    @authorized
    async def remove(self, membership_id: str) -> None:
        await self._run(lambda s, ctx: organizations.remove_member(s, ctx.actor, membership_id))

    @rx.event
    @authorized
    async def make_owner(self, membership_id: str) -> None:
        await self._run(lambda s, ctx: organizations.transfer_ownership(s, ctx.actor, membership_id))

    @rx.event
    @authorized
    async def leave(self):
        await self._run(lambda s, ctx: organizations.leave(s, ctx.actor))
        if not self.error:
            return full_navigation("/select-organization")
        return None
