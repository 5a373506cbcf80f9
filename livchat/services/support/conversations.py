"""Conversations and their messages: who may write what, and what it does to the conversation.

- A contact's message (`post_contact_message`) goes to the contact session's conversation,
  opening one on the first message; a message on a resolved conversation reopens it.
- Operators (`reply`, `escalate`, `resolve`, `reopen`, `assign_to_me`, `unassign`) act with an
  `Actor` holding `work_inbox`; a reply records its author (the user, or the API key: "API").
- The AI agent and the desk itself write through `post_agent_message` and
  `post_system_message` (no actor: they are reached only through the responder hook).
- A WhatsApp contact's message (`post_whatsapp_contact_message`, from the WhatsApp channel) goes
  to that contact's latest conversation on the number, opened on the first and reopened when
  resolved; an operator's reply to a WhatsApp conversation is sent over WhatsApp (channels.py)
  before it is stored.
- Reopening a resolved conversation starts a new episode (`episode_after`): what the agent reads
  of the conversation starts there, so an old escalation is never read again (no handoff loop).

Every change is one transaction whose first statement locks the conversation row (or, for a
contact, their session's row), so concurrent writers queue: one conversation per session, and
message ids that only grow (`later_id`), which `GET /api/widget/messages?after=` relies on.
Events are published after the commit (events.py).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.events import bus
from livchat.core.ids import later_id, new_id
from livchat.core.text import is_valid_unicode
from livchat.models import (
    Contact,
    ContactSession,
    Conversation,
    ConversationAttachment,
    ConversationMessage,
)
from livchat.models.enums import ConversationChannel, ConversationStatus, Sender
from livchat.services.actors import Actor
from livchat.services.errors import InvalidInput, NotFound
from livchat.services.support import attachments, channels, contacts, views
from livchat.services.support.events import (
    AgentReplied,
    ContactMessageReceived,
    ConversationAssigned,
    ConversationOpened,
    ConversationStatusChanged,
    OperatorReplied,
    SystemMessagePosted,
)
from livchat.services.support.ids import is_id
from livchat.services.support.schemas import ConversationMessageOut, ConversationOut

MAX_TEXT_LENGTH = 5000
EPISODE_AFTER = "episodeAfter"  # conversation metadata: the last message before the latest reopening
PREVIEW_LENGTH = 200
STATUSES = tuple(ConversationStatus)


def checked_text(text: object, *, allow_empty: bool = False) -> str:
    """Message text as we store it: plain text, line breaks and tabs kept, other control characters
    dropped, trimmed. NUL and lone surrogates are refused (no database stores them)."""
    if not isinstance(text, str):
        raise InvalidInput("message_empty")
    if "\x00" in text:
        raise InvalidInput("nul_character")
    if not is_valid_unicode(text):
        raise InvalidInput("invalid_unicode")
    if len(text) > MAX_TEXT_LENGTH * 2:  # before any work on a huge string
        raise InvalidInput("message_too_long")
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc").strip()
    if not text and not allow_empty:
        raise InvalidInput("message_empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput("message_too_long")
    return text


def _preview(text: str, upload: attachments.CheckedUpload | None = None) -> str:
    line = " ".join(text.split())
    if upload is not None:
        line = f"📎 {upload.filename}" + (f" {line}" if line else "")
    return line[:PREVIEW_LENGTH]


@dataclass(frozen=True)
class ContactRef:
    """The contact side of a conversation, as a resolved widget session names it."""

    organization_id: str
    contact_session_id: str
    contact_id: str | None
    language: str


@dataclass(frozen=True)
class Posted:
    conversation: Conversation
    message: ConversationMessage
    attachment: ConversationAttachment | None = None
    opened: bool = False
    reopened: bool = False


# --- locking and appending ----------------------------------------------------------------------


async def lock_conversation(session: AsyncSession, organization_id: str, conversation_id: str) -> Conversation:
    """The conversation, locked until commit (a write that changes nothing: the row's lock on
    PostgreSQL, the write lock on SQLite). Call it as the transaction's first statement: commit
    earlier reads first. NotFound for another organization's id, exactly like a missing one."""
    if not is_id(conversation_id):
        raise NotFound("conversation_not_found")
    locked = await session.exec(update(Conversation)
                                .where(col(Conversation.id) == conversation_id,
                                       col(Conversation.organization_id) == organization_id)
                                .values(updated_at=Conversation.updated_at))
    if locked.rowcount != 1:
        raise NotFound("conversation_not_found")
    query = select(Conversation).where(Conversation.id == conversation_id).execution_options(populate_existing=True)
    return (await session.exec(query)).one()


