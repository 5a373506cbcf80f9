"""WuzAPI events in: webhooks (form-encoded or JSON, HMAC-signed) and RabbitMQ messages.

Parsing is strict and happens before anything is written: a malformed event raises
`MalformedEvent` and stores nothing. Ingest is idempotent: a Message is keyed on its WhatsApp id
(unique per instance), receipts only move a status forward, instance events only emit on a change.

Instance events (Connected, Disconnected, LoggedOut, QR) carry no timestamp or nonce, so a signed
one can be replayed as is. They are treated as hints: the instance's live status is asked of
WuzAPI and that is what is applied (`instances.settle`), so a replayed Connected or LoggedOut
cannot flip an instance against what WuzAPI says.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import parse_qs

from sqlalchemy import Insert, bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import constant_time_equals
from livchat.core.db import table_of, utcnow
from livchat.core.events import DomainEvent, bus
from livchat.core.ids import new_id
from livchat.core.logging import get_logger
from livchat.models.enums import MessageDirection, MessageStatus, MessageType
from livchat.models.whatsapp import Instance, Message
from livchat.services.errors import MalformedEvent
from livchat.services.usage import counters
from livchat.services.whatsapp import instances
from livchat.services.whatsapp.events import (
    InstanceQrUpdated,
    MessageDelivered,
    MessageRead,
    MessageReceived,
    MessageSent,
)
from livchat.services.whatsapp.gateway import gateway_errors, get_gateway
from livchat.services.whatsapp.media import decode_inbound, store_media
from livchat.services.whatsapp.phones import bare_jid, jid_phone
from livchat.services.whatsapp.schemas import InstanceEventData, MessageOut

log = get_logger("ingest")

# whatsmeow message keys → our message type.
MEDIA_KEYS = {"imageMessage": MessageType.IMAGE, "stickerMessage": MessageType.IMAGE,
              "videoMessage": MessageType.VIDEO, "audioMessage": MessageType.AUDIO,
              "documentMessage": MessageType.DOCUMENT}
_STATUS_RANK: dict[str, int] = {MessageStatus.PENDING: 0, MessageStatus.FAILED: 0, MessageStatus.SENT: 1,
                MessageStatus.DELIVERED: 2, MessageStatus.READ: 3}


@dataclass(frozen=True)
class WuzapiEvent:
    """The inner event (`{"type", "event", …}`) and who it came from."""

    type: str
    payload: dict[str, Any]
    user_id: str = ""
    instance_name: str = ""
    # A Message's `base64` media, decoded once while parsing (None: not decoded here).
    media: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def event(self) -> Any:
        return self.payload.get("event")


@dataclass
class IngestResult:
    type: str
    stored: bool = False  # a new message row
    duplicate: bool = False
    updated: int = 0  # instance or message rows changed
    message_ids: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "stored": self.stored, "duplicate": self.duplicate, "updated": self.updated}


# --- parsing ------------------------------------------------------------------------------

def parse_webhook(body: bytes, content_type: str) -> WuzapiEvent:
    """A webhook body: form-encoded (`jsonData`, `userID`, `instanceName`) or JSON."""
    if "application/x-www-form-urlencoded" in (content_type or "").lower():
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise MalformedEvent("the form body could not be decoded") from None
        raw = fields.get("jsonData", [""])[0]
        if not raw:
            raise MalformedEvent("the form body has no jsonData field")
        inner = _json_object(raw.encode(), "jsonData")
        return _event(inner, fields.get("userID", [""])[0], fields.get("instanceName", [""])[0])
    payload = _json_object(body, "the body")
    return _event(payload, str(payload.get("userID", "")), str(payload.get("instanceName", "")))


def parse_queue_message(body: bytes) -> WuzapiEvent:
    """A RabbitMQ message: the inner event plus `userID`, `instanceName` (and `serverId`)."""
    payload = _json_object(body, "the message")
    user_id = str(payload.get("userID") or "")
    if not user_id:
        raise MalformedEvent("the message has no userID")
    return _event(payload, user_id, str(payload.get("instanceName", "")))


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        # NUL characters dropped from every string: PostgreSQL's text cannot hold them.
        value = json.loads(raw, object_pairs_hook=_without_nul)
    except (UnicodeDecodeError, ValueError):
        raise MalformedEvent(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise MalformedEvent(f"{what} is not a JSON object")
    return value


def _without_nul(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: _clean(value) for key, value in pairs}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _event(payload: dict[str, Any], user_id: str, instance_name: str) -> WuzapiEvent:
    kind = payload.get("type")
    if not isinstance(kind, str) or not kind:
        raise MalformedEvent("the event has no type")
    event = WuzapiEvent(kind, payload, user_id, instance_name)
    media = _check_shape(event)
    return event if media is None else replace(event, media=media)


def _check_shape(event: WuzapiEvent) -> bytes | None:
    """The fields each handled type needs, checked before anything is written; a Message's
    media bytes when it carries any (decoded here once, kept on the event)."""
    if event.type == "Message":
        info = event.event.get("Info") if isinstance(event.event, dict) else None
        if not isinstance(info, dict) or not isinstance(info.get("ID"), str) or not info["ID"]:
            raise MalformedEvent("Message event without event.Info.ID")
        if not isinstance(info.get("Chat"), str) or not info["Chat"]:
            raise MalformedEvent("Message event without event.Info.Chat")
        if not isinstance(event.event.get("Message"), dict):
            raise MalformedEvent("Message event without event.Message")
        if "base64" in event.payload:
            return decode_inbound(event.payload["base64"])
    elif event.type == "ReadReceipt":
        ids = event.event.get("MessageIDs") if isinstance(event.event, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise MalformedEvent("ReadReceipt event without event.MessageIDs")
    elif event.type == "PairSuccess":
        if not isinstance(event.event, dict) or not isinstance(event.event.get("ID"), str):
            raise MalformedEvent("PairSuccess event without event.ID")
    return None


# --- the instance an event is for -----------------------------------------------------------

@dataclass(frozen=True)
class InstanceRef:
    """The columns of an instance that checking a hook's signature and storing its messages and
    receipts need: read with one small query instead of loading the whole ORM object (events that
    change the instance itself load it, see `ingest`)."""

    id: str
    organization_id: str | None
    hmac_key_encrypted: str


_INSTANCES = table_of(Instance)
# Built once: executed with the id as a parameter, their cache keys and compiled forms are reused.
_REF_COLUMNS = (_INSTANCES.c.id, _INSTANCES.c.organization_id, _INSTANCES.c.hmac_key_encrypted)
_REF_BY_ID = select(*_REF_COLUMNS).where(_INSTANCES.c.id == bindparam("key"))
_REF_BY_USER = select(*_REF_COLUMNS).where(_INSTANCES.c.wuzapi_user_id == bindparam("key")).limit(1)


async def find_instance_ref(session: AsyncSession, instance_id: str) -> InstanceRef | None:
    """The instance a webhook names (unscoped: hooks authenticate by the instance's HMAC key)."""
    row = (await session.exec(_REF_BY_ID, params={"key": instance_id})).first()
    return InstanceRef(*row) if row is not None else None


async def find_instance_ref_by_user(session: AsyncSession, wuzapi_user_id: str) -> InstanceRef | None:
    """The instance of a queued event (its `userID` is the instance's WuzAPI user)."""
    row = (await session.exec(_REF_BY_USER, params={"key": wuzapi_user_id})).first()
    return InstanceRef(*row) if row is not None else None


# --- signatures ---------------------------------------------------------------------------

def signature_valid(key: str, body: bytes, signature: str | None) -> bool:
    """`x-hmac-signature`: lowercase hex HMAC-SHA256 of the raw body, compared in constant time."""
    expected = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    return constant_time_equals(expected, (signature or "").strip().lower())


def instance_signature_valid(instance: Instance | InstanceRef | None, body: bytes, signature: str | None) -> bool:
    """False for an unknown instance too, after the same amount of work (no existence oracle)."""
    key = instances.decrypted(instance.hmac_key_encrypted) if instance is not None else "x" * 43
    valid = signature_valid(key, body, signature)
    return valid and instance is not None


# --- processing ---------------------------------------------------------------------------

async def ingest(session: AsyncSession, instance: Instance | InstanceRef, event: WuzapiEvent) -> IngestResult:
    """Apply one event; commits and publishes the domain events (one commit). Safe to repeat."""
    events: list[DomainEvent] = []
    row_handler = _ROW_HANDLERS.get(event.type)
    instance_handler = _INSTANCE_HANDLERS.get(event.type)
    if row_handler is not None:  # messages and receipts: the instance's id and organization suffice
        result = await row_handler(session, instance, event, events)
    elif instance_handler is not None:  # events about the instance itself: its ORM object
        loaded = instance if isinstance(instance, Instance) else await session.get(Instance, instance.id)
        if loaded is None:
            return IngestResult(event.type)  # deleted since the signature was checked
        result = await instance_handler(session, loaded, event, events)
    else:
        return IngestResult(event.type)  # an event type we do not use: accepted, ignored
    for domain_event in events:
        await bus.emit(session, domain_event)
    await bus.commit_and_publish(session)
    return result


async def _on_message(session: AsyncSession, instance: Instance | InstanceRef, event: WuzapiEvent,
                      events: list[DomainEvent]) -> IngestResult:
    info: dict[str, Any] = event.event["Info"]
    wamid: str = info["ID"]
    result = IngestResult(event.type)
    content = _content(event.event["Message"])
    if content is None:  # reactions, protocol messages, contacts, …: not stored
        existing_id = await _message_id_by_wamid(session, instance.id, wamid)
        if existing_id is not None:  # the echo of one of our own sends of such a kind
            result.duplicate = True
            result.message_ids = [existing_id]
        return result
    from_me = bool(info.get("IsFromMe"))
    chat = str(info["Chat"])
    sender = str(info.get("Sender") or chat)
    now = utcnow()
    values: dict[str, Any] = {
        **_EMPTY_MESSAGE,
        "id": new_id("msg"), "organization_id": instance.organization_id, "instance_id": instance.id,
        "direction": MessageDirection.OUTBOUND if from_me else MessageDirection.INBOUND,
        "chat_jid": bare_jid(chat),
        "phone": jid_phone(chat) or jid_phone(sender) or jid_phone(str(info.get("SenderAlt") or "")),
        "push_name": (str(info.get("PushName") or "") or None) if not from_me else None,
        "whatsapp_message_id": wamid, "status": MessageStatus.SENT if from_me else MessageStatus.RECEIVED,
        "sent_at": _timestamp(info.get("Timestamp")), "created_at": now, "updated_at": now, **content,
    }
    media = event.media
    if media is None:  # an event not built by parse_webhook / parse_queue_message
        media = decode_inbound(event.payload["base64"]) if "base64" in event.payload else b""
    if media:
        values["media_size"] = len(media)
        values["media_mime"] = values["media_mime"] or str(event.payload.get("mimeType") or "") or None
    elif isinstance(event.payload.get("s3"), dict):
        values["media_url"] = str(event.payload["s3"].get("url") or "") or None
    # One statement, no SELECT first: a WhatsApp id already stored (a replay, the echo of our own
    # send, or the same event ingested concurrently: PostgreSQL waits for the other transaction)
    # inserts nothing and returns no row. A Core insert: the row object is not needed afterwards.
    inserted = (await session.exec(_insert_message(session), params=values)).first()
    if inserted is None:
        result.duplicate = True
        existing_id = await _message_id_by_wamid(session, instance.id, wamid)
        result.message_ids = [existing_id] if existing_id is not None else []
        return result
    message_id: str = values["id"]
    if media:
        await store_media(instance.organization_id, message_id, media, values["media_mime"])
    await counters.increment(session, instance.organization_id, instance.id, messages_sent=int(from_me),
                             messages_received=int(not from_me), media_bytes=len(media))  # zeros are skipped
    event_type = MessageSent if from_me else MessageReceived
    # MessageOut reads the row's attributes: the values just inserted stand in for the row.
    row = cast(Message, SimpleNamespace(**values))
    events.append(event_type(organization_id=instance.organization_id, instance_id=instance.id,
                             message_id=message_id, data=MessageOut.of(row).wire()))
    result.stored = True
    result.message_ids = [message_id]
    return result


_MESSAGES = table_of(Message)
# Every column, so the values of an inserted message are the whole row (and one compiled INSERT serves).
_EMPTY_MESSAGE: dict[str, Any] = {column.name: None for column in _MESSAGES.columns}


def _insert_if_new(insert: Any) -> Insert:
    statement: Insert = insert(_MESSAGES).on_conflict_do_nothing(
        index_elements=["instance_id", "whatsapp_message_id"]).returning(_MESSAGES.c.id)
    return statement


# Built once: executed with the row as parameters, its cache key and compiled form are reused.
_INSERT_IF_NEW = {"postgresql": _insert_if_new(postgresql.insert), "sqlite": _insert_if_new(sqlite.insert)}


def _insert_message(session: AsyncSession) -> Insert:
    return _INSERT_IF_NEW[session.get_bind().dialect.name]


def _content(message: dict[str, Any]) -> dict[str, Any] | None:
    """Message columns from a waE2E.Message; None for kinds we do not store."""
    if isinstance(message.get("conversation"), str):
        return {"type": MessageType.TEXT, "text": message["conversation"]}
    extended = message.get("extendedTextMessage")
    if isinstance(extended, dict):
        context = extended.get("contextInfo")
        context = context if isinstance(context, dict) else {}
        return {"type": MessageType.TEXT, "text": str(extended.get("text") or ""),
                "reply_to": str(context.get("stanzaID") or "") or None}
    for key, kind in MEDIA_KEYS.items():
        media = message.get(key)
        if isinstance(media, dict):
            return {"type": kind, "caption": str(media.get("caption") or "") or None,
                    "media_mime": str(media.get("mimetype") or "") or None,
                    "media_size": _size(media.get("fileLength")),
                    "file_name": str(media.get("fileName") or "") or None}
    location = message.get("locationMessage")
    if isinstance(location, dict):
        return {"type": MessageType.LOCATION, "latitude": _float(location.get("degreesLatitude")),
                "longitude": _float(location.get("degreesLongitude")),
                "text": str(location.get("name") or "") or None}
    return None


MAX_MEDIA_SIZE = 2**53  # a fileLength beyond any real file (and beyond a BIGINT) is not kept


def _size(value: Any) -> int | None:
    """whatsmeow's fileLength (a number, or digits in a string); None when absent or absurd."""
    if isinstance(value, bool) or not isinstance(value, int | float | str) or not str(value).isdigit():
        return None
    size = int(str(value))
    return size if size <= MAX_MEDIA_SIZE else None


def _float(value: Any) -> float | None:
    """A finite number, else None (NaN or infinite coordinates are no location)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _timestamp(value: Any) -> datetime:
    """WuzAPI's RFC 3339 time in UTC (one with no offset is taken as UTC); ours when it is
    missing, zero (0001-01-01) or not a time a database column holds."""
    if isinstance(value, str) and value and not value.startswith("0001-"):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        except (ValueError, OverflowError):
            pass
    return utcnow()


async def _message_id_by_wamid(session: AsyncSession, instance_id: str, wamid: str) -> str | None:
    query = select(Message.id).where(Message.instance_id == instance_id, Message.whatsapp_message_id == wamid)
    return (await session.exec(query)).first()


async def _on_receipt(session: AsyncSession, instance: Instance | InstanceRef, event: WuzapiEvent,
                      events: list[DomainEvent]) -> IngestResult:
    result = IngestResult(event.type)
    state = event.payload.get("state")
    target = {"Delivered": MessageStatus.DELIVERED, "Read": MessageStatus.READ}.get(str(state))
    ids = event.event["MessageIDs"]
    if target is None or not ids:
        return result  # ReadSelf and other receipts are not about our sends
    now = utcnow()
    # One conditional UPDATE … RETURNING: a receipt never moves a status backwards (or repeats),
    # and the condition is the database's, so concurrent receipts cannot undo one another.
    not_behind = [status for status, rank in _STATUS_RANK.items() if rank >= _STATUS_RANK[target]]
    statement = (
        update(_MESSAGES)
        .where(_MESSAGES.c.instance_id == instance.id, _MESSAGES.c.direction == MessageDirection.OUTBOUND,
               _MESSAGES.c.whatsapp_message_id.in_(ids), _MESSAGES.c.status.not_in(not_behind))
        .values(status=target, error=None, updated_at=now,
                delivered_at=now if target == MessageStatus.DELIVERED else func.coalesce(_MESSAGES.c.delivered_at, now),
                **({"read_at": now} if target == MessageStatus.READ else {}))
        .returning(*_MESSAGES.columns)
    )
    event_type = MessageRead if target == MessageStatus.READ else MessageDelivered
    for row in (await session.exec(statement)).all():
        events.append(event_type(organization_id=instance.organization_id, instance_id=instance.id,
                                 message_id=row.id, data=MessageOut.of(cast(Message, row)).wire()))
        result.updated += 1
        result.message_ids.append(row.id)
    return result


async def _on_pair_success(session: AsyncSession, instance: Instance, event: WuzapiEvent,
                           events: list[DomainEvent]) -> IngestResult:
    """The phone scanned the code. The pairing itself is taken from WuzAPI's status when Connected
    follows; only the business name is kept from here."""
    result = IngestResult(event.type)
    business = event.event.get("BusinessName")
    if isinstance(business, str) and business and business != instance.whatsapp_name:
        instance.whatsapp_name = business
        instance.updated_at = utcnow()
        result.updated = 1
    return result


async def _on_instance(session: AsyncSession, instance: Instance, event: WuzapiEvent,
                       events: list[DomainEvent]) -> IngestResult:
    """Connected, Disconnected, LoggedOut, QR: confirmed with WuzAPI's live status first."""
    result = IngestResult(event.type)
    token = instances.wuzapi_token(instance)
    await session.commit()  # only reads so far: hold no transaction while WuzAPI answers
    with gateway_errors():  # unreachable: the event fails and WuzAPI (or the queue) delivers it again
        live = await get_gateway().status(token)
    waiting = live.connected and not live.logged_in
    decide: instances.Decide
    if event.type == "LoggedOut" and not live.logged_in:
        decide = instances.logged_out
    elif event.type == "QR" and not waiting:
        return result  # not showing codes (linked, or no session): a stale or replayed code
    else:
        decide = instances.observed(live)
    before = (instance.status, instance.logged_in, instance.whatsapp_jid)
    await instances.settle(session, instance, decide)
    result.updated = int(before != (instance.status, instance.logged_in, instance.whatsapp_jid))
    if event.type == "QR":
        code = event.payload.get("qrCodeBase64")
        data = InstanceEventData.of(instance, qr_code=code if isinstance(code, str) else "")
        events.append(InstanceQrUpdated(organization_id=instance.organization_id, instance_id=instance.id,
                                        data=data.wire()))
    return result


_ROW_HANDLERS = {"Message": _on_message, "ReadReceipt": _on_receipt}
_INSTANCE_HANDLERS = {"PairSuccess": _on_pair_success, "Connected": _on_instance, "Disconnected": _on_instance,
                      "LoggedOut": _on_instance, "QR": _on_instance}
