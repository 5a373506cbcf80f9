"""What operators read: the conversation list (filters, search, newest activity first, cursor
pages), one conversation, its messages (the newest page first, then older ones on scroll), the
contact panel and unread counts; and marking a conversation read. Every function takes the
operator's `Actor`; another organization's conversation is NotFound."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.events import bus
from livchat.models import Contact, ContactSession, Conversation, ConversationMessage
from livchat.models.enums import ConversationChannel, ConversationStatus
from livchat.services.actors import Actor
from livchat.services.errors import InvalidInput, NotFound
from livchat.services.pagination import latest_first, newest_first
from livchat.services.support import views
from livchat.services.support.events import ConversationRead
from livchat.services.support.ids import is_id
from livchat.services.support.schemas import (
    ContactPanel,
    ConversationMessagePage,
    ConversationOut,
    ConversationPage,
    PastConversation,
    UnreadSummary,
)

MAX_SEARCH_LENGTH = 200
CHANNELS = (ConversationChannel.WIDGET, ConversationChannel.WHATSAPP)
ASSIGNED = ("me", "unassigned")
PAST_SHOWN = 20


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally (escape `\\`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(organization_id: str, query: str) -> ColumnElement[bool]:
    """Conversations whose contact's name or email, or any message's text, contains `query`
    (case-insensitive)."""
    pattern = _like(query)
    by_contact = select(Contact.id).where(Contact.organization_id == organization_id,
                                          or_(col(Contact.name).ilike(pattern, escape="\\"),
                                              col(Contact.email).ilike(pattern, escape="\\")))
    by_session = select(ContactSession.id).where(ContactSession.organization_id == organization_id,
                                                  or_(col(ContactSession.name).ilike(pattern, escape="\\"),
                                                      col(ContactSession.email).ilike(pattern, escape="\\")))
    by_text = select(ConversationMessage.conversation_id).where(
        ConversationMessage.organization_id == organization_id,
        col(ConversationMessage.content).ilike(pattern, escape="\\"))
    return or_(col(Conversation.contact_id).in_(by_contact), col(Conversation.contact_session_id).in_(by_session),
               col(Conversation.id).in_(by_text))


async def list_conversations(session: AsyncSession, actor: Actor, *, status: str | None = None,
                             channel: str | None = None, query: str | None = None, assigned: str | None = None,
                             unread: bool = False, limit: int = 25, cursor: str | None = None) -> ConversationPage:
    """Newest activity first. `query` searches contact name, email and message text; `assigned`
    is `me` (the actor's) or `unassigned`; `unread` keeps those with unread contact messages."""
    actor.require("read")
    if status is not None and status not in tuple(ConversationStatus):
        raise InvalidInput("invalid_status")
    if channel is not None and channel not in CHANNELS:
        raise InvalidInput("invalid_channel")
    if assigned is not None and assigned not in ASSIGNED:
        raise InvalidInput("invalid_assigned")
    statement = select(Conversation).where(Conversation.organization_id == actor.organization_id)
    if status:
        statement = statement.where(Conversation.status == status)
    if channel:
        statement = statement.where(Conversation.channel == channel)
    if assigned == "me":
        statement = statement.where(Conversation.assignee_user_id == (actor.user_id or ""))
    elif assigned == "unassigned":
        statement = statement.where(col(Conversation.assignee_user_id).is_(None))
    if unread:
        statement = statement.where(Conversation.unread_count > 0)
    text = " ".join((query or "").replace("\x00", "").split())[:MAX_SEARCH_LENGTH]
    if text:
        statement = statement.where(search_condition(actor.organization_id, text))
    rows, next_cursor = await latest_first(session, statement, col(Conversation.last_message_at),
                                           col(Conversation.id), limit=limit, cursor=cursor)
    return ConversationPage(data=await views.conversations_out(session, rows), next_cursor=next_cursor)


async def _conversation(session: AsyncSession, actor: Actor, conversation_id: str) -> Conversation:
    actor.require("read")
    if not is_id(conversation_id):
        raise NotFound("conversation_not_found")
    row = (await session.exec(select(Conversation).where(
        Conversation.id == conversation_id, Conversation.organization_id == actor.organization_id))).first()
    if row is None:
        raise NotFound("conversation_not_found")
    return row


async def get_conversation(session: AsyncSession, actor: Actor, conversation_id: str) -> ConversationOut:
    return await views.conversation_out(session, await _conversation(session, actor, conversation_id))


async def list_messages(session: AsyncSession, actor: Actor, conversation_id: str, *, limit: int = 50,
                        cursor: str | None = None, links: views.Links = "api") -> ConversationMessagePage:
    """The newest `limit` messages, oldest first; `next_cursor` loads the ones before them."""
    conversation = await _conversation(session, actor, conversation_id)
    statement = select(ConversationMessage).where(ConversationMessage.conversation_id == conversation.id)
    rows, next_cursor = await newest_first(session, statement, col(ConversationMessage.id), limit=limit, cursor=cursor)
    rows.reverse()
    return ConversationMessagePage(data=await views.messages_out(session, rows, links), next_cursor=next_cursor)


async def mark_read(session: AsyncSession, actor: Actor, conversation_id: str) -> None:
    """The operator has seen every message: unread back to 0 (no write when it already is)."""
    actor.require("work_inbox")
    if not is_id(conversation_id):
        raise NotFound("conversation_not_found")
    await session.commit()
    changed = await session.exec(update(Conversation)
                                 .where(col(Conversation.id) == conversation_id,
                                        col(Conversation.organization_id) == actor.organization_id,
                                        col(Conversation.unread_count) > 0)
                                 .values(unread_count=0, updated_at=Conversation.updated_at))
    if changed.rowcount == 1:
        row = await session.get(Conversation, conversation_id)
        assert row is not None
        await bus.emit(session, ConversationRead(organization_id=actor.organization_id, conversation_id=conversation_id,
                                                 contact_session_id=row.contact_session_id, side="operator"))
        await bus.commit_and_publish(session)
        return
    await session.rollback()
    await _conversation(session, actor, conversation_id)  # NotFound for another organization's id


async def unread_summary(session: AsyncSession, actor: Actor) -> UnreadSummary:
    """For the tab title and the sidebar badge."""
    actor.require("read")
    conversations, messages = (await session.exec(
        select(func.count(), func.coalesce(func.sum(Conversation.unread_count), 0))
        .where(Conversation.organization_id == actor.organization_id, Conversation.unread_count > 0)
        .where(Conversation.status != ConversationStatus.RESOLVED))).one()
    return UnreadSummary(conversations=int(conversations), messages=int(messages))


async def contact_panel(session: AsyncSession, actor: Actor, conversation_id: str) -> ContactPanel:
    """The contact (name, email, browser, language, time zone, referrer) and their other conversations."""
    conversation = await _conversation(session, actor, conversation_id)
    contact = await session.get(Contact, conversation.contact_id) if conversation.contact_id else None
    contact_session = (await session.get(ContactSession, conversation.contact_session_id)
                       if conversation.contact_session_id else None)
    past: list[PastConversation] = []
    if contact is not None:
        rows = (await session.exec(
            select(Conversation)
            .where(Conversation.organization_id == actor.organization_id, Conversation.contact_id == contact.id,
                   Conversation.id != conversation.id)
            .order_by(col(Conversation.last_message_at).desc()).limit(PAST_SHOWN))).all()
        past = [PastConversation(id=r.id, status=r.status, channel=r.channel,
                                 last_message_preview=r.last_message_preview, last_message_at=r.last_message_at,
                                 created_at=r.created_at) for r in rows]
    return ContactPanel(contact=views.contact_out(contact, contact_session), past_conversations=past)
