"""Sending WhatsApp messages (six types), message history, read marks.

A send checks everything first — number, type, content, and media (`media.py`: given by URL it
is fetched, through the SSRF guard, with the same size and type rules as base64) — so a bad send costs
no limit. Then the plan's limits: sends per second per instance (the `limits` library) and the
daily quota (a database counter, given back if the send fails). Then it commits a `pending` row
that already carries the WhatsApp message id we chose (so a receipt or an echo of it can always
be matched), and calls WuzAPI once: `sent`, or `failed` with the reason — also when the send is
cancelled or breaks on something unexpected. A timeout is never retried blindly: the row is
`failed` with an error saying the outcome is unknown.

    prepared = await prepare_send(...)        # 4xx for bad input; nothing counted
    await check_send_rate(prepared, plan)     # 429 rate_limited
    delivered = await deliver(session, prepared, plan=plan)   # 429 quota_exceeded, gateway errors

`send_message` does the three; the API calls them one by one for its headers and idempotency.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import db, table_of, utcnow
from livchat.core.events import bus
from livchat.core.ids import new_id
from livchat.core.logging import get_logger
from livchat.integrations import wuzapi
from livchat.models.accounts import Organization
from livchat.models.enums import MessageDirection, MessageStatus, MessageType
from livchat.models.whatsapp import Instance, Message
from livchat.services.actors import Actor
from livchat.services.errors import InvalidInput, LocationOnZeroAxis, NotFound
from livchat.services.pagination import newest_first
from livchat.services.usage import counters
from livchat.services.usage.limits import RateLimited, RateLimitResult, get_rate_limits
from livchat.services.whatsapp.events import MessageFailed, MessageSent
from livchat.services.whatsapp.gateway import get_gateway, service_error
from livchat.services.whatsapp.instances import acting_for, get_instance, wuzapi_token
from livchat.services.whatsapp.media import Media, fetch_media, parse_media
from livchat.services.whatsapp.phones import normalize_phone
from livchat.services.whatsapp.schemas import MessageOut

log = get_logger("messaging")

_MESSAGES = table_of(Message)
# Built once: a send runs both, and building a statement (and its cache key) costs more than running it.
_INSERT_MESSAGE = insert(_MESSAGES)
_UPDATE_MESSAGE = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("message_id"))

MAX_TEXT_LENGTH = 65_536
MAX_CAPTION_LENGTH = 1024
TIMEOUT_ERROR = ("WhatsApp gateway timed out or dropped the connection: the message may or may not have been "
                 "sent; it was not retried (check whatsappMessageId)")
INTERRUPTED_ERROR = ("the send was interrupted ({reason}) before the WhatsApp gateway answered: the message "
                     "may or may not have been sent; it was not retried (check whatsappMessageId)")


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
class PreparedSend:
    """A send that passed every check (number, content, media fetched): only limits remain."""

    instance: Instance
    message: OutgoingMessage
    phone: str
    media: Media | None
    reply_to: str | None


@dataclass(frozen=True)
class Delivered:
    message: Message
    quota: RateLimitResult  # the daily quota after this send (UNLIMITED on plans without one)


def new_whatsapp_message_id() -> str:
    """whatsmeow's shape (3EB0 + 18 hex): we choose it so the row is matchable before the reply."""
    return "3EB0" + secrets.token_hex(9).upper()


def validate(message: OutgoingMessage) -> tuple[str, Media | None]:
    """Every check that needs no I/O (4xx before anything is counted): the E.164 digits and the
    media to send (still to fetch when given by URL)."""
    phone = normalize_phone(message.to)
    kind = message.type
    if any("\x00" in (value or "") for value in (message.text, message.caption, message.file_name)):
        raise InvalidInput("nul_character")  # PostgreSQL's text cannot hold it; WhatsApp shows nothing for it
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
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidInput("invalid_location")
        if lat == 0 or lon == 0:
            raise LocationOnZeroAxis("location_zero_coordinate")
        return phone, None
    if kind == MessageType.DOCUMENT and not (message.file_name or "").strip():
        raise InvalidInput("file_name_required")
    return phone, parse_media(kind, media_url=message.media_url, media_base64=message.media_base64,
                        mime_type=message.mime_type)


