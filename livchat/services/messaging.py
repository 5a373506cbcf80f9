"""Sending WhatsApp messages (six types), message history, read marks.

A send validates everything first (number, type, media), then commits a `pending` row that
already carries the WhatsApp message id we chose (so a receipt or an echo of it can always be
matched), then calls WuzAPI once: `sent`, or `failed` with the reason. A timeout is never
retried blindly: the row is `failed` with an error saying the outcome is unknown.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.events import bus
from livchat.core.ids import new_id
from livchat.integrations import wuzapi
from livchat.models.enums import MessageDirection, MessageStatus, MessageType
from livchat.models.whatsapp import Instance, Message
from livchat.services import usage
from livchat.services.errors import InvalidInput, NotFound, PayloadTooLarge
from livchat.services.gateway import get_gateway, service_error
from livchat.services.instances import get_instance, wuzapi_token
from livchat.services.phones import normalize_phone
from livchat.services.whatsapp_events import MessageFailed, MessageSent

MB = 1024 * 1024
MAX_TEXT_LENGTH = 65_536
MAX_CAPTION_LENGTH = 1024
# What WhatsApp accepts per type (base mime type → allowed), and how big.
MEDIA_RULES: dict[str, tuple[frozenset[str] | None, int]] = {
    MessageType.IMAGE: (frozenset({"image/jpeg", "image/png", "image/webp"}), 5 * MB),
    MessageType.AUDIO: (frozenset({"audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr",
                                   "audio/opus"}), 16 * MB),
    MessageType.VIDEO: (frozenset({"video/mp4", "video/3gpp"}), 16 * MB),
    MessageType.DOCUMENT: (None, 100 * MB),  # any well-formed mime type
}
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_DATA_URL = re.compile(r"^data:([^;,]+)((?:;[^;,]+)*);base64,(.*)$", re.DOTALL)
TIMEOUT_ERROR = ("WhatsApp gateway timed out: the message may or may not have been sent; "
                 "it was not retried (check whatsappMessageId)")


@dataclass(frozen=True)
class OutgoingMessage:
    """What the API's `POST /instances/{id}/messages` carries (snake_case)."""

    to: str
    type: str = MessageType.TEXT
    text: str | None = None
    media_url: str | None = None
    media_base64: str | None = None
    mime_type: str | None = None
    file_name: str | None = None
    caption: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    reply_to: str | None = None


@dataclass(frozen=True)
class _Media:
    """Media ready for WuzAPI: a `data:` URL or an http(s) URL."""

    value: str
    mime: str | None
    size: int | None


def new_whatsapp_message_id() -> str:
    """whatsmeow's shape (3EB0 + 18 hex): we choose it so the row is matchable before the reply."""
    return "3EB0" + secrets.token_hex(9).upper()


def _validate(message: OutgoingMessage) -> tuple[str, _Media | None]:
    phone = normalize_phone(message.to)
    kind = message.type
    if kind not in set(MessageType):
        raise InvalidInput("invalid_message_type")
    if message.caption and len(message.caption) > MAX_CAPTION_LENGTH:
        raise InvalidInput("caption_too_long")
    if kind == MessageType.TEXT:
        if not (message.text or "").strip():
            raise InvalidInput("text_required")
        if len(message.text or "") > MAX_TEXT_LENGTH:
            raise InvalidInput("text_too_long")
        return phone, None
    if kind == MessageType.LOCATION:
        lat, lon = message.latitude, message.longitude
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
            raise InvalidInput("invalid_location")
        return phone, None
    if kind == MessageType.DOCUMENT and not (message.file_name or "").strip():
        raise InvalidInput("file_name_required")
    return phone, _media(kind, message)


def _media(kind: str, message: OutgoingMessage) -> _Media:
    allowed, max_size = MEDIA_RULES[kind]
    if bool(message.media_url) == bool(message.media_base64):
        raise InvalidInput("media_required")
    declared = _base_mime(message.mime_type) if message.mime_type else None
    if message.media_url:
        if not re.match(r"^https?://[^\s/]+", message.media_url) or len(message.media_url) > 2000:
            raise InvalidInput("invalid_media_url")
        if declared:
            _check_mime(declared, allowed)
        return _Media(message.media_url, declared, None)
    raw = message.media_base64 or ""
    match = _DATA_URL.match(raw.strip())
    if match:
        declared = declared or _base_mime(match.group(1))
        raw = match.group(3)
    if not declared:
        raise InvalidInput("mime_type_required")
    _check_mime(declared, allowed)
    compact = re.sub(r"\s+", "", raw)
    # Reject before decoding: base64 is 4/3 of the bytes.
    if len(compact) * 3 // 4 > max_size + 3:
        raise PayloadTooLarge("media_too_large")
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("invalid_base64") from None
    if not data:
        raise InvalidInput("media_required")
    if len(data) > max_size:
        raise PayloadTooLarge("media_too_large")
    return _Media(f"data:{declared};base64,{base64.b64encode(data).decode()}", declared, len(data))