async def _append(session: AsyncSession, conversation: Conversation, sender: str, text: str, *,
                  upload: attachments.CheckedUpload | None = None, author_user_id: str | None = None,
                  author_api_key_id: str | None = None, metadata: dict[str, Any] | None = None,
                  source_message_id: str | None = None) -> ConversationMessage:
    now = utcnow()
    message = ConversationMessage(
        id=later_id("cmsg", conversation.last_message_id), organization_id=conversation.organization_id,
        conversation_id=conversation.id, sender=sender, content=text, author_user_id=author_user_id,
        author_api_key_id=author_api_key_id, content_type="attachment" if upload else "text",
        metadata_=metadata or {}, source_message_id=source_message_id, created_at=now)
    session.add(message)
    conversation.last_message_id = message.id
    conversation.last_message_at = now
    conversation.last_message_preview = _preview(text, upload)
    conversation.last_message_sender = sender
    conversation.updated_at = now
    if sender == Sender.CONTACT:
        conversation.unread_count += 1
    else:
        conversation.contact_unread_count += 1
    session.add(conversation)
    await session.flush()
    return message


async def _attach(session: AsyncSession, message: ConversationMessage,
                  upload: attachments.CheckedUpload) -> ConversationAttachment:
    attachment_id = new_id("att")
    key = await attachments.store(upload, message.organization_id, attachment_id)
    row = ConversationAttachment(id=attachment_id, organization_id=message.organization_id,
                                 conversation_id=message.conversation_id, message_id=message.id,
                                 filename=upload.filename, content_type=upload.content_type,
                                 size_bytes=len(upload.data), sha256=upload.sha256, storage_key=key)
    session.add(row)
    try:
        await session.flush()
    except BaseException:
        await attachments.discard(key)
        raise
    return row


async def _commit(session: AsyncSession, attachment: ConversationAttachment | None = None) -> None:
    """Commit and publish; a file written for a row that did not commit is removed."""
    try:
        await bus.commit_and_publish(session)
    except BaseException:
        bus.discard_pending(session)
        if attachment is not None:
            await attachments.discard(attachment.storage_key)
        raise


async def _change_status(session: AsyncSession, conversation: Conversation, status: str, by: str) -> bool:
    if conversation.status == status:
        return False
    previous, now = conversation.status, utcnow()
    conversation.status = status
    if previous == ConversationStatus.RESOLVED:
        # A new episode: the agent reads the conversation from here on (episode_after).
        conversation.metadata_ = {**conversation.metadata_, EPISODE_AFTER: conversation.last_message_id}
    if status == ConversationStatus.ESCALATED:
        conversation.escalated_at = now
    if status == ConversationStatus.RESOLVED:
        conversation.resolved_at = now
    else:
        conversation.resolved_at = None
    session.add(conversation)
    await bus.emit(session, ConversationStatusChanged(
        organization_id=conversation.organization_id, conversation_id=conversation.id,
        contact_session_id=conversation.contact_session_id, status=status, previous=previous, by=by))
    return True


def episode_after(conversation: Conversation) -> str | None:
    """The id of the last message before the conversation was last reopened (None: never was): its
    current episode is the messages after it."""
    value = conversation.metadata_.get(EPISODE_AFTER)
    return value if isinstance(value, str) else None


def _event_fields(conversation: Conversation, message: ConversationMessage) -> dict[str, Any]:
    return {"organization_id": conversation.organization_id, "conversation_id": conversation.id,
            "contact_session_id": conversation.contact_session_id, "message_id": message.id,
            "sender": message.sender}


# --- the contact's side -------------------------------------------------------------------------


async def current_conversation(session: AsyncSession, organization_id: str,
                               contact_session_id: str) -> Conversation | None:
    """The contact session's conversation (its latest, whatever its status)."""
    query = (select(Conversation)
             .where(Conversation.organization_id == organization_id,
                    Conversation.contact_session_id == contact_session_id)
             .order_by(col(Conversation.created_at).desc(), col(Conversation.id).desc()).limit(1))
    return (await session.exec(query)).first()


