"""The visitor's side of the desk, acting as a resolved `Visitor` (sessions.resolve): send a
message or a file, read the conversation, say it was seen, say they are typing, fetch an
attachment of their own conversation. Nothing here takes a conversation id: a visitor only
ever reaches their own session's conversation.

The rate limits (limits.py) are separate calls, made by the REST routes and the widget page
before these, so both surfaces refuse the same way.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.events import bus
from livchat.models import Conversation, ConversationMessage
from livchat.services.errors import InvalidInput
from livchat.services.support import attachments, conversations, presence, views
from livchat.services.support.events import ConversationRead
from livchat.services.support.ids import is_id
from livchat.services.widget.schemas import (
    MessagePosted,
    VisitorConversation,
    VisitorMessages,
)
from livchat.services.widget.sessions import Visitor

MAX_MESSAGES = 100


def _posted(posted: conversations.Posted) -> MessagePosted:
    return MessagePosted(conversation_id=posted.conversation.id, message_id=posted.message.id,
                         attachment_id=posted.attachment.id if posted.attachment else None)


async def send_message(session: AsyncSession, visitor: Visitor, text: str) -> MessagePosted:
    """To the visitor's conversation (opened on the first message, reopened if resolved)."""
    return _posted(await conversations.post_contact_message(session, visitor.ref, text))


async def send_attachment(session: AsyncSession, visitor: Visitor, upload: attachments.CheckedUpload,
                          text: str = "") -> MessagePosted:
    """A file with an optional caption; `attachments.check(filename, data)` first (it refuses
    what we do not keep before anything is stored, and before a rate limit is spent)."""
    return _posted(await conversations.post_contact_message(session, visitor.ref, text, upload))


def _conversation_out(row: Conversation) -> VisitorConversation:
    return VisitorConversation(id=row.id, status=row.status, unread_count=row.contact_unread_count,
                               created_at=row.created_at)


async def current(session: AsyncSession, visitor: Visitor) -> VisitorConversation | None:
    row = await conversations.current_conversation(session, visitor.organization_id, visitor.contact_session_id)
    return _conversation_out(row) if row else None


async def messages(session: AsyncSession, visitor: Visitor, after: str | None = None,
                   limit: int = MAX_MESSAGES) -> VisitorMessages:
    """Oldest first: the messages after `after` (a message id this conversation returned), or the
    latest `limit` ones. Attachment URLs are signed links (usable in `<img src>`)."""
    if after is not None and not is_id(after, "cmsg"):
        raise InvalidInput("invalid_after")
    limit = max(1, min(int(limit), MAX_MESSAGES))
    row = await conversations.current_conversation(session, visitor.organization_id, visitor.contact_session_id)
    if row is None:
        return VisitorMessages(data=[], conversation=None)
    query = select(ConversationMessage).where(ConversationMessage.conversation_id == row.id)
    if after is not None:
        rows = list((await session.exec(query.where(col(ConversationMessage.id) > after)
                                        .order_by(col(ConversationMessage.id)).limit(limit))).all())
    else:
        rows = list((await session.exec(query.order_by(col(ConversationMessage.id).desc()).limit(limit))).all())
        rows.reverse()
    data = await views.messages_out(session, rows, "signed", for_contact=True)
    return VisitorMessages(data=data, conversation=_conversation_out(row))


async def mark_seen(session: AsyncSession, visitor: Visitor) -> None:
    """The visitor has seen every reply (the widget is open): their unread count back to 0."""
    await session.commit()
    changed = await session.exec(update(Conversation)
                                 .where(col(Conversation.organization_id) == visitor.organization_id,
                                        col(Conversation.contact_session_id) == visitor.contact_session_id,
                                        col(Conversation.contact_unread_count) > 0)
                                 .values(contact_unread_count=0, contact_last_seen_at=utcnow(),
                                         updated_at=Conversation.updated_at)
                                 .returning(col(Conversation.id)))
    for conversation_id in changed.scalars().all():
        await bus.emit(session, ConversationRead(organization_id=visitor.organization_id,
                                                 conversation_id=conversation_id,
                                                 contact_session_id=visitor.contact_session_id, side="contact"))
    await bus.commit_and_publish(session)


async def set_typing(session: AsyncSession, visitor: Visitor, typing: bool) -> bool:
    """Throttled and never stored; nothing to say before the first message (no conversation)."""
    row = await conversations.current_conversation(session, visitor.organization_id, visitor.contact_session_id)
    if row is None:
        return False
    return await presence.publish_typing(visitor.organization_id, row.id, visitor.contact_session_id, "contact",
                                         bool(typing))


async def open_attachment(session: AsyncSession, visitor: Visitor, attachment_id: str) -> attachments.AttachmentFile:
    return await attachments.open_for_contact(session, visitor.organization_id, visitor.contact_session_id,
                                              attachment_id)
