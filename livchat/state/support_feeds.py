"""Live feeds of the support desk: one tiny shared state per organization's inbox and one per
conversation, moved by the bus's support events (services/support/events.py) after each commit.

- `InboxFeed` (token `inbox-<org>`): every operator tab of the organization links to it; it
  moves on every new message, status change, assignment and read. The inbox reloads its list
  (and unread counts) from the services when `version` moves.
- `ConversationFeed` (token `conv-<conversation>`): the operator's open conversation and the
  visitor's widget tab link to it; `version` moves on a new message or a change of status or
  assignee, `status` is the current one, `contact_typing` / `operator_typing` are the typing
  flags (cleared by the services when a "typing" is not renewed), `ai_draft` the AI agent's
  answer while it streams (show it as an in-progress bubble; it empties when the answer is stored
  — `version` moves then — or dropped).

Linking is authorized first, by the services: `link_inbox(state, ctx)` for a signed-in member,
`link_conversation_for_operator(state, actor, conversation_id)` (NotFound for another
organization's), `link_conversation_for_visitor(state, visitor)` (only the visitor's own).
`support_feed_lifespan` subscribes the feeds to the bus once per process; Reflex relays the
deltas through Redis to whichever worker holds each linked tab.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from livchat.core.db import db
from livchat.core.events import bus
from livchat.core.logging import get_logger
from livchat.services.actors import Actor
from livchat.services.support import conversations, inbox
from livchat.services.support.events import (
    AgentDraft,
    ConversationAssigned,
    ConversationOpened,
    ConversationRead,
    ConversationStatusChanged,
    MessageAdded,
    SupportEvent,
    TypingChanged,
)
from livchat.services.widget.sessions import Visitor
from livchat.state.auth import authorized, current_context
from livchat.state.detached import detach

log = get_logger("support_feeds")


def _token(prefix: str, row_id: str) -> str:
    """Shared-state tokens may not contain `_` (our ids do): letters and digits only."""
    return f"{prefix}-" + re.sub(r"[^A-Za-z0-9]", "", row_id).lower()


def inbox_token(organization_id: str) -> str:
    return _token("inbox", organization_id)


def conversation_token(conversation_id: str) -> str:
    return _token("conv", conversation_id)


class InboxFeed(rx.SharedState):
    """Kept tiny: it travels with every event of every linked tab."""

    version: int = 0
    last_conversation: str = ""
    last_kind: str = ""  # opened | message | status | assigned | read

    @rx.event
    @authorized
    async def link(self) -> None:
        ctx = await current_context(self)
        await self._link_to(inbox_token(ctx.organization.id))


class ConversationFeed(rx.SharedState):
    version: int = 0
    last_message: str = ""
    status: str = ""
    contact_typing: bool = False
    operator_typing: bool = False
    ai_draft: str = ""  # the agent's answer so far, while it streams


async def link_inbox(state: rx.State, organization_id: str) -> InboxFeed:
    """For a handler that has checked the member (current_context): link this tab's inbox feed."""
    feed = await state.get_state(InboxFeed)
    return await feed._link_to(inbox_token(organization_id))


async def link_conversation_for_operator(state: rx.State, actor: Actor, conversation_id: str) -> ConversationFeed:
    """Link this tab to a conversation of the actor's organization (NotFound otherwise)."""
    async with db.session() as session:
        conversation = await inbox.get_conversation(session, actor, conversation_id)
    feed = await state.get_state(ConversationFeed)
    return await feed._link_to(conversation_token(conversation.id))


async def link_conversation_for_visitor(state: rx.State, visitor: Visitor) -> str | None:
    """Link the widget tab to the visitor's own conversation; its id, or None before the first
    message (link again once a message has opened it)."""
    async with db.session() as session:
        row = await conversations.current_conversation(session, visitor.organization_id, visitor.contact_session_id)
    if row is None:
        return None
    feed = await state.get_state(ConversationFeed)
    await feed._link_to(conversation_token(row.id))
    return row.id


_KINDS: tuple[tuple[type[SupportEvent], str], ...] = (
    (ConversationOpened, "opened"), (MessageAdded, "message"), (ConversationStatusChanged, "status"),
    (ConversationAssigned, "assigned"), (ConversationRead, "read"),
)


def _kind(event: SupportEvent) -> str:
    return next((kind for cls, kind in _KINDS if isinstance(event, cls)), "")


async def push(app: rx.App, event: SupportEvent) -> None:
    """Move the feeds an event concerns (typing moves the conversation's only)."""
    kind = _kind(event)
    if kind:
        token = rx.BaseStateToken(ident=inbox_token(event.organization_id), cls=InboxFeed)
        async with app.modify_state(token) as root:
            inbox_feed = await root.get_state(InboxFeed)
            inbox_feed.version += 1
            inbox_feed.last_conversation = event.conversation_id
            inbox_feed.last_kind = kind
    if kind in ("opened", "read"):
        return
    token = rx.BaseStateToken(ident=conversation_token(event.conversation_id), cls=ConversationFeed)
    async with app.modify_state(token) as root:
        feed = await root.get_state(ConversationFeed)
        if isinstance(event, TypingChanged):
            if event.side == "contact":
                feed.contact_typing = event.typing
            else:
                feed.operator_typing = event.typing
            return
        if isinstance(event, AgentDraft):
            feed.ai_draft = event.text
            return
        feed.version += 1
        if isinstance(event, MessageAdded):
            feed.last_message = event.message_id
            if event.sender == "ai":
                feed.ai_draft = ""  # the answer is stored: the message replaces the draft
            # a message ends that side's typing
            if event.sender == "contact":
                feed.contact_typing = False
            elif event.sender == "operator":
                feed.operator_typing = False
        if isinstance(event, ConversationStatusChanged):
            feed.status = event.status


_installed: list[Any] = []


def install(app: rx.App) -> None:
    """Subscribe the feeds to the bus (idempotent: once per process)."""
    if _installed:
        return

    async def on_event(event: SupportEvent) -> None:
        detach(push(app, event))

    _installed.append(bus.subscribe(SupportEvent, on_event))


def uninstall() -> None:
    while _installed:
        _installed.pop()()


@contextlib.asynccontextmanager
async def support_feed_lifespan(app: rx.App) -> AsyncIterator[None]:
    install(app)
    try:
        yield
    finally:
        uninstall()
