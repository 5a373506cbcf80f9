"""`/api/v1/instances/{id}/messages` and `/api/v1/messages/{id}` (API.md "Messages")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.api import tenancy
from livchat.api.ratelimit import enforce
from livchat.api.v1.auth import Caller
from livchat.api.v1.common import CamelModel, Cursor, Limit, idempotent
from livchat.core.crypto import encrypt, new_token
from livchat.core.db import db
from livchat.core.ids import new_id
from livchat.models import Instance, Message
from livchat.models.enums import MessageDirection, MessageStatus
from livchat.services import instances, messaging
from livchat.services.limits import get_rate_limits

router = APIRouter(tags=["messages"])


class SendMessage(CamelModel):
    to: str = Field(examples=["+55 11 91234-5678"], description="Any common form; normalised to E.164 digits.")
    type: str = Field(default="text", description="text | image | audio | video | document | location")
    text: str | None = Field(default=None, examples=["Hello from LivChat"])
    media_url: str | None = None
    media_base64: str | None = Field(default=None, description="Raw base64 or a data: URL.")
    mime_type: str | None = None
    file_name: str | None = None
    caption: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    reply_to: str | None = Field(default=None, description="Our id or the WhatsApp id of the quoted message.")


class SentOut(CamelModel):
    id: str
    whatsapp_message_id: str | None
    status: str
    timestamp: str | None


class MessageOut(CamelModel):
    id: str
    instance_id: str
    whatsapp_message_id: str | None
    direction: str
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
    timestamp: str | None
    sent_at: str | None = None
    delivered_at: str | None = None
    read_at: str | None = None


class MessagePage(CamelModel):
    data: list[MessageOut]
    next_cursor: str | None


@router.post("/instances/{instance_id}/messages", status_code=201, response_model=SentOut, summary="Send a message",
             responses={422: {"description": "`invalid_phone`, `validation_error`, `unsupported_media_type`"},
                        409: {"description": "`instance_not_connected`"},
                        429: {"description": "`rate_limited` (sends per second) or `quota_exceeded` (free plan's day)"}},
             openapi_extra={tenancy.PROBE_BODY: {"to": "+55 11 91234-5678", "type": "text", "text": "hi"}})
async def send(caller: Caller, instance_id: str, body: SendMessage, request: Request) -> Response:
    org = caller.organization

    async def produce() -> JSONResponse:
        async with db.session() as session:
            instance = await instances.get_instance(session, org.id, instance_id)  # 404 before any limit
            limiter = get_rate_limits()
            enforce(request, await limiter.send(instance.id, org.plan))
            enforce(request, await limiter.daily_message(org.id, org.plan), "quota_exceeded",
                    "The free plan's 50 messages a day are used up; upgrade or wait for the reset.")
            row = await messaging.send_message(session, org.id, instance.id, messaging.OutgoingMessage(
                **body.model_dump(exclude_none=True)))
            data = messaging.message_data(row)
            sent = {"id": row.id, "whatsappMessageId": row.whatsapp_message_id, "status": row.status,
                    "timestamp": data["timestamp"]}
            return JSONResponse(sent, status_code=201)

    return await idempotent(request, org.id, produce)


@router.get("/instances/{instance_id}/messages", response_model=MessagePage, summary="Message history, newest first")
async def history(caller: Caller, instance_id: str, limit: Limit = 50, cursor: Cursor = None,
                  chat: str | None = Query(default=None, description="Phone number (any form) or JID")) -> dict[str, Any]:
    async with db.session() as session:
        rows, next_cursor = await messaging.list_messages(session, caller.organization.id, instance_id,
                                                          chat=chat, cursor=cursor, limit=limit)
    return {"data": [messaging.message_data(r) for r in rows], "nextCursor": next_cursor}


@router.get("/messages/{message_id}", response_model=MessageOut, summary="One message with its delivery status")
async def get_message(caller: Caller, message_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return messaging.message_data(await messaging.get_message(session, caller.organization.id, message_id))


@tenancy.id_factory("message_id")
async def _message_in(session: AsyncSession, organization_id: str) -> str:
    instance = Instance(id=new_id("inst"), organization_id=organization_id, name="probe",
                        wuzapi_token_encrypted=encrypt(new_token()), hmac_key_encrypted=encrypt(new_token()))
    session.add(instance)
    await session.flush()
    message = Message(id=new_id("msg"), organization_id=organization_id, instance_id=instance.id,
                      direction=MessageDirection.INBOUND, chat_jid="5511912345678@s.whatsapp.net",
                      phone="5511912345678", type="text", text="probe", status=MessageStatus.RECEIVED)
    session.add(message)
    await session.flush()
    return message.id