async def post_contact_message(session: AsyncSession, contact: ContactRef, text: str,
                               upload: attachments.CheckedUpload | None = None) -> Posted:
    """A visitor's message (with an optional checked attachment): to their conversation, opened
    on the first message and reopened when resolved. Commits and publishes."""
    text = checked_text(text, allow_empty=upload is not None)
    await session.commit()  # earlier reads end here: the next statement takes the lock
    now = utcnow()
    locked = await session.exec(update(ContactSession)
                                .where(col(ContactSession.id) == contact.contact_session_id,
                                       col(ContactSession.organization_id) == contact.organization_id)
                                .values(last_seen_at=now))
    if locked.rowcount != 1:
        await session.rollback()
        raise NotFound("contact_session_not_found")
    conversation = await current_conversation(session, contact.organization_id, contact.contact_session_id)
    opened = reopened = False
    if conversation is None:
        conversation = Conversation(
            id=new_id("conv"), organization_id=contact.organization_id, channel=ConversationChannel.WIDGET,
            contact_id=contact.contact_id, contact_session_id=contact.contact_session_id,
            language=contact.language, last_message_at=now)
        session.add(conversation)
        await session.flush()
        opened = True
        await bus.emit(session, ConversationOpened(
            organization_id=conversation.organization_id, conversation_id=conversation.id,
            contact_session_id=conversation.contact_session_id, channel=conversation.channel))
    else:
        conversation = await lock_conversation(session, contact.organization_id, conversation.id)
        if conversation.status == ConversationStatus.RESOLVED:
            reopened = await _change_status(session, conversation, ConversationStatus.UNRESOLVED, by=Sender.CONTACT)
    message = await _append(session, conversation, Sender.CONTACT, text, upload=upload)
    attachment = await _attach(session, message, upload) if upload is not None else None
    await bus.emit(session, ContactMessageReceived(**_event_fields(conversation, message),
                                                   language=conversation.language, first=opened, reopened=reopened))
    await _commit(session, attachment)
    return Posted(conversation=conversation, message=message, attachment=attachment, opened=opened, reopened=reopened)


async def post_contact_record(session: AsyncSession, contact: ContactRef, text: str,
                              metadata: dict[str, Any] | None = None, *, once: str) -> ConversationMessage | None:
    """A record of something the contact did beside the chat (a voice call from the widget): a
    system message in their conversation, opened when they have none (a resolved one stays resolved;
    the agent does not answer it). None (nothing posted) when a message with the `once` key is
    already there, checked under the lock. Commits and publishes."""
    text = checked_text(text)
    await session.commit()  # earlier reads end here: the next statement takes the lock
    locked = await session.exec(update(ContactSession)
                                .where(col(ContactSession.id) == contact.contact_session_id,
                                       col(ContactSession.organization_id) == contact.organization_id)
                                .values(last_seen_at=utcnow()))
    if locked.rowcount != 1:
        await session.rollback()
        raise NotFound("contact_session_not_found")
    conversation = await current_conversation(session, contact.organization_id, contact.contact_session_id)
    if conversation is None:
        conversation = Conversation(
            id=new_id("conv"), organization_id=contact.organization_id, channel=ConversationChannel.WIDGET,
            contact_id=contact.contact_id, contact_session_id=contact.contact_session_id,
            language=contact.language, last_message_at=utcnow())
        session.add(conversation)
        await session.flush()
        await bus.emit(session, ConversationOpened(
            organization_id=conversation.organization_id, conversation_id=conversation.id,
            contact_session_id=conversation.contact_session_id, channel=conversation.channel))
    else:
        conversation = await lock_conversation(session, contact.organization_id, conversation.id)
    return await _post_system(session, conversation, text, metadata, once)


async def _whatsapp_contact(session: AsyncSession, organization_id: str, phone: str, name: str) -> Contact:
    """The number's contact, made on first sight (a concurrent first message may make it first)."""
    for attempt in range(2):
        try:
            contact = await contacts.contact_for_phone(session, organization_id, phone, name)
            await session.commit()
            return contact
        except IntegrityError:
            await session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


async def latest_whatsapp_conversation(session: AsyncSession, organization_id: str, instance_id: str,
                                       contact_id: str) -> Conversation | None:
    """A WhatsApp contact's latest conversation on one number, whatever its status."""
    query = (select(Conversation)
             .where(Conversation.organization_id == organization_id, Conversation.instance_id == instance_id,
                    Conversation.contact_id == contact_id, Conversation.channel == ConversationChannel.WHATSAPP)
             .order_by(col(Conversation.created_at).desc(), col(Conversation.id).desc()).limit(1))
    return (await session.exec(query)).first()


