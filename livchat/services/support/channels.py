"""What is written in a conversation reaches its contact through the conversation's channel.

A widget contact reads the conversation itself (the widget polls or follows its feed): nothing to
send. A WhatsApp contact is written to through the number the conversation came in on
(`messaging.send_message`, with the plan's limits and quota like any send): the operator's reply as
the operator, the agent's answers and the desk's notes as the organization's agent (`agent_actor`).
The send happens before the message is stored and holds no conversation lock while WuzAPI answers.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import db
from livchat.core.logging import get_logger
from livchat.models import Contact, Conversation
from livchat.models.enums import ConversationChannel, MessageType, Role
from livchat.services.actors import Actor
from livchat.services.errors import Conflict, ServiceError
from livchat.services.support.attachments import CheckedUpload
from livchat.services.whatsapp import messaging
from livchat.services.whatsapp.phones import jid_phone

log = get_logger("support.channels")


class WhatsAppNumberGone(Conflict):
    """The conversation's WhatsApp number was deleted: nothing can reach the contact any more."""

    code = "whatsapp_number_gone"


def agent_actor(organization_id: str) -> Actor:
    """Who the AI agent (and the desk's own notes) act as when they send: the organization itself,
    with an admin's rights and no person or API key behind it."""
    return Actor(organization_id=organization_id, role=Role.ADMIN)


@dataclass(frozen=True)
class Sent:
    """A message that went out over WhatsApp: its `msg_…` id (the API's message)."""

    message_id: str


def needs_sending(conversation: Conversation) -> bool:
    return conversation.channel == ConversationChannel.WHATSAPP


async def _phone(session: AsyncSession, conversation: Conversation) -> str | None:
    if conversation.contact_id:
        contact = await session.get(Contact, conversation.contact_id)
        if contact is not None and contact.phone:
            return contact.phone
    return jid_phone(conversation.chat_jid or "")


def outgoing(phone: str, text: str, upload: CheckedUpload | None = None) -> messaging.OutgoingMessage:
    if upload is None:
        return messaging.OutgoingMessage(to=phone, type=MessageType.TEXT, text=text)
    kind = MessageType.IMAGE if upload.content_type.startswith("image/") else MessageType.DOCUMENT
    return messaging.OutgoingMessage(to=phone, type=kind, media_base64=base64.b64encode(upload.data).decode(),
                                     mime_type=upload.content_type, file_name=upload.filename,
                                     caption=text or None)


async def send(actor: Actor, conversation: Conversation, text: str,
               upload: CheckedUpload | None = None) -> Sent | None:
    """Send `text` (and the file) to the contact when the channel needs it; None for the widget.
    Raises the send's ServiceError (instance not connected, gateway down, quota…) unsent."""
    if not needs_sending(conversation):
        return None
    if conversation.instance_id is None:
        raise WhatsAppNumberGone()
    async with db.session() as session:
        phone = await _phone(session, conversation)
        if phone is None:
            raise WhatsAppNumberGone()
        row = await messaging.send_message(session, actor, conversation.instance_id, outgoing(phone, text, upload))
    return Sent(message_id=row.id)


async def send_quietly(actor: Actor, conversation: Conversation, text: str) -> tuple[Sent | None, str | None]:
    """For the agent and the desk: (what was sent, or None) and the error code when it failed —
    logged, never raised: the message is kept in the conversation for the operators either way."""
    try:
        return await send(actor, conversation, text), None
    except ServiceError as exc:
        log.warning("could not send to the WhatsApp contact",
                    extra={"conversation": conversation.id, "code": exc.code})
        return None, exc.code