def _base_mime(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _check_mime(mime: str, allowed: frozenset[str] | None) -> None:
    if not _MIME.match(mime) or (allowed is not None and mime not in allowed):
        raise InvalidInput("unsupported_media_type")


async def send_message(session: AsyncSession, organization_id: str | None, instance_id: str,
                       message: OutgoingMessage, *, anonymous_session_id: str | None = None) -> Message:
    """Validate, record, send once. Returns the row (`sent`); on a gateway failure the row is
    `failed` (committed, `MessageFailed` emitted) and the mapped service error is raised."""
    phone, media = _validate(message)
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    reply_to = await _reply_target(session, instance.id, message.reply_to)
    row = Message(
        id=new_id("msg"), organization_id=instance.organization_id, instance_id=instance.id,
        direction=MessageDirection.OUTBOUND, chat_jid=f"{phone}@s.whatsapp.net", phone=phone, type=message.type,
        text=message.text if message.type == MessageType.TEXT else None, caption=message.caption or None,
        media_url=media.value if media and not media.value.startswith("data:") else None,
        media_mime=media.mime if media else None, media_size=media.size if media else None,
        file_name=message.file_name or None, latitude=message.latitude, longitude=message.longitude,
        reply_to=reply_to, whatsapp_message_id=new_whatsapp_message_id(),
        status=MessageStatus.PENDING,
    )
    session.add(row)
    await session.commit()
    try:
        result = await _call_gateway(wuzapi_token(instance), phone, message, media, row.whatsapp_message_id or "",
                                     reply_to)
    except wuzapi.WuzapiError as exc:
        error = service_error(exc)
        await _fail(session, row, TIMEOUT_ERROR if isinstance(exc, wuzapi.GatewayTimeout) else _failure_text(exc))
        raise error from exc
    row.status = MessageStatus.SENT
    row.whatsapp_message_id = result.message_id or row.whatsapp_message_id
    row.sent_at = datetime.fromtimestamp(result.timestamp, UTC) if result.timestamp else utcnow()
    row.updated_at = utcnow()
    await usage.increment(session, instance.organization_id, instance.id, messages_sent=1,
                          media_bytes=media.size if media and media.size else 0)
    await bus.emit(session, MessageSent(organization_id=row.organization_id, instance_id=row.instance_id,
                                        message_id=row.id, data=message_data(row)))
    await bus.commit_and_publish(session)
    return row


def _failure_text(exc: wuzapi.WuzapiError) -> str:
    mapped = service_error(exc)
    return f"{mapped.code}: {exc.message}" if exc.message else mapped.code


async def _fail(session: AsyncSession, row: Message, error: str) -> None:
    row.status = MessageStatus.FAILED
    row.error = error
    row.updated_at = utcnow()
    await bus.emit(session, MessageFailed(organization_id=row.organization_id, instance_id=row.instance_id,
                                          message_id=row.id, data=message_data(row)))
    await bus.commit_and_publish(session)


async def _reply_target(session: AsyncSession, instance_id: str, reply_to: str | None) -> str | None:
    """`replyTo` is one of our message ids (`msg_…`) or a WhatsApp message id; WuzAPI wants the latter."""
    if not reply_to:
        return None
    if not reply_to.startswith("msg_"):
        return reply_to[:100]
    query = select(Message).where(Message.instance_id == instance_id, Message.id == reply_to)
    original = (await session.exec(query)).first()
    if original is None or not original.whatsapp_message_id:
        raise InvalidInput("reply_to_not_found")
    return original.whatsapp_message_id


async def _call_gateway(token: str, phone: str, message: OutgoingMessage, media: _Media | None,
                        wamid: str, reply_to: str | None) -> wuzapi.SendResult:
    gateway = get_gateway()
    caption = message.caption or ""
    match message.type:
        case MessageType.TEXT:
            return await gateway.send_text(token, phone, message.text or "", message_id=wamid, reply_to=reply_to)
        case MessageType.LOCATION:
            return await gateway.send_location(token, phone, float(message.latitude or 0),
                                               float(message.longitude or 0), name=message.text or "",
                                               message_id=wamid)
        case MessageType.IMAGE:
            assert media is not None
            return await gateway.send_image(token, phone, media.value, caption=caption, mime_type=media.mime,
                                            message_id=wamid)
        case MessageType.AUDIO:
            assert media is not None
            return await gateway.send_audio(token, phone, media.value, mime_type=media.mime, message_id=wamid)
        case MessageType.VIDEO:
            assert media is not None
            return await gateway.send_video(token, phone, media.value, caption=caption, mime_type=media.mime,
                                            message_id=wamid)
        case _:
            assert media is not None
            return await gateway.send_document(token, phone, media.value, message.file_name or "document",
                                               caption=caption, mime_type=media.mime, message_id=wamid)


async def list_messages(session: AsyncSession, organization_id: str | None, instance_id: str, *,
                        chat: str | None = None, cursor: str | None = None, limit: int = 50,
                        anonymous_session_id: str | None = None) -> tuple[list[Message], str | None]:
    """Newest first, both directions. `chat` is a phone number (any form) or a JID. Returns
    (page, next cursor or None); ids are time-ordered, so the cursor is `id < cursor`."""
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    limit = max(1, min(int(limit), 100))
    query = select(Message).where(Message.instance_id == instance.id)
    if chat:
        query = query.where(Message.chat_jid == _chat_jid(chat))
    if cursor:
        query = query.where(Message.id < cursor)
    rows = list((await session.exec(query.order_by(Message.id.desc()).limit(limit + 1))).all())  # type: ignore[attr-defined]
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].id
    return rows, None


