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
            async with db.session() as s:                # the service checks the role (PermissionDenied)
                await instances.delete_instance(s, ctx.actor, instance_id)  # 404 if not theirs

`authorized` turns `AuthRedirect` into a redirect event; without it the exception propagates.

One organization per tab. The active organization belongs to the browser session (the cookie),
which every tab shares: switching in one tab must not make another tab's buttons act on the
other organization. So each tab remembers the organization its page loaded with
(`TabOrganization`, a backend var): a handler named `load` (a page's on_load, by convention)
records it, and every other handler requires the session's organization to still be it — else
the tab reloads on the current organization and says why (`OrganizationChanged`).
"""

from __future__ import annotations

import contextvars
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

import reflex as rx
from reflex.istate.proxy import StateProxy

from livchat.core.db import db
from livchat.i18n import EN
from livchat.models import Organization, User, UserSession
from livchat.services.accounts import auth
from livchat.services.actors import Actor
from livchat.services.errors import ServiceError
from livchat.state import inputs

SIGN_IN = "/sign-in"
SELECT_ORGANIZATION = "/select-organization"
ORGANIZATION_CHANGED = "accounts.orgs.changed_elsewhere"
PAGE_LOAD_HANDLER = "load"  # handlers with this name are on_load: they record the tab's organization

_page_load: contextvars.ContextVar[bool] = contextvars.ContextVar("livchat_page_load", default=False)


class AuthRedirect(Exception):
    path = SIGN_IN


class SignedOut(AuthRedirect):
    path = SIGN_IN


class NoOrganization(AuthRedirect):
    path = SELECT_ORGANIZATION


class OrganizationChanged(AuthRedirect):
    """The session's organization is no longer the one this tab's page loaded with."""

    def __init__(self, organization_id: str) -> None:
        super().__init__(organization_id)
        self.organization_id = organization_id


class TabOrganization(rx.State):
    """Per tab (Reflex state is per tab): the organization its page loaded with, and a notice to
    show after a reload. Backend vars only: never sent to the browser, never set by it."""

    _organization_id: str = ""
    _notice: str = ""


@dataclass(frozen=True)
class AuthContext:
    user: User
    organization: Organization
    role: str
    user_session: UserSession

    @property
    def actor(self) -> Actor:
        """Who the services see acting: this member, in this organization, with this role."""
        return Actor.for_member(self.organization.id, self.user.id, self.role)

    def can(self, permission: str) -> bool:
        """For showing or hiding a control; the services check again when it is used."""
        return self.actor.can(permission)


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
        await session.commit()  # last seen
    if found is None:
        raise SignedOut()
    return found


async def _tab(state: rx.State, change: Callable[[TabOrganization], Any] | None = None) -> tuple[str, str]:
    """Read (and change) this tab's TabOrganization: (organization id, notice).

    A background task's proxy holds no lock outside `async with`: take it just for this."""
    async def run(owner: Any) -> tuple[str, str]:
        tab = await owner.get_state(TabOrganization)
        if change is not None:
            change(tab)
        return tab._organization_id, tab._notice

    if isinstance(state, StateProxy) and not state._is_mutable():
        async with state:
            return await run(state)
    return await run(state)


async def current_context(state: rx.State) -> AuthContext:
    """User, active organization and role for this event, from the database. Raises AuthRedirect."""
    async with db.session() as session:
        found = await auth.resolve_session(session, session_token(state))
        if found is None:
            raise SignedOut()
        user_session, user = found
        membership = await auth.active_membership(session, user_session)
        await session.commit()  # last seen; active_membership may have picked the only organization
    if membership is None:
        raise NoOrganization()
    organization_id = membership.organization.id
    recorded, _ = await _tab(state)
    if _page_load.get() or not recorded:
        if recorded != organization_id:
            await _tab(state, lambda tab: setattr(tab, "_organization_id", organization_id))
    elif recorded != organization_id:
        raise OrganizationChanged(organization_id)
    return AuthContext(user=user, organization=membership.organization, role=membership.role,
                       user_session=user_session)


async def take_notice(state: rx.State) -> str:
    """The notice left for this tab before its last reload (once), or ""."""
    _, notice = await _tab(state)
    if notice:
        await _tab(state, lambda tab: setattr(tab, "_notice", ""))
    return notice


# To /sign-in, coming back here afterwards. "Here" is read in the browser when the redirect
# runs: a dashboard's on_mount events can carry the previous page's path (Reflex fills an
# event's router data from a location ref that the page updates only after its children mount).
SIGN_IN_AND_BACK_JS = (
    "window.location.assign(window.location.pathname.startsWith('" + SIGN_IN + "') ? '" + SIGN_IN + "' : '"
    + SIGN_IN + "?next=' + encodeURIComponent(window.location.pathname + window.location.search))"
)


def authorized(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an async event handler: arguments that do not fit its annotations drop the event
    (state/inputs.py); an AuthRedirect becomes a redirect to sign-in (keeping where the user
    was) or organization selection; a tab whose organization changed reloads with a notice."""
    page_load = handler.__name__ == PAGE_LOAD_HANDLER

    @functools.wraps(handler)
    async def wrapper(self: rx.State, *args: Any, **kwargs: Any) -> Any:
        if inputs.refused(handler, args, kwargs):  # a tampered page: nothing runs, nothing changes
            return None
        marker = _page_load.set(page_load)
        try:
            return await handler(self, *args, **kwargs)
        except OrganizationChanged as exc:
            now_active = exc.organization_id

            def remember(tab: TabOrganization) -> None:
                tab._organization_id, tab._notice = now_active, ORGANIZATION_CHANGED

            await _tab(self, remember)
            return rx.call_script("window.location.reload()")
        except SignedOut:
            return rx.call_script(SIGN_IN_AND_BACK_JS)
        except AuthRedirect as exc:
            return rx.redirect(exc.path)
        finally:
            _page_load.reset(marker)

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
    """POST the ticket from this page to the route that sets the session cookie (a form post is a
    real navigation, so the cookie and the redirect apply; the route accepts only our own pages)."""
    fields = json.dumps({"ticket": ticket, "next": next_path})
    return rx.call_script(
        "(() => { const form = document.createElement('form'); form.method = 'POST';"
        " form.action = '/api/auth/session';"
        f" for (const [name, value] of Object.entries({fields})) {{"
        " const input = document.createElement('input'); input.type = 'hidden';"
        " input.name = name; input.value = value; form.appendChild(input); }"
        " document.body.appendChild(form); form.submit(); })()"
    )
