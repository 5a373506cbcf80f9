"""The live feed of an organization's WhatsApp events, shared by all its open dashboard tabs.

Services publish domain events on `bus` after their commit; `feed_lifespan` (a lifespan task of
the served app) subscribes once per process and bumps one tiny `OrgFeed` per organization through
`app.modify_state`. Reflex sends that delta to every tab linked to the organization's token;
pages watch `OrgFeed.version` (see `feed_watcher`) and reload their own small lists.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from livchat.core.events import bus
from livchat.core.logging import get_logger
from livchat.services.notifications.notices import NotificationCreated
from livchat.services.whatsapp import events as ev
from livchat.state.auth import PAGE_LOAD_HANDLER, authorized, current_context
from livchat.state.detached import detach

log = get_logger("feeds")

FEED_EVENTS: tuple[type[ev.WhatsAppEvent], ...] = (
    ev.MessageReceived, ev.MessageSent, ev.MessageDelivered, ev.MessageRead, ev.MessageFailed,
    ev.InstanceConnected, ev.InstanceDisconnected, ev.InstanceLoggedOut, ev.InstanceQrUpdated,
)


def org_token(organization_id: str) -> str:
    """Shared-state tokens may not contain `_` (ULID ids do): keep letters and digits only."""
    return "org-" + re.sub(r"[^A-Za-z0-9]", "", organization_id).lower()


class OrgFeed(rx.SharedState):
    """Kept tiny on purpose: it travels with every event of every linked tab."""

    version: int = 0
    last_event: str = ""
    last_instance: str = ""
    notices: int = 0  # moves only when a notice is created (the shell reloads its notices then)

    @rx.event
    @authorized
    async def link(self) -> None:
        ctx = await current_context(self)
        await self._link_to(org_token(ctx.organization.id))


def feed_watcher(on_change: Any, counter: rx.Var | None = None) -> rx.Component:
    """Runs `on_change` whenever the feed (or the given counter of it) moves. Reflex hoists
    `on_mount` into a memoized wrapper, so a changing `key` would not re-run it; two distinct
    elements swapped on the counter's parity are mounted afresh on every change."""
    if getattr(getattr(on_change, "fn", None), "__name__", "") == PAGE_LOAD_HANDLER:
        # A page load records the tab's organization anew; a feed event must only check it.
        raise ValueError("feed_watcher needs a refresh handler, not `load`")
    watched = OrgFeed.version if counter is None else counter

    def watcher(parity: str) -> rx.Component:
        return rx.box(on_mount=on_change, display="none", class_name=f"feed-watcher feed-{parity}",
                      data_version=watched)

    return rx.cond(watched % 2 == 0, watcher("even"), watcher("odd"))


async def push(app: rx.App, event: ev.WhatsAppEvent) -> None:
    if not event.organization_id:
        return  # anonymous test-panel instances have no dashboard
    token = rx.BaseStateToken(ident=org_token(event.organization_id), cls=OrgFeed)
    async with app.modify_state(token) as root:
        feed = await root.get_state(OrgFeed)
        feed.version += 1
        feed.last_event = event.webhook_type
        feed.last_instance = event.instance_id


async def push_notice(app: rx.App, event: NotificationCreated) -> None:
    token = rx.BaseStateToken(ident=org_token(event.organization_id or ""), cls=OrgFeed)
    async with app.modify_state(token) as root:
        (await root.get_state(OrgFeed)).notices += 1


_installed: list[Any] = []


def install(app: rx.App) -> None:
    """Subscribe the feed to the bus (idempotent: once per process)."""
    if _installed:
        return

    async def on_event(event: ev.WhatsAppEvent) -> None:
        detach(push(app, event))

    async def on_notice(event: NotificationCreated) -> None:
        detach(push_notice(app, event))

    _installed.extend(bus.subscribe(cls, on_event) for cls in FEED_EVENTS)
    _installed.append(bus.subscribe(NotificationCreated, on_notice))


def uninstall() -> None:
    while _installed:
        _installed.pop()()


@contextlib.asynccontextmanager
async def feed_lifespan(app: rx.App) -> AsyncIterator[None]:
    install(app)
    try:
        yield
    finally:
        uninstall()
