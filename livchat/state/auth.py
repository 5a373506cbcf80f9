"""Who is behind a Reflex event, checked on the server on every call.

The session cookie is HttpOnly: the browser's JavaScript never sees it, but it travels with the
websocket handshake, so the server reads it from `state.router.headers.cookie`. Whatever a
handler receives from the browser, the organization comes from here:

    from livchat.state.auth import authorized, current_context

    class InstancesState(rx.State):
        @rx.event
        @authorized
        async def delete(self, instance_id: str):
            ctx = await current_context(self)            # signed out -> redirect to /sign-in
            ctx.require("manage_settings")               # role check (PermissionDenied)
            async with db.session() as s:
                await instances.delete(s, ctx.organization.id, instance_id)  # 404 if not theirs

`authorized` turns `AuthRedirect` into a redirect event; without it the exception propagates.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

import reflex as rx

from livchat.core.db import db
from livchat.i18n import EN
from livchat.models import Organization, User, UserSession
from livchat.services import auth, organizations
from livchat.services.errors import ServiceError

SIGN_IN = "/sign-in"
SELECT_ORGANIZATION = "/select-organization"


class AuthRedirect(Exception):
    path = SIGN_IN


class SignedOut(AuthRedirect):
    path = SIGN_IN


class NoOrganization(AuthRedirect):
    path = SELECT_ORGANIZATION


@dataclass(frozen=True)
class AuthContext:
    user: User
    organization: Organization
    role: str
    user_session: UserSession

    def can(self, permission: str) -> bool:
        return organizations.can(self.role, permission)

    def require(self, permission: str) -> None:
        organizations.require(self.role, permission)


def session_token(state: rx.State) -> str | None:
    """The session cookie sent with this tab's websocket handshake (never sent back to the browser).

    With Clerk too: Clerk's short-lived JWT is traded once for this cookie at /api/auth/clerk, since
    a websocket keeps the cookies of its handshake and a 60-second JWT would go stale under it.
    """
    raw = state.router.headers.cookie or ""
    try:
        morsel = SimpleCookie(raw).get(auth.SESSION_COOKIE)
    except CookieError:
        return None
    return morsel.value if morsel else None


async def signed_in(state: rx.State) -> tuple[UserSession, User]:
    """The live session and user, or SignedOut."""
    async with db.session() as session:
        found = await auth.resolve_session(session, session_token(state))
    if found is None:
        raise SignedOut()
    return found


async def current_context(state: rx.State) -> AuthContext:
    """User, active organization and role for this event, from the database. Raises AuthRedirect."""
    async with db.session() as session:
        found = await auth.resolve_session(session, session_token(state))
        if found is None:
            raise SignedOut()
        user_session, user = found
        membership = await auth.active_membership(session, user_session)
        await session.commit()  # active_membership may have picked the only organization
    if membership is None:
        raise NoOrganization()
    return AuthContext(user=user, organization=membership.organization, role=membership.role,
                       user_session=user_session)


def authorized(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an async event handler: an AuthRedirect becomes a redirect to sign-in / org selection."""

    @functools.wraps(handler)
    async def wrapper(self: rx.State, *args: Any, **kwargs: Any) -> Any:
        try:
            return await handler(self, *args, **kwargs)
        except AuthRedirect as exc:
            return rx.redirect(exc.path)

    return wrapper


def error_key(exc: ServiceError) -> str:
    """The `accounts.errors.*` catalogue key for a service error (its precise code, else its class)."""
    for code in (exc.detail, exc.code):
        if f"accounts.errors.{code}" in EN:
            return f"accounts.errors.{code}"
    return "accounts.errors.unexpected"


def full_navigation(path: str) -> rx.event.EventSpec:
    """A real page load (not client-side routing): HTTP routes set cookies; sockets reconnect."""
    return rx.call_script(f"window.location.assign({json.dumps(path)})")


def open_session(ticket: str, next_path: str = "/dashboard") -> rx.event.EventSpec:
    from urllib.parse import urlencode

    return full_navigation("/api/auth/session?" + urlencode({"ticket": ticket, "next": next_path}))
