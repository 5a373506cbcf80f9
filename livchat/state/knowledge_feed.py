"""The live feed of an organization's knowledge base: one tiny shared state per organization,
moved by the knowledge service's KnowledgeFileChanged events (a file added, its ingestion moving
on — throttled by the service to a few a second —, ready, failed or deleted).

The knowledge page links to it and reloads its small list of files when `version` moves, so each
file's progress bar follows its ingestion live. Pushes run detached (state/detached.py): an
upload from a linked tab publishes while that tab's event still holds the feed's lock.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from livchat.core.events import bus
from livchat.services.knowledge.events import KnowledgeFileChanged
from livchat.state.auth import authorized, current_context
from livchat.state.detached import detach


def knowledge_token(organization_id: str) -> str:
    """Shared-state tokens may not contain `_` (our ids do): letters and digits only."""
    return "kb-" + re.sub(r"[^A-Za-z0-9]", "", organization_id).lower()


class KnowledgeFeed(rx.SharedState):
    """Kept tiny: it travels with every event of every linked tab."""

    version: int = 0
    last_file: str = ""

    @rx.event
    @authorized
    async def link(self) -> None:
        ctx = await current_context(self)
        await self._link_to(knowledge_token(ctx.organization.id))


async def push(app: rx.App, event: KnowledgeFileChanged) -> None:
    if not event.organization_id:
        return
    token = rx.BaseStateToken(ident=knowledge_token(event.organization_id), cls=KnowledgeFeed)
    async with app.modify_state(token) as root:
        feed = await root.get_state(KnowledgeFeed)
        feed.version += 1
        feed.last_file = event.file_id


_installed: list[Any] = []


def install(app: rx.App) -> None:
    """Subscribe the feed to the bus (idempotent: once per process)."""
    if _installed:
        return

    async def on_event(event: KnowledgeFileChanged) -> None:
        detach(push(app, event))

    _installed.append(bus.subscribe(KnowledgeFileChanged, on_event))


def uninstall() -> None:
    while _installed:
        _installed.pop()()


@contextlib.asynccontextmanager
async def knowledge_feed_lifespan(app: rx.App) -> AsyncIterator[None]:
    install(app)
    try:
        yield
    finally:
        uninstall()