async def prepare_send(session: AsyncSession, actor: Actor | None, instance_id: str,
                       message: OutgoingMessage, *, anonymous_session_id: str | None = None,
                       loaded: Instance | None = None) -> PreparedSend:
    """Every check of a send, cheapest first (the role, then the input; the instance is 404
    before media is fetched). `actor=None`: the test panel's anonymous session. `loaded`: the
    instance as the caller already read it (the API loads it with the key); used only when it is
    the one named and the actor's organization's, else it is looked up here."""
    organization_id = acting_for(actor, "use")
    phone, to_send = validate(message)
    if (loaded is not None and organization_id is not None and loaded.id == instance_id
            and loaded.organization_id == organization_id):
        instance = loaded
    else:
        instance = await get_instance(session, organization_id, instance_id,
                                      anonymous_session_id=anonymous_session_id)
    reply_to = await _reply_target(session, instance.id, message.reply_to)
    if to_send is not None and to_send.to_fetch:
        await session.commit()  # hold no transaction (nor a pooled connection) while it downloads
        to_send = await fetch_media(message.type, to_send)
    return PreparedSend(instance, message, phone, to_send, reply_to)


async def check_send_rate(prepared: PreparedSend, plan: str) -> RateLimitResult:
    """The plan's sends per second for the instance; raises RateLimited when over."""
    result = await get_rate_limits().send(prepared.instance.id, plan)
    if not result.allowed:
        raise RateLimited(result)
    return result


async def send_message(session: AsyncSession, actor: Actor | None, instance_id: str,
                       message: OutgoingMessage, *, plan: str | None = None,
                       anonymous_session_id: str | None = None) -> Message:
    """Check, apply the plan's limits (an organization's instance; `plan` is looked up when not
    given), record, send once. Returns the row (`sent`); on a gateway failure the row is `failed`
    (committed, `MessageFailed` emitted) and the mapped service error is raised."""
    prepared = await prepare_send(session, actor, instance_id, message, anonymous_session_id=anonymous_session_id)
    if prepared.instance.organization_id is not None:
        plan = plan or await _plan_of(session, prepared.instance.organization_id)
        await check_send_rate(prepared, plan)
    return (await deliver(session, prepared, plan=plan)).message


async def _plan_of(session: AsyncSession, organization_id: str) -> str:
    return (await session.exec(select(Organization.plan).where(Organization.id == organization_id))).one()


async def deliver(session: AsyncSession, prepared: PreparedSend, *, plan: str | None,
                  on_dispatch: Callable[[], Awaitable[None]] | None = None) -> Delivered:
    """Take the daily quota (raises QuotaExceeded), record the row, call WuzAPI once.
    `on_dispatch` runs right before the request may leave for WuzAPI."""
    instance, message, media = prepared.instance, prepared.message, prepared.media
    quota_day, quota = await counters.take_daily_quota(session, instance.organization_id, plan)
    row = Message(
        id=new_id("msg"), organization_id=instance.organization_id, instance_id=instance.id,
        direction=MessageDirection.OUTBOUND, chat_jid=f"{prepared.phone}@s.whatsapp.net", phone=prepared.phone,
        type=message.type, text=message.text if message.type == MessageType.TEXT else None,
        caption=message.caption or None, media_url=media.source_url if media else None,
        media_mime=media.mime if media else None, media_size=media.size if media else None,
        file_name=message.file_name or None, latitude=message.latitude, longitude=message.longitude,
        reply_to=prepared.reply_to, whatsapp_message_id=new_whatsapp_message_id(),
        status=MessageStatus.PENDING,
    )
    await session.exec(_INSERT_MESSAGE, params={column.key: getattr(row, column.key) for column in _MESSAGES.columns})
    await session.commit()  # the row and the quota it took, together
    try:
        if on_dispatch is not None:
            await on_dispatch()
        result = await _call_gateway(wuzapi_token(instance), prepared, row.whatsapp_message_id or "")
    except wuzapi.WuzapiError as exc:
        error = service_error(exc)
        await _fail(session, row, quota_day, TIMEOUT_ERROR if isinstance(exc, wuzapi.OutcomeUnknown)
                    else _failure_text(exc))
        raise error from exc
    except BaseException as exc:
        # Cancelled mid-flight, or broken by something else: never leave the row pending. In a
        # session of its own (this one may be unusable), shielded from a second cancellation.
        reason = "cancelled" if isinstance(exc, asyncio.CancelledError) else type(exc).__name__
        await _shielded(_fail_elsewhere(session, row.id, quota_day, INTERRUPTED_ERROR.format(reason=reason)))
        raise
    media_bytes = media.size if media and media.size else 0
    try:
        await _record_sent(session, row, result, media_bytes)
    except BaseException:
        # WuzAPI took the message: whatever broke our bookkeeping, the row must say sent.
        await _shielded(_record_sent_elsewhere(session, row.id, result, media_bytes))
        raise
    return Delivered(row, quota)


