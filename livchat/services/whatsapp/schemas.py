"""Wire shapes of WhatsApp instances and messages (API.md "Instances", "Messages", the test
panel), and of the `data` of the `instance.*` and `message.*` webhooks: the API's responses,
the webhook payloads and the dashboard all read these models."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from livchat.models.whatsapp import Instance, Message
from livchat.services.schemas import CamelModel, Example, Timestamp
from livchat.services.webhooks.schemas import InstanceWebhook
from livchat.services.whatsapp.events import WEBHOOK_EVENT_TYPES

# --- instances ------------------------------------------------------------------------------

_INSTANCE_EXAMPLE: Example = {
    "id": "inst_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E", "name": "Sales", "status": "connected",
    "whatsappJid": "5511912345678@s.whatsapp.net", "whatsappName": "Acme Sales",
    "webhook": {"url": "https://example.com/hooks/whatsapp", "events": ["message.received"], "active": True,
                "secretPrefix": "whsec_AbCd", "pausedAt": None, "failingSince": None},
    "createdAt": "2026-01-15T12:00:00Z", "lastConnectedAt": "2026-01-15T12:03:10Z", "agentEnabled": False,
}


class InstanceOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_INSTANCE_EXAMPLE]})

    id: str
    name: str
    status: str = Field(description="disconnected | connecting | connected")
    whatsapp_jid: str | None
    whatsapp_name: str | None
    webhook: InstanceWebhook | None = Field(description="The instance's webhook endpoint, or null.")
    created_at: Timestamp
    last_connected_at: Timestamp | None
    agent_enabled: bool = Field(default=False, description=(
        "AI answers this number: its inbound messages become conversations in the support inbox, answered by "
        "the AI agent (set with PUT /api/v1/instances/{id}/agent)."))

    @classmethod
    def of(cls, instance: Instance, webhook: InstanceWebhook | None) -> InstanceOut:
        return cls(id=instance.id, name=instance.name, status=instance.status, whatsapp_jid=instance.whatsapp_jid,
                   whatsapp_name=instance.whatsapp_name, webhook=webhook, created_at=instance.created_at,
                   last_connected_at=instance.last_connected_at, agent_enabled=instance.agent_enabled)


class InstancePage(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [_INSTANCE_EXAMPLE], "nextCursor": None}]})

    data: list[InstanceOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class StatusOut(CamelModel):
    """An instance's live connection."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"connected": True, "loggedIn": True, "whatsappJid": "5511912345678@s.whatsapp.net"}]})

    connected: bool
    logged_in: bool
    whatsapp_jid: str | None

    @property
    def linked(self) -> bool:
        return self.connected and self.logged_in


class ConnectOut(StatusOut):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"connected": True, "loggedIn": False, "whatsappJid": None, "status": "connecting", "qrAvailable": True}]})

    status: str = Field(description="connecting | connected")
    qr_available: bool

    @classmethod
    def of(cls, live: StatusOut) -> ConnectOut:
        return cls(**live.model_dump(), status="connected" if live.linked else "connecting",
                   qr_available=not live.logged_in)


class QrOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"qrCode": "data:image/png;base64,iVBORw0KGgo...", "expiresIn": 20}]})

    qr_code: str = Field(description="data:image/png;base64,…")
    expires_in: int = Field(description="Seconds until the code rotates.")


class PairingOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"pairingCode": "ABCD-EFGH", "expiresIn": 160}]})

    pairing_code: str = Field(examples=["ABCD-EFGH"])
    expires_in: int


# --- messages -------------------------------------------------------------------------------

class SentOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": "msg_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E", "whatsappMessageId": "3EB0A1B2C3D4E5F6A7B8C9",
         "status": "sent", "timestamp": "2026-01-15T12:05:00Z"}]})

    id: str
    whatsapp_message_id: str | None
    status: str
    timestamp: Timestamp | None

    @classmethod
    def of(cls, row: Message) -> SentOut:
        return cls(id=row.id, whatsapp_message_id=row.whatsapp_message_id, status=row.status,
                   timestamp=row.sent_at or row.created_at)


_MESSAGE_EXAMPLE: Example = {
    "id": "msg_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E", "instanceId": "inst_01JD8Z6Q3W4X5Y6Z7A8B9C0D1A",
    "whatsappMessageId": "3EB0A1B2C3D4E5F6A7B8C9", "direction": "outbound",
    "chatJid": "5511912345678@s.whatsapp.net", "phone": "5511912345678", "type": "text",
    "text": "Your order has shipped", "caption": None, "mediaUrl": None, "mimeType": None, "mediaSize": None,
    "fileName": None, "latitude": None, "longitude": None, "replyTo": None, "pushName": None, "status": "read",
    "error": None, "timestamp": "2026-01-15T12:05:00Z", "sentAt": "2026-01-15T12:05:00Z",
    "deliveredAt": "2026-01-15T12:05:02Z", "readAt": "2026-01-15T12:06:30Z",
}


