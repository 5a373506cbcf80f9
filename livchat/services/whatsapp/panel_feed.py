"""What the landing page's test panel shows a visitor of their own connection: the webhook
deliveries a developer would receive, built and signed exactly as the dispatcher builds and signs
them (`outbox.event_payload`, `signing.signed_headers`), with a demo secret of the visitor's
session that the panel shows, so the visitor can check a signature before signing up.

Anonymous instances have no webhook endpoint and no delivery rows: nothing is posted anywhere;
these previews only travel to the visitor's own panel.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core import crypto
from livchat.core.db import utcnow
from livchat.models import Instance
from livchat.services.schemas import rfc3339_ms
from livchat.services.webhooks.outbox import event_payload
from livchat.services.webhooks.signing import SECRET_PREFIX, signed_headers
from livchat.services.whatsapp import events as ev

# What a developer subscribes to and the panel lists (QR rotations move the QR code instead).
FEED_EVENTS: tuple[type[ev.WhatsAppEvent], ...] = (
    ev.MessageReceived, ev.MessageSent, ev.MessageDelivered, ev.MessageRead, ev.MessageFailed,
    ev.InstanceConnected, ev.InstanceDisconnected, ev.InstanceLoggedOut,
)
TEXT_CHARS = 1000


def demo_secret(anonymous_session_id: str) -> str:
    """The session's demo signing secret (`whsec_…`, as real endpoints get), derived from the
    master key: stable for the session, nothing stored, worthless for anything else."""
    digest = base64.urlsafe_b64decode(crypto.sign("test-panel-demo-webhook", anonymous_session_id) + "=")
    return SECRET_PREFIX + base64.b64encode(digest).decode()


@dataclass(frozen=True)
class PanelInstance:
    """The anonymous owner of an instance and what the panel shows of it."""

    anonymous_session_id: str
    connected: bool
    number: str
    name: str


async def panel_instance(session: AsyncSession, instance_id: str) -> PanelInstance | None:
    """The test-panel view of an instance; None when it belongs to an organization (or is gone)."""
    instance = await session.get(Instance, instance_id)
    if instance is None or instance.organization_id is not None or instance.anonymous_session_id is None:
        return None
    return PanelInstance(
        anonymous_session_id=instance.anonymous_session_id,
        connected=instance.status == "connected" and instance.logged_in,
        number=(instance.whatsapp_jid or "").split("@")[0].split(":")[0],
        name=instance.whatsapp_name or "",
    )


def delivery_preview(event: ev.WhatsAppEvent, secret: str, *, now: datetime | None = None) -> dict[str, str]:
    """One delivery as the endpoint would receive it: the signed headers and the raw body (the
    exact bytes the signatures cover), plus what a person reads first (who, what)."""
    body = event_payload(event.id, event.webhook_type, event.instance_id, event.occurred_at, event.data)
    sent_at = now or utcnow()
    headers = signed_headers([secret], event.id, int(sent_at.timestamp()), body.encode())
    data = event.data or {}
    text = data.get("text") or data.get("caption") or ""
    return {
        "id": event.id,
        "type": event.webhook_type,
        "time": rfc3339_ms(event.occurred_at),
        "direction": str(data.get("direction") or ""),
        "phone": str(data.get("phone") or ""),
        "text": str(text)[:TEXT_CHARS],
        "webhook_id": headers["webhook-id"],
        "webhook_timestamp": headers["webhook-timestamp"],
        "webhook_signature": headers["webhook-signature"],
        "x_hmac_signature": headers["x-hmac-signature"],
        "headers": "\n".join(f"{name}: {value}" for name, value in headers.items()),
        "body": body,
    }
