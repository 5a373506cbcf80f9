"""The support desk's WhatsApp channel: inbound messages of a number with "AI answers this number"
on become conversations in the same inbox (channel `whatsapp`, the contact keyed by phone).

It follows the bus's `MessageReceived` (published by ingest, webhook or queue, after its commit):
ingest itself is unchanged and stays idempotent (a replayed event publishes nothing), and a message
that reached a conversation once never does again (`source_message_id` is unique). The post runs
in the publishing request, one short transaction and only for numbers whose conversations are the
desk's, so a contact's messages enter the conversation in the order they arrived; the agent's
answer is the responder's background task, never the webhook's wait. Each contact keeps one
conversation per number across days: the latest is continued, a resolved one reopens.

- Numbers with the AI off: their messages stay plain API traffic, except for contacts whose
  conversation is still open (unresolved or escalated): those keep reaching it.
- Media: an image or PDF the gateway delivered becomes the message's attachment (private storage,
  signed links); anything else (audio, video, other documents, locations) is a placeholder naming
  the type, the file and its size, with the media link when WuzAPI gave one.
- Groups and contacts without a phone number (LIDs) are left out.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from sqlmodel import select

from livchat.core.db import db
from livchat.core.events import bus
from livchat.i18n.detect import detect
from livchat.models import Contact, Instance, Message
from livchat.models.enums import ConversationStatus, MessageDirection, MessageType
from livchat.services.errors import ServiceError
from livchat.services.support import attachments, conversations
from livchat.services.whatsapp.events import MessageReceived
from livchat.services.whatsapp.media import read_media

OPEN = (ConversationStatus.UNRESOLVED, ConversationStatus.ESCALATED)


def _size(size: int | None) -> str:
    if not size:
        return ""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def placeholder(message: Message) -> str:
    """A media message as text: `[audio · voice.ogg · audio/ogg · 12.0 KB] caption (link)`."""
    if message.type == MessageType.LOCATION:
        where = f"{message.latitude},{message.longitude}"
        name = f"{message.text} " if message.text else ""
        return f"📍 {name}https://maps.google.com/?q={where}"
    facts = [message.type, message.file_name, message.media_mime, _size(message.media_size)]
    line = "[" + " · ".join(f for f in facts if f) + "]"
    if message.caption:
        line += f" {message.caption}"
    if message.media_url:
        line += f" {message.media_url}"
    return line


async def as_attachment(message: Message) -> attachments.CheckedUpload | None:
    """The stored bytes of an inbound image or PDF, checked like an upload; None otherwise."""
    if message.type not in (MessageType.IMAGE, MessageType.DOCUMENT):
        return None
    data = await read_media(message.organization_id, message.id, attachments.MAX_ATTACHMENT_BYTES)
    kind = attachments.sniff(data) if data else None
    if kind is None:
        return None
    extensions = attachments.EXTENSIONS[kind]
    name = message.file_name if message.file_name and message.file_name.lower().endswith(extensions) \
        else f"whatsapp-{message.type}{extensions[0]}"
    try:
        return attachments.check(name, data)
    except ServiceError:
        return None


PLACEHOLDER = "placeholder"  # message metadata: the text stands for media of this type (no words of the contact)


async def content(message: Message) -> tuple[str, attachments.CheckedUpload | None, dict[str, str] | None]:
    """What the conversation shows of a WhatsApp message: text, or a file with its caption, or a
    placeholder (marked in the metadata, so the agent does not read it as a question)."""
    if message.type == MessageType.TEXT:
        return (message.text or "").strip(), None, None
    upload = await as_attachment(message)
    if upload is not None:
        return (message.caption or "").strip(), upload, None
    return placeholder(message), None, {PLACEHOLDER: message.type}


def _language(text: str, phone: str) -> str:
    """A new conversation's: the first message's language when clear, else by the number's country."""
    return detect(text) or ("pt-BR" if phone.startswith(("55", "351")) else "en")


async def _wanted(instance: Instance, phone: str) -> bool:
    """AI on for the number, or the contact's conversation on it still open."""
    if instance.agent_enabled:
        return True
    async with db.session() as session:
        contact = (await session.exec(select(Contact.id).where(
            Contact.organization_id == instance.organization_id, Contact.phone == phone))).first()
        if contact is None:
            return False
        latest = await conversations.latest_whatsapp_conversation(session, instance.organization_id or "",
                                                                  instance.id, contact)
        return latest is not None and latest.status in OPEN


async def mirror(message_id: str) -> conversations.Posted | None:
    """Post one stored inbound WhatsApp message to its contact's conversation, when the number's
    conversations are the desk's; None when it is not (or was posted already)."""
    async with db.session() as session:
        message = await session.get(Message, message_id)
        if (message is None or message.direction != MessageDirection.INBOUND or not message.organization_id
                or not message.phone or not message.chat_jid.endswith("@s.whatsapp.net")):
            return None
        instance = await session.get(Instance, message.instance_id)
    if instance is None or instance.organization_id != message.organization_id:
        return None
    if not await _wanted(instance, message.phone):
        return None
    text, upload, metadata = await content(message)
    if not text and upload is None:
        return None
    async with db.session() as session:
        return await conversations.post_whatsapp_contact_message(
            session, message.organization_id, instance.id, message.phone, text, source_message_id=message.id,
            name=message.push_name or "", language=_language("" if metadata else text, message.phone),
            upload=upload, metadata=metadata)


async def on_message_received(event: MessageReceived) -> None:
    await mirror(event.message_id)


_installed: list[Callable[[], None]] = []


def install() -> None:
    if not _installed:
        _installed.append(bus.subscribe(MessageReceived, on_message_received))


def uninstall() -> None:
    while _installed:
        _installed.pop()()


@contextlib.asynccontextmanager
async def whatsapp_channel_lifespan() -> AsyncIterator[None]:
    """For `app.register_lifespan_task`: numbers with the AI on feed the inbox while the app is up."""
    install()
    try:
        yield
    finally:
        uninstall()
