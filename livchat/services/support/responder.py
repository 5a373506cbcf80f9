"""The hook the AI agent plugs into: who answers a contact's message first.

A `Responder` gets every `ContactMessageReceived` (after its commit) with a `Desk` scoped to
that conversation, through which it reads the conversation and writes to it (in a WhatsApp
conversation what it writes is also sent to the contact, as the organization's agent: channels.py).
Responders register by name (`register("agent", factory)`); LIVCHAT_SUPPORT_RESPONDER picks one
per process: `auto` is the AI agent (services/agent) unless LIVCHAT_AGENT=off, then `default`.

The default responder tells the visitor, once per conversation and in their language, that an
operator will answer soon — on the conversation's first contact message, and only while no
operator has replied and nobody escalated it.

Responders run in background tasks (the request that posted the message does not wait for an
LLM), one at a time per conversation and at most LIVCHAT_AGENT_CONCURRENCY at once per process;
`drain()` waits for the running ones (tests, shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from sqlmodel import col, select

from livchat.core.db import db
from livchat.core.events import bus
from livchat.core.logging import get_logger
from livchat.core.settings import get_settings
from livchat.i18n import translate
from livchat.models import Conversation, ConversationMessage
from livchat.models.enums import ConversationStatus, Sender
from livchat.services.support import channels, conversations, views
from livchat.services.support.events import ContactMessageReceived
from livchat.services.support.schemas import ConversationMessageOut, ConversationOut

log = get_logger("responder")

OPERATOR_SOON = "support.responder.operator_soon"


class Desk:
    """What a responder may do, in one conversation of one organization."""

    def __init__(self, organization_id: str, conversation_id: str) -> None:
        self.organization_id = organization_id
        self.conversation_id = conversation_id

    async def row(self) -> Conversation:
        """The conversation as stored now (status, channel, language, episode)."""
        async with db.session() as session:
            return (await session.exec(select(Conversation).where(
                Conversation.id == self.conversation_id, Conversation.organization_id == self.organization_id))).one()

    async def conversation(self) -> ConversationOut:
        async with db.session() as session:
            row = (await session.exec(select(Conversation).where(
                Conversation.id == self.conversation_id, Conversation.organization_id == self.organization_id))).one()
            return await views.conversation_out(session, row)

    async def episode(self, limit: int = 50) -> list[ConversationMessage]:
        """The current episode's last `limit` messages (rows, with their metadata), oldest first: since
        the conversation was last reopened (its whole history when it never was)."""
        async with db.session() as session:
            row = (await session.exec(select(Conversation).where(
                Conversation.id == self.conversation_id, Conversation.organization_id == self.organization_id))).one()
            query = select(ConversationMessage).where(ConversationMessage.conversation_id == self.conversation_id,
                                                      ConversationMessage.organization_id == self.organization_id)
            after = conversations.episode_after(row)
            if after is not None:
                query = query.where(col(ConversationMessage.id) > after)
            rows = list((await session.exec(query.order_by(col(ConversationMessage.id).desc()).limit(limit))).all())
            rows.reverse()
            return rows

    async def history(self, limit: int = 50) -> list[ConversationMessageOut]:
        """The last `limit` messages, oldest first."""
        async with db.session() as session:
            rows = list((await session.exec(
                select(ConversationMessage).where(ConversationMessage.conversation_id == self.conversation_id,
                                                  ConversationMessage.organization_id == self.organization_id)
                .order_by(col(ConversationMessage.id).desc()).limit(limit))).all())
            rows.reverse()
            return await views.messages_out(session, rows, "api")

    async def operator_involved(self) -> bool:
        """Escalated, or an operator has written: the agent keeps quiet from then on."""
        async with db.session() as session:
            row = (await session.exec(select(Conversation.status).where(
                Conversation.id == self.conversation_id, Conversation.organization_id == self.organization_id))).one()
            if row == ConversationStatus.ESCALATED:
                return True
            replied = (await session.exec(select(ConversationMessage.id).where(
                ConversationMessage.conversation_id == self.conversation_id,
                ConversationMessage.sender == Sender.OPERATOR).limit(1))).first()
        return replied is not None

    async def _deliver(self, text: str) -> dict[str, Any] | None:
        """Send to a WhatsApp contact (as the organization's agent); how it went, for the message."""
        row = await self.row()
        if not channels.needs_sending(row):
            return None
        sent, error = await channels.send_quietly(channels.agent_actor(self.organization_id), row, text)
        return {"whatsappMessageId": sent.message_id} if sent else {"deliveryError": error}

    async def reply(self, text: str, sources: list[dict[str, Any]] | None = None, *,
                    metadata: dict[str, Any] | None = None) -> str:
        """An AI answer (sender `ai`); `sources`: the passages cited ({fileId, filename, chunkId, heading, text});
        `metadata`: kept with the message (the agent notes which contact messages it answered)."""
        delivery = await self._deliver(conversations.checked_text(text))
        async with db.session() as session:
            return (await conversations.post_agent_message(session, self.organization_id, self.conversation_id,
                                                           text, sources, {**(metadata or {}), **(delivery or {})})).id

    async def post_system(self, text: str, *, once: str | None = None,
                          metadata: dict[str, Any] | None = None) -> str | None:
        """A system message; with `once`, only if none with that key was posted in this conversation."""
        if once is not None and once in (await self.row()).metadata_.get("systemOnce", []):
            return None
        delivery = await self._deliver(conversations.checked_text(text))
        async with db.session() as session:
            message = await conversations.post_system_message(
                session, self.organization_id, self.conversation_id, text,
                {**(metadata or {}), **(delivery or {})} or None, once=once)
        return message.id if message else None

    async def escalate(self) -> bool:
        async with db.session() as session:
            return await conversations.change_status_by_agent(session, self.organization_id, self.conversation_id,
                                                              ConversationStatus.ESCALATED)

    async def resolve(self) -> bool:
        async with db.session() as session:
            return await conversations.change_status_by_agent(session, self.organization_id, self.conversation_id,
                                                              ConversationStatus.RESOLVED)


class Responder(Protocol):
    async def respond(self, event: ContactMessageReceived, desk: Desk) -> None: ...


class DefaultResponder:
    """No agent yet: "an operator will answer soon", once, in the visitor's language."""

    async def respond(self, event: ContactMessageReceived, desk: Desk) -> None:
        if not event.first or await desk.operator_involved():
            return
        await desk.post_system(translate(OPERATOR_SOON, event.language), once=OPERATOR_SOON)


ResponderFactory = Callable[[], Responder]
_REGISTRY: dict[str, ResponderFactory] = {"default": DefaultResponder}


def register(name: str, factory: ResponderFactory) -> None:
    _REGISTRY[name] = factory


# Responders that register themselves when their module is imported (the agent's depends on us).
_PLUGINS = {"agent": "livchat.services.agent.responder"}


def configured_name() -> str:
    settings = get_settings()
    name = settings.support_responder or "auto"
    if name == "auto":
        return "default" if settings.agent == "off" else "agent"
    return name


def configured() -> Responder:
    name = configured_name()
    if name not in _REGISTRY and name in _PLUGINS:
        importlib.import_module(_PLUGINS[name])
    if name not in _REGISTRY:
        raise ValueError(f"LIVCHAT_SUPPORT_RESPONDER={name!r} is not a registered responder ({sorted(_REGISTRY)})")
    return _REGISTRY[name]()


# --- running them -------------------------------------------------------------------------------

_tasks: set[asyncio.Task[None]] = set()
_locks: dict[str, tuple[asyncio.Lock, int]] = {}
_installed: list[Callable[[], None]] = []


_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _slot() -> asyncio.Semaphore:
    """At most LIVCHAT_AGENT_CONCURRENCY responders at work at once (per event loop)."""
    loop = asyncio.get_running_loop()
    found = _slots.get(loop)
    if found is None:
        found = _slots[loop] = asyncio.Semaphore(get_settings().agent_concurrency)
    return found


async def _run(responder: Responder, event: ContactMessageReceived) -> None:
    """One at a time per conversation (in this process): a lock per conversation, kept while
    anyone holds or waits for it; and a bounded number at once."""
    key = event.conversation_id
    lock, users = _locks.get(key, (asyncio.Lock(), 0))
    _locks[key] = (lock, users + 1)
    try:
        async with lock, _slot():
            await responder.respond(event, Desk(event.organization_id, event.conversation_id))
    except Exception:
        log.exception("responder failed", extra={"conversation": key})
    finally:
        lock, users = _locks[key]
        if users == 1:
            del _locks[key]
        else:
            _locks[key] = (lock, users - 1)


def install(responder: Responder | None = None) -> None:
    """Subscribe the configured responder (or `responder`) to contact messages; once per process."""
    if _installed:
        return
    chosen = responder or configured()

    async def on_contact_message(event: ContactMessageReceived) -> None:
        task = asyncio.create_task(_run(chosen, event), name=f"responder-{event.conversation_id}")
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)

    _installed.append(bus.subscribe(ContactMessageReceived, on_contact_message))


def uninstall() -> None:
    while _installed:
        _installed.pop()()


async def drain() -> None:
    """Wait until no responder is running (including ones their own messages started)."""
    while _tasks:
        await asyncio.gather(*list(_tasks), return_exceptions=True)


@contextlib.asynccontextmanager
async def responder_lifespan() -> AsyncIterator[None]:
    """For `app.register_lifespan_task`: responders answer while the app is up."""
    install()
    try:
        yield
    finally:
        uninstall()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(drain(), 5)