async def post_whatsapp_contact_message(session: AsyncSession, organization_id: str, instance_id: str, phone: str,
                                        text: str, *, source_message_id: str, name: str = "", language: str = "en",
                                        upload: attachments.CheckedUpload | None = None,
                                        metadata: dict[str, Any] | None = None) -> Posted | None:
    """A WhatsApp contact's message (`source_message_id`: the stored WhatsApp message, `msg_…`) to
    their latest conversation on the number: opened on the first message (in `language`), reopened
    when resolved, the same one across days. None when that message was already posted (ingest and
    its events may repeat). Commits and publishes."""
    text = checked_text(text, allow_empty=upload is not None)
    await session.commit()
    contact = await _whatsapp_contact(session, organization_id, phone, name)
    now = utcnow()
    # One message of a number at a time: the contact's row is the lock (as the session's is for the widget).
    await session.exec(update(Contact).where(col(Contact.id) == contact.id)
                       .values(updated_at=now))
    seen = (await session.exec(select(ConversationMessage.id).where(
        ConversationMessage.source_message_id == source_message_id))).first()
    if seen is not None:
        await session.rollback()
        return None
    conversation = await latest_whatsapp_conversation(session, organization_id, instance_id, contact.id)
    opened = reopened = False
    if conversation is None:
        conversation = Conversation(
            id=new_id("conv"), organization_id=organization_id, channel=ConversationChannel.WHATSAPP,
            contact_id=contact.id, instance_id=instance_id, chat_jid=f"{phone}@s.whatsapp.net",
            language=language, last_message_at=now)
        session.add(conversation)
        await session.flush()
        opened = True
        await bus.emit(session, ConversationOpened(organization_id=organization_id, conversation_id=conversation.id,
                                                   channel=conversation.channel))
    else:
        conversation = await lock_conversation(session, organization_id, conversation.id)
        if conversation.status == ConversationStatus.RESOLVED:
            reopened = await _change_status(session, conversation, ConversationStatus.UNRESOLVED, by=Sender.CONTACT)
    try:
        message = await _append(session, conversation, Sender.CONTACT, text, upload=upload, metadata=metadata,
                                source_message_id=source_message_id)
    except IntegrityError:  # the same WhatsApp message, posted concurrently: the other one won
        await session.rollback()
        bus.discard_pending(session)
        return None
    attachment = await _attach(session, message, upload) if upload is not None else None
    await bus.emit(session, ContactMessageReceived(**_event_fields(conversation, message),
                                                   language=conversation.language, first=opened, reopened=reopened))
    await _commit(session, attachment)
    return Posted(conversation=conversation, message=message, attachment=attachment, opened=opened, reopened=reopened)


# --- operators ----------------------------------------------------------------------------------


async def reply(session: AsyncSession, actor: Actor, conversation_id: str, text: str,
                upload: attachments.CheckedUpload | None = None, *,
                links: views.Links = "api") -> ConversationMessageOut:
    """An operator's reply (the API key's, shown as "API"). Replying marks the conversation read.
    In a WhatsApp conversation it is sent to the contact first (as the operator): a send that fails
    raises its error (409 `instance_not_connected`, …) and nothing is stored."""
    actor.require("work_inbox")
    text = checked_text(text, allow_empty=upload is not None)
    metadata = None
    if is_id(conversation_id):
        found = (await session.exec(select(Conversation).where(
            Conversation.id == conversation_id, Conversation.organization_id == actor.organization_id))).first()
        if found is not None and channels.needs_sending(found):
            sent = await channels.send(actor, found, text, upload)
            metadata = {"whatsappMessageId": sent.message_id} if sent else None
    await session.commit()
    conversation = await lock_conversation(session, actor.organization_id, conversation_id)
    message = await _append(session, conversation, Sender.OPERATOR, text, upload=upload,
                            author_user_id=actor.user_id, author_api_key_id=actor.api_key_id, metadata=metadata)
    conversation.unread_count = 0
    attachment = await _attach(session, message, upload) if upload is not None else None
    await bus.emit(session, OperatorReplied(**_event_fields(conversation, message), author_user_id=actor.user_id,
                                            author_api_key_id=actor.api_key_id))
    await _commit(session, attachment)
    return (await views.messages_out(session, [message], links))[0]


async def set_status(session: AsyncSession, actor: Actor, conversation_id: str, status: str) -> ConversationOut:
    actor.require("work_inbox")
    if status not in STATUSES:
        raise InvalidInput("invalid_status")
    await session.commit()
    conversation = await lock_conversation(session, actor.organization_id, conversation_id)
    await _change_status(session, conversation, status, by=Sender.OPERATOR)
    await _commit(session)
    return await views.conversation_out(session, conversation)


