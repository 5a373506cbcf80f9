"""Rows to wire shapes (schemas.py), in batches: one query per kind of related row (contacts,
sessions, operators, attachments), never one per conversation or message."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.models import (
    Contact,
    ContactSession,
    Conversation,
    ConversationAttachment,
    ConversationMessage,
    User,
)
from livchat.services.support import attachments
from livchat.services.support.schemas import (
    AttachmentOut,
    ContactOut,
    ConversationMessageOut,
    ConversationOut,
    SourceOut,
)

# How attachment URLs are given: the API route (needs the API key) or signed links (browsers).
Links = Literal["api", "signed"]
API_AUTHOR = "API"


def _metadata(contact: Contact | None, contact_session: ContactSession | None) -> dict[str, Any]:
    """The browser facts of the visit this conversation came from, over the contact's own."""
    return {**(contact.metadata_ if contact else {}), **(contact_session.metadata_ if contact_session else {})}


def contact_out(contact: Contact | None, contact_session: ContactSession | None) -> ContactOut:
    if contact is None and contact_session is None:
        return ContactOut(id="", name="", email="", metadata={})
    return ContactOut(
        id=contact.id if contact else "",
        name=(contact_session.name if contact_session else "") or (contact.name if contact else ""),
        email=(contact_session.email if contact_session else "") or (contact.email if contact else ""),
        phone=contact.phone if contact else None,
        metadata=_metadata(contact, contact_session),
    )


async def _by_id(session: AsyncSession, model: Any, ids: Iterable[str | None]) -> dict[str, Any]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return {row.id: row for row in (await session.exec(select(model).where(col(model.id).in_(wanted)))).all()}


async def conversations_out(session: AsyncSession, rows: list[Conversation]) -> list[ConversationOut]:
    contacts = await _by_id(session, Contact, (r.contact_id for r in rows))
    sessions = await _by_id(session, ContactSession, (r.contact_session_id for r in rows))
    assignees = await _by_id(session, User, (r.assignee_user_id for r in rows))
    out = []
    for row in rows:
        assignee = assignees.get(row.assignee_user_id or "")
        out.append(ConversationOut(
            id=row.id, channel=row.channel, status=row.status,
            contact=contact_out(contacts.get(row.contact_id or ""), sessions.get(row.contact_session_id or "")),
            instance_id=row.instance_id, unread_count=row.unread_count, last_message_at=row.last_message_at,
            created_at=row.created_at, last_message_preview=row.last_message_preview,
            last_message_sender=row.last_message_sender, assignee_user_id=row.assignee_user_id,
            assignee_name=(assignee.name or assignee.email) if assignee else None, language=row.language,
            escalated_at=row.escalated_at, resolved_at=row.resolved_at,
        ))
    return out


async def conversation_out(session: AsyncSession, row: Conversation) -> ConversationOut:
    return (await conversations_out(session, [row]))[0]


def attachment_out(row: ConversationAttachment, links: Links) -> AttachmentOut:
    url = attachments.api_url(row.conversation_id, row.id) if links == "api" else attachments.signed_url(row.id)
    return AttachmentOut(id=row.id, filename=row.filename, content_type=row.content_type, size_bytes=row.size_bytes,
                         is_image=row.content_type.startswith("image/"), url=url)


async def messages_out(session: AsyncSession, rows: list[ConversationMessage], links: Links,
                       *, for_contact: bool = False) -> list[ConversationMessageOut]:
    """`for_contact`: what a visitor may see of an operator is their name only (never an email)."""
    authors = await _by_id(session, User, (r.author_user_id for r in rows))
    files: dict[str, list[AttachmentOut]] = {}
    ids = [r.id for r in rows]
    if ids:
        query = (select(ConversationAttachment).where(col(ConversationAttachment.message_id).in_(ids))
                 .order_by(col(ConversationAttachment.id)))
        for attachment in (await session.exec(query)).all():
            files.setdefault(attachment.message_id, []).append(attachment_out(attachment, links))
    out = []
    for row in rows:
        author = authors.get(row.author_user_id or "")
        if author is not None:
            author_name: str | None = author.name or (None if for_contact else author.email)
        else:
            author_name = API_AUTHOR if row.author_api_key_id else None
        sources = row.metadata_.get("sources")
        out.append(ConversationMessageOut(
            id=row.id, conversation_id=row.conversation_id, sender=row.sender, text=row.content,
            attachments=files.get(row.id, []),
            sources=[SourceOut.model_validate(s) for s in sources] if isinstance(sources, list) else None,
            author_name=author_name, created_at=row.created_at,
        ))
    return out