async def _save(session: AsyncSession, row: Message, **changes: object) -> None:
    """Apply `changes` to `row` and to its stored row, in one UPDATE: the send's row object is
    never the session's (the ORM's unit of work would cost more than the statements it runs)."""
    for name, value in changes.items():
        setattr(row, name, value)
    await session.exec(_UPDATE_MESSAGE, params={"message_id": row.id, **changes})


async def _pending(session: AsyncSession, message_id: str) -> Message | None:
    """The row if it is still pending, detached (so only `_save` writes it)."""
    row = await session.get(Message, message_id)
    if row is None or row.status != MessageStatus.PENDING:
        return None
    session.expunge(row)
    return row


async def _record_sent(session: AsyncSession, row: Message, result: wuzapi.SendResult, media_bytes: int) -> None:
    await _save(session, row, status=MessageStatus.SENT,
                whatsapp_message_id=result.message_id or row.whatsapp_message_id,
                sent_at=_sent_at(result.timestamp), updated_at=utcnow())
    await counters.increment(session, row.organization_id, row.instance_id, messages_sent=1, media_bytes=media_bytes)
    await bus.emit(session, MessageSent(organization_id=row.organization_id, instance_id=row.instance_id,
                                        message_id=row.id, data=MessageOut.of(row).wire()))
    await bus.commit_and_publish(session)


def _sent_at(timestamp: int | None) -> datetime:
    """WuzAPI's send time; ours when it gave none or one no datetime holds (the message went anyway)."""
    try:
        return datetime.fromtimestamp(timestamp, UTC) if timestamp else utcnow()
    except (ValueError, OverflowError, OSError):
        return utcnow()


async def _record_sent_elsewhere(broken: AsyncSession, message_id: str, result: wuzapi.SendResult,
                                 media_bytes: int) -> None:
    await broken.close()  # see _fail_elsewhere
    async with db.session() as session:
        row = await _pending(session, message_id)
        if row is not None:
            await _record_sent(session, row, result, media_bytes)


def sent_nothing(error: BaseException) -> bool:
    """True when a failed send certainly sent nothing: WuzAPI was never reached (so a retry is safe)."""
    return isinstance(error.__cause__, wuzapi.NotSent)


async def _shielded(work: Awaitable[None]) -> None:
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])  # cancelled again: finish the write anyway, then go on unwinding
        raise
    except Exception:
        log.exception("could not record the outcome of a send")


async def _fail_elsewhere(broken: AsyncSession, message_id: str, quota_day: date | None, error: str) -> None:
    # First end its transaction (it may hold SQLite's write lock). close(), not rollback(): the
    # caller's objects stay readable (detached) instead of expired.
    await broken.close()
    async with db.session() as session:
        row = await _pending(session, message_id)
        if row is not None:
            await _fail(session, row, quota_day, error)