async def escalate(session: AsyncSession, actor: Actor, conversation_id: str) -> ConversationOut:
    """Hand the conversation to a human (the AI agent stays quiet on it from now on)."""
    return await set_status(session, actor, conversation_id, ConversationStatus.ESCALATED)


async def resolve(session: AsyncSession, actor: Actor, conversation_id: str) -> ConversationOut:
    return await set_status(session, actor, conversation_id, ConversationStatus.RESOLVED)


async def reopen(session: AsyncSession, actor: Actor, conversation_id: str) -> ConversationOut:
    return await set_status(session, actor, conversation_id, ConversationStatus.UNRESOLVED)


async def _assign(session: AsyncSession, actor: Actor, conversation_id: str, user_id: str | None) -> ConversationOut:
    await session.commit()
    conversation = await lock_conversation(session, actor.organization_id, conversation_id)
    if conversation.assignee_user_id != user_id:
        conversation.assignee_user_id = user_id
        session.add(conversation)
        await bus.emit(session, ConversationAssigned(
            organization_id=conversation.organization_id, conversation_id=conversation.id,
            contact_session_id=conversation.contact_session_id, assignee_user_id=user_id))
    await _commit(session)
    return await views.conversation_out(session, conversation)


async def assign_to_me(session: AsyncSession, actor: Actor, conversation_id: str) -> ConversationOut:
    actor.require("work_inbox")
    if actor.user_id is None:
        raise InvalidInput("assignee_required")  # an API key is nobody to assign to
    return await _assign(session, actor, conversation_id, actor.user_id)


async def unassign(session: AsyncSession, actor: Actor, conversation_id: str) -> ConversationOut:
    actor.require("work_inbox")
    return await _assign(session, actor, conversation_id, None)


# --- the agent and the desk (reached through the responder hook only) ----------------------------


async def post_agent_message(session: AsyncSession, organization_id: str, conversation_id: str, text: str,
                             sources: list[dict[str, Any]] | None = None,
                             metadata: dict[str, Any] | None = None) -> ConversationMessage:
    """The AI agent's answer; `sources` are the knowledge-base passages it cites (SourceOut fields);
    `metadata`: how it was delivered (`whatsappMessageId`, `deliveryError`)."""
    text = checked_text(text)
    await session.commit()
    conversation = await lock_conversation(session, organization_id, conversation_id)
    extra = {**(metadata or {}), **({"sources": sources} if sources else {})}
    message = await _append(session, conversation, Sender.AI, text, metadata=extra or None)
    await bus.emit(session, AgentReplied(**_event_fields(conversation, message)))
    await _commit(session)
    return message


async def post_system_message(session: AsyncSession, organization_id: str, conversation_id: str, text: str,
                              metadata: dict[str, Any] | None = None, *,
                              once: str | None = None) -> ConversationMessage | None:
    """A message from the desk itself. With `once`, None (and nothing posted) when a message with
    that key was already posted in this conversation: checked under the conversation's lock."""
    text = checked_text(text)
    await session.commit()
    conversation = await lock_conversation(session, organization_id, conversation_id)
    return await _post_system(session, conversation, text, metadata, once)


async def _post_system(session: AsyncSession, conversation: Conversation, text: str,
                       metadata: dict[str, Any] | None, once: str | None) -> ConversationMessage | None:
    """Append a system message to a locked conversation and commit; with `once`, None (rolled back)
    when a message with that key was already posted there."""
    if once is not None:
        posted = list(conversation.metadata_.get("systemOnce", []))
        if once in posted:
            await session.rollback()
            return None
        conversation.metadata_ = {**conversation.metadata_, "systemOnce": [*posted, once]}
    message = await _append(session, conversation, Sender.SYSTEM, text, metadata=metadata)
    await bus.emit(session, SystemMessagePosted(**_event_fields(conversation, message)))
    await _commit(session)
    return message


async def change_status_by_agent(session: AsyncSession, organization_id: str, conversation_id: str,
                                 status: str) -> bool:
    """The agent escalates (hands off) or resolves; True when the status changed."""
    if status not in STATUSES:
        raise InvalidInput("invalid_status")
    await session.commit()
    conversation = await lock_conversation(session, organization_id, conversation_id)
    changed = await _change_status(session, conversation, status, by=Sender.AI)
    await _commit(session)
    return changed

