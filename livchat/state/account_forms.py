"""Sign-in, sign-up, password reset, invitations and organization selection (public pages).

With Clerk configured the local-account handlers still exist (the pages compile either way) but
every one of them is refused by the services (`auth.require_local_accounts`), whoever calls it.
"""

from __future__ import annotations

import reflex as rx

from livchat.core.db import db
from livchat.services.accounts import auth, invitations, organizations, users
from livchat.services.errors import ServiceError
from livchat.state.auth import (
    authorized,
    error_key,
    full_navigation,
    open_session,
    session_token,
    signed_in,
)
from livchat.state.i18n import LangState
from livchat.state.inputs import browser_input

# What /sign-in?error=… may show: failed ticket or Clerk exchanges (api/accounts.py) land there.
SIGN_IN_ERRORS = ("sign_in_link_expired", "clerk_sign_in_failed", "clerk_account_pending")


def _field(form_data: dict, name: str) -> str:
    return str(form_data.get(name) or "")


async def _signed_in_elsewhere(state: rx.State) -> rx.event.EventSpec | None:
    """Someone already signed in has nothing to do on /sign-in or /sign-up: on to the dashboard."""
    async with db.session() as session:
        found = await auth.resolve_session(session, session_token(state))
    if found is None:
        return None
    return rx.redirect(auth.safe_next(state.router.url.query_parameters.get("next")))


class SignInState(rx.State):
    error: str = ""
    busy: bool = False

    @rx.event
    async def load(self):
        code = self.router.url.query_parameters.get("error", "")
        self.error = f"accounts.errors.{code}" if code in SIGN_IN_ERRORS else ""
        return await _signed_in_elsewhere(self)

    @rx.event
    @browser_input
    async def sign_in(self, form_data: dict):
        self.error = ""
        next_path = auth.safe_next(self.router.url.query_parameters.get("next"))
        async with db.session() as session:
            try:
                user = await auth.check_password(
                    session, _field(form_data, "email"), _field(form_data, "password"),
                    ip=self.router.session.client_ip,
                )
            except ServiceError as exc:
                self.error = error_key(exc)
                return None
            ticket = await auth.issue_sign_in_ticket(session, user.id)
            await session.commit()
        return open_session(ticket, next_path)


class SignUpState(rx.State):
    error: str = ""
    invited_email: str = ""
    invited_organization: str = ""

    @rx.event
    async def load(self):
        self.error = ""
        self.invited_email = self.invited_organization = ""
        token = self.router.url.query_parameters.get("invite", "")
        if not token:
            return await _signed_in_elsewhere(self)
        async with db.session() as session:
            found = await invitations.pending_by_token(session, token)
        if found:
            self.invited_email, self.invited_organization = found[0].email, found[1].name
        else:
            self.error = "accounts.errors.invalid_invitation"
        return None

    @rx.event
    @browser_input
    async def sign_up(self, form_data: dict):
        self.error = ""
        invite = self.router.url.query_parameters.get("invite", "")
        email, password, name = _field(form_data, "email"), _field(form_data, "password"), _field(form_data, "name")
        language = (await self.get_state(LangState)).lang
        async with db.session() as session:
            try:
                await auth.count_sign_up(self.router.session.client_ip)
                if invite:  # joining someone's organization: no organization of one's own
                    user = await auth.sign_up_invited(session, invite, email, password, name=name, locale=language)
                else:
                    user = (await auth.sign_up(session, email, password, name=name, locale=language,
                                               organization_name=_field(form_data, "organization"))).user
                ticket = await auth.issue_sign_in_ticket(session, user.id)
                await session.commit()
            except ServiceError as exc:
                await session.rollback()
                self.error = error_key(exc)
                return None
        # On to where the visitor was going (the test panel's /test-panel/keep), same-site only.
        return open_session(ticket, auth.safe_next(self.router.url.query_parameters.get("next")))


class PasswordResetState(rx.State):
    error: str = ""
    sent: bool = False
    done: bool = False

    @rx.event
    def load(self) -> None:
        self.error, self.sent, self.done = "", False, False

    @rx.event
    @browser_input
    async def request_link(self, form_data: dict):
        self.error = ""
        email = _field(form_data, "email")
        try:
            users.normalize_email(email)
            await auth.count_password_reset(email, self.router.session.client_ip)
        except ServiceError as exc:
            self.error = error_key(exc)
            return
        self.sent = True
        yield  # the page says "sent" before the account is even looked up
        async with db.session() as session:
            await auth.request_password_reset(session, email)
            await session.commit()

    @rx.event
    @browser_input
    async def save_password(self, form_data: dict) -> None:
        self.error = ""
        token = self.router.url.query_parameters.get("token", "")
        async with db.session() as session:
            try:
                await auth.reset_password(session, token, _field(form_data, "password"))
                await session.commit()
            except ServiceError as exc:
                await session.rollback()
                self.error = error_key(exc)
                return
        self.done = True


class InviteState(rx.State):
    token: str = ""
    organization_name: str = ""
    email: str = ""
    valid: bool = False
    signed_in: bool = False
    error: str = ""

    @rx.event
    async def load(self) -> None:
        token = self.router.url.query_parameters.get("token", "")
        self.error, self.token = "", token
        async with db.session() as session:
            found = await invitations.pending_by_token(session, token)
            self.signed_in = (await auth.resolve_session(session, session_token(self))) is not None
        self.valid = found is not None
        self.organization_name, self.email = (found[1].name, found[0].email) if found else ("", "")

    @rx.event
    @authorized
    async def accept(self):
        token = self.router.url.query_parameters.get("token", "")
        user_session, user = await signed_in(self)
        async with db.session() as session:
            try:
                membership = await invitations.accept(session, token, user)
                user_session = await session.merge(user_session)
                await auth.select_organization(session, user_session, membership.organization_id)
                await session.commit()
            except ServiceError as exc:
                await session.rollback()
                self.error = error_key(exc)
                return None
        return full_navigation("/dashboard")


class OrganizationsState(rx.State):
    """The organization selection page: the user's organizations, and creating one."""

    organizations: list[dict[str, str]] = []
    error: str = ""

    @rx.event
    @authorized
    async def load(self) -> None:
        _, user = await signed_in(self)
        async with db.session() as session:
            mine = await organizations.organizations_of(session, user.id)
        self.organizations = [{"id": m.organization.id, "name": m.organization.name, "role": m.role} for m in mine]

    @rx.event
    @authorized
    async def open(self, organization_id: str):
        user_session, _ = await signed_in(self)
        async with db.session() as session:
            try:
                await auth.select_organization(session, await session.merge(user_session), organization_id)
            except ServiceError:
                return None  # not theirs: nothing happens
            await session.commit()
        return full_navigation("/dashboard")

    @rx.event
    @authorized
    async def create(self, form_data: dict):
        self.error = ""
        user_session, user = await signed_in(self)
        async with db.session() as session:
            try:
                org = await organizations.create_for(session, user, _field(form_data, "organization"))
            except ServiceError as exc:
                self.error = error_key(exc)
                return None
            await auth.select_organization(session, await session.merge(user_session), org.id)
            await session.commit()
        return full_navigation("/dashboard")
