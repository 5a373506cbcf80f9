"""Rows for the WhatsApp analytics tests and the bench: instances, usage counters, outbound
messages with their status timestamps, webhook deliveries with their latency — written as the
services leave them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from livchat.core.crypto import encrypt
from livchat.core.db import db
from livchat.core.ids import new_id
from livchat.models import Message, WebhookDelivery, WebhookEndpoint
from livchat.models.enums import DeliveryStatus, MessageDirection, MessageStatus
from livchat.services.usage import counters
from tests.factories import make_instance


async def add_instance(organization_id: str, name: str) -> str:
    """An instance with its webhook endpoint (deliveries need one)."""
    async with db.session() as session:
        instance = make_instance(organization_id, name=name)
        session.add(instance)
        await session.flush()
        session.add(WebhookEndpoint(id=f"whe_{instance.id}", organization_id=organization_id, instance_id=instance.id,
                                    url="https://example.com/hook", events=["message.received"],
                                    secret_encrypted=encrypt("whsec_cHJvYmU="), secret_prefix="whsec_cHJv"))
        await session.commit()
        return instance.id


async def add_usage(organization_id: str, instance_id: str, day: date, **values: int) -> None:
    async with db.session() as session:
        await counters.increment(session, organization_id, instance_id, day=day, **values)
        await session.commit()


def outbound(organization_id: str, instance_id: str, at: datetime, status: str = MessageStatus.SENT,
             direction: str = MessageDirection.OUTBOUND) -> Message:
    """A message sent at `at`; delivered a second later when `status` is delivered or read, read after two."""
    return Message(id=new_id("msg"), organization_id=organization_id, instance_id=instance_id, direction=direction,
                   chat_jid="5511912345678@s.whatsapp.net", phone="5511912345678", type="text", text="hi",
                   status=status, sent_at=at, created_at=at,
                   delivered_at=at + timedelta(seconds=1) if status in (MessageStatus.DELIVERED, MessageStatus.READ)
                   else None,
                   read_at=at + timedelta(seconds=2) if status == MessageStatus.READ else None)


def delivery(organization_id: str, instance_id: str, at: datetime, latency_seconds: float | None,
             status: str = DeliveryStatus.DELIVERED) -> WebhookDelivery:
    """A webhook delivery created at `at`, posted `latency_seconds` later (None: never attempted)."""
    return WebhookDelivery(
        id=new_id("dlv"), organization_id=organization_id, endpoint_id=f"whe_{instance_id}", instance_id=instance_id,
        event_id=new_id("evt"), event_type="message.received", payload="{}", status=status,
        attempts=0 if latency_seconds is None else 1, created_at=at, updated_at=at,
        last_attempt_at=None if latency_seconds is None else at + timedelta(seconds=latency_seconds))


async def add_rows(*rows: Message | WebhookDelivery) -> None:
    async with db.session() as session:
        session.add_all(rows)
        await session.commit()
