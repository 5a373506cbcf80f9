"""Domain events of the WhatsApp gateway. `webhook_type` is the event name customers see in
webhooks (API.md); `data` is the JSON-ready, camelCase `data` object of that webhook."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from livchat.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class WhatsAppEvent(DomainEvent):
    webhook_type: ClassVar[str] = ""
    instance_id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class MessageReceived(WhatsAppEvent):
    webhook_type: ClassVar[str] = "message.received"
    message_id: str


@dataclass(frozen=True, kw_only=True)
class MessageSent(WhatsAppEvent):
    webhook_type: ClassVar[str] = "message.sent"
    message_id: str


@dataclass(frozen=True, kw_only=True)
class MessageDelivered(WhatsAppEvent):
    webhook_type: ClassVar[str] = "message.delivered"
    message_id: str


@dataclass(frozen=True, kw_only=True)
class MessageRead(WhatsAppEvent):
    webhook_type: ClassVar[str] = "message.read"
    message_id: str


@dataclass(frozen=True, kw_only=True)
class MessageFailed(WhatsAppEvent):
    webhook_type: ClassVar[str] = "message.failed"
    message_id: str


@dataclass(frozen=True, kw_only=True)
class InstanceConnected(WhatsAppEvent):
    webhook_type: ClassVar[str] = "instance.connected"


@dataclass(frozen=True, kw_only=True)
class InstanceDisconnected(WhatsAppEvent):
    webhook_type: ClassVar[str] = "instance.disconnected"


@dataclass(frozen=True, kw_only=True)
class InstanceLoggedOut(WhatsAppEvent):
    webhook_type: ClassVar[str] = "instance.logged_out"


@dataclass(frozen=True, kw_only=True)
class InstanceQrUpdated(WhatsAppEvent):
    webhook_type: ClassVar[str] = "instance.qr_updated"


WEBHOOK_EVENT_TYPES: list[str] = [
    cls.webhook_type
    for cls in (MessageReceived, MessageSent, MessageDelivered, MessageRead, MessageFailed,
                InstanceConnected, InstanceDisconnected, InstanceLoggedOut, InstanceQrUpdated)
]