_CODED_ERROR = re.compile(r"^([a-z_]+)(?::|$)")


def failure_code(error: str | None) -> str | None:
    """The stable code of a failed message's `error` (the text is English, for the API and logs):
    `gateway_timeout` when the outcome is unknown, else the code it starts with."""
    if not error:
        return None
    if error.startswith((TIMEOUT_ERROR, INTERRUPTED_ERROR.split("{", 1)[0])):
        return "gateway_timeout"
    coded = _CODED_ERROR.match(error)
    return coded.group(1) if coded else "message_failed"


def _failure_text(exc: wuzapi.WuzapiError) -> str:
    mapped = service_error(exc)
    return f"{mapped.code}: {exc.message}" if exc.message else mapped.code


async def _fail(session: AsyncSession, row: Message, quota_day: date | None, error: str) -> None:
    await _save(session, row, status=MessageStatus.FAILED, error=error[:500], updated_at=utcnow())
    await counters.give_back_daily_quota(session, row.organization_id, quota_day)
    await bus.emit(session, MessageFailed(organization_id=row.organization_id, instance_id=row.instance_id,
                                          message_id=row.id, data=MessageOut.of(row).wire()))
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


async def _call_gateway(token: str, prepared: PreparedSend, wamid: str) -> wuzapi.SendResult:
    gateway = get_gateway()
    message, phone, media = prepared.message, prepared.phone, prepared.media
    caption = message.caption or ""
    match message.type:
        case MessageType.TEXT:
            return await gateway.send_text(token, phone, message.text or "", message_id=wamid,
                                           reply_to=prepared.reply_to)
        case MessageType.LOCATION:
            return await gateway.send_location(token, phone, float(message.latitude or 0),
                                               float(message.longitude or 0), name=message.text or "",
                                               message_id=wamid)
    assert media is not None
    match message.type:
        case MessageType.IMAGE:
            return await gateway.send_image(token, phone, media.value, caption=caption, mime_type=media.mime,
                                            message_id=wamid)
        case MessageType.AUDIO:
            return await gateway.send_audio(token, phone, media.value, mime_type=media.mime, message_id=wamid)
        case MessageType.VIDEO:
            return await gateway.send_video(token, phone, media.value, caption=caption, mime_type=media.mime,
                                            message_id=wamid)
        case _:
            return await gateway.send_document(token, phone, media.value, message.file_name or "document",
                                               caption=caption, mime_type=media.mime, message_id=wamid)


async def list_messages(session: AsyncSession, organization_id: str | None, instance_id: str, *,
                        chat: str | None = None, cursor: str | None = None, limit: int = 50,
                        anonymous_session_id: str | None = None) -> tuple[list[Message], str | None]:
    """Newest first, both directions. `chat` is a phone number (any form) or a JID. Returns
    (page, next cursor or None); ids are time-ordered, so the cursor is `id < cursor`."""
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    query = select(Message).where(Message.instance_id == instance.id)
    if chat:
        query = query.where(Message.chat_jid == _chat_jid(chat))
    return await newest_first(session, query, Message.id, limit=limit, cursor=cursor)


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
        query = query.join(Instance, col(Instance.id) == Message.instance_id).where(
            col(Message.organization_id).is_(None), col(Instance.anonymous_session_id) == anonymous_session_id)
    else:
        raise NotFound("not_found")
    row = (await session.exec(query)).first()
    if row is None:
        raise NotFound("not_found")
    return row


async def mark_read(session: AsyncSession, actor: Actor | None, instance_id: str,
                    message_ids: list[str], *, anonymous_session_id: str | None = None) -> int:
    """Send read receipts for inbound messages (our ids). Returns how many were marked."""
    organization_id = acting_for(actor, "use")
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    if not message_ids:
        raise InvalidInput("message_ids_required")
    query = select(Message).where(Message.instance_id == instance.id, col(Message.id).in_(message_ids),
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