def _chat_jid(chat: str) -> str:
    chat = chat.strip()
    if "@" in chat:
        return chat
    return f"{normalize_phone(chat)}@s.whatsapp.net"


async def get_message(session: AsyncSession, organization_id: str | None, message_id: str, *,
                      anonymous_session_id: str | None = None) -> Message:
    query = select(Message).where(Message.id == message_id)
    if organization_id is not None:
        query = query.where(Message.organization_id == organization_id)
    elif anonymous_session_id is not None:
        query = query.join(Instance, Instance.id == Message.instance_id).where(
            Message.organization_id.is_(None), Instance.anonymous_session_id == anonymous_session_id)  # type: ignore[union-attr]
    else:
        raise NotFound("not_found")
    row = (await session.exec(query)).first()
    if row is None:
        raise NotFound("not_found")
    return row


async def mark_read(session: AsyncSession, organization_id: str | None, instance_id: str,
                    message_ids: list[str], *, anonymous_session_id: str | None = None) -> int:
    """Send read receipts for inbound messages (our ids). Returns how many were marked."""
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    if not message_ids:
        raise InvalidInput("message_ids_required")
    query = select(Message).where(Message.instance_id == instance.id, Message.id.in_(message_ids),  # type: ignore[attr-defined]
                                  Message.direction == MessageDirection.INBOUND)
    rows = list((await session.exec(query)).all())
    if len(rows) != len(set(message_ids)):
        raise NotFound("not_found")
    by_chat: dict[str, list[Message]] = {}
    for row in rows:
        by_chat.setdefault(row.chat_jid, []).append(row)
    token = wuzapi_token(instance)
    for chat_jid, chat_rows in by_chat.items():
        try:
            await get_gateway().mark_read(token, [r.whatsapp_message_id or "" for r in chat_rows], chat_jid,
                                          chat_rows[0].phone)
        except wuzapi.WuzapiError as exc:
            raise service_error(exc) from exc
        now = utcnow()
        for row in chat_rows:
            row.status = MessageStatus.READ
            row.read_at = now
            row.updated_at = now
        await session.commit()
    return len(rows)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def message_data(row: Message) -> dict[str, Any]:
    """The camelCase JSON of a message: webhook `data` and the API's message object."""
    return {
        "id": row.id, "instanceId": row.instance_id, "whatsappMessageId": row.whatsapp_message_id,
        "direction": row.direction, "chatJid": row.chat_jid, "phone": row.phone, "type": row.type,
        "text": row.text, "caption": row.caption, "mediaUrl": row.media_url, "mimeType": row.media_mime,
        "mediaSize": row.media_size, "fileName": row.file_name, "latitude": row.latitude,
        "longitude": row.longitude, "replyTo": row.reply_to, "pushName": row.push_name, "status": row.status,
        "error": row.error, "timestamp": _iso(row.sent_at or row.created_at), "sentAt": _iso(row.sent_at),
        "deliveredAt": _iso(row.delivered_at), "readAt": _iso(row.read_at),
    }