class MessageOut(CamelModel):
    """A message: the API's message object and the `data` of every `message.*` webhook."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MESSAGE_EXAMPLE]})

    id: str
    instance_id: str
    whatsapp_message_id: str | None
    direction: str = Field(description="inbound | outbound")
    chat_jid: str
    phone: str | None
    type: str
    text: str | None = None
    caption: str | None = None
    media_url: str | None = None
    mime_type: str | None = None
    media_size: int | None = None
    file_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    reply_to: str | None = None
    push_name: str | None = None
    status: str = Field(description="pending | sent | delivered | read | failed | received")
    error: str | None = None
    timestamp: Timestamp | None
    sent_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
    read_at: Timestamp | None = None

    @classmethod
    def of(cls, row: Message) -> MessageOut:
        return cls(
            id=row.id, instance_id=row.instance_id, whatsapp_message_id=row.whatsapp_message_id,
            direction=row.direction, chat_jid=row.chat_jid, phone=row.phone, type=row.type, text=row.text,
            caption=row.caption, media_url=row.media_url, mime_type=row.media_mime, media_size=row.media_size,
            file_name=row.file_name, latitude=row.latitude, longitude=row.longitude, reply_to=row.reply_to,
            push_name=row.push_name, status=row.status, error=row.error, timestamp=row.sent_at or row.created_at,
            sent_at=row.sent_at, delivered_at=row.delivered_at, read_at=row.read_at)


class MessagePage(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [_MESSAGE_EXAMPLE], "nextCursor": None}]})

    data: list[MessageOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


# --- webhooks of instances and messages ---------------------------------------------------------

class InstanceEventData(CamelModel):
    """The `data` of every `instance.*` webhook."""

    instance_id: str
    status: str = Field(description="disconnected | connecting | connected")
    logged_in: bool
    whatsapp_jid: str | None
    qr_code: str | None = Field(default=None, exclude_if=lambda code: code is None,
                                description="instance.qr_updated only: data:image/png;base64,…")

    @classmethod
    def of(cls, instance: Instance, qr_code: str | None = None) -> InstanceEventData:
        return cls(instance_id=instance.id, status=instance.status, logged_in=instance.logged_in,
                   whatsapp_jid=instance.whatsapp_jid, qr_code=qr_code)


MESSAGE_EVENTS = [t for t in WEBHOOK_EVENT_TYPES if t.startswith("message.")]
INSTANCE_EVENTS = [t for t in WEBHOOK_EVENT_TYPES if t.startswith("instance.")]
_INSTANCE_ID = "inst_01JD8Z6Q3W4X5Y6Z7A8B9C0D1A"


class _Event(CamelModel):
    id: str = Field(description="evt_…; also the `webhook-id` header, the same on every retry: deduplicate on it.")
    instance_id: str
    timestamp: str = Field(description="RFC 3339 UTC, when it happened.")


class MessageEvent(_Event):
    """What your endpoint receives for a `message.*` event."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "evt_01JD8Z7R2M3N4P5Q6R7S8T9V0W", "type": "message.received", "instanceId": _MESSAGE_EXAMPLE["instanceId"],
        "timestamp": "2026-01-15T12:07:00Z",
        "data": {**_MESSAGE_EXAMPLE, "direction": "inbound", "status": "received"}}]})

    type: str = Field(description=" | ".join(MESSAGE_EVENTS))
    data: MessageOut


class InstanceEvent(_Event):
    """What your endpoint receives for an `instance.*` event."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "evt_01JD8Z7R2M3N4P5Q6R7S8T9V0X", "type": "instance.connected", "instanceId": _INSTANCE_ID,
        "timestamp": "2026-01-15T12:03:10Z", "data": {"instanceId": _INSTANCE_ID, "status": "connected",
                                                      "loggedIn": True,
                                                      "whatsappJid": "5511912345678@s.whatsapp.net"}}]})

    type: str = Field(description=" | ".join(INSTANCE_EVENTS))
    data: InstanceEventData


# --- the landing page's test panel (/api/public) ----------------------------------------------------

class PanelSessionOut(CamelModel):
    anonymous_id: str
    anonymous_token: str
    expires_at: Timestamp


class PanelConnectOut(CamelModel):
    status: str = Field(description="connecting | connected")
    qr_available: bool

    @classmethod
    def of(cls, live: StatusOut) -> PanelConnectOut:
        return cls(status="connected" if live.linked else "connecting", qr_available=not live.linked)


class PanelStatusOut(CamelModel):
    connected: bool
    logged_in: bool
    whatsapp_jid: str | None = Field(default=None, exclude_if=lambda jid: not jid,
                                     description="Only once a phone is linked.")
    messages_remaining: int


class PanelMessageOut(CamelModel):
    success: bool
    message_id: str
    timestamp: Timestamp | None

    @classmethod
    def of(cls, row: Message) -> PanelMessageOut:
        return cls(success=True, message_id=row.id, timestamp=row.sent_at or row.created_at)
