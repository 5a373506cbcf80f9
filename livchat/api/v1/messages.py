"""`/api/v1/instances/{id}/messages` and `/api/v1/messages/{id}` (API.md "Messages")."""

from __future__ import annotations

from fastapi import Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field

from livchat.api import tenancy
from livchat.api.json_body import api_router
from livchat.api.ratelimit import record, refused
from livchat.api.v1.auth import Caller
from livchat.api.v1.common import (
    Attempt,
    CamelModel,
    Cursor,
    IdempotencyKeyHeader,
    Limit,
    idempotent,
)
from livchat.core.db import db
from livchat.services.usage.limits import RateLimited
from livchat.services.whatsapp import messaging
from livchat.services.whatsapp.schemas import MessageOut, MessagePage, SentOut

router = api_router(tags=["messages"])


class SendMessage(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"to": "+55 11 91234-5678", "type": "text", "text": "Your order has shipped"},
        {"to": "5511912345678", "type": "image", "mediaUrl": "https://example.com/receipt.png", "caption": "Receipt"},
        {"to": "5511912345678", "type": "audio", "mediaBase64": "T2dnUwACAAAAAAAAAAA...",
         "mimeType": "audio/ogg; codecs=opus"},
        {"to": "5511912345678", "type": "location", "latitude": -23.5505, "longitude": -46.6333, "text": "Sé"},
    ]})

    to: str = Field(examples=["+55 11 91234-5678"], description="Any common form; normalised to E.164 digits.")
    type: str = Field(default="text", description="text | image | audio | video | document | location")
    text: str | None = Field(default=None, examples=["Hello from LivChat"],
                             description="The text (type text), or the place's name (type location).")
    media_url: str | None = Field(default=None, description=(
        "http(s) URL of the media; fetched by LivChat (public addresses only, same size and type rules as "
        "mediaBase64). Exactly one of mediaUrl and mediaBase64."))
    media_base64: str | None = Field(default=None, description="Raw base64 (with mimeType) or a data: URL.")
    mime_type: str | None = Field(default=None, examples=["audio/ogg; codecs=opus"],
                                  description="Image: jpeg, png, webp (5 MB). Audio: ogg, mpeg, mp4, aac, amr, opus; "
                                              "video: mp4, 3gpp (16 MB). Documents: any type (100 MB).")
    file_name: str | None = Field(default=None, description="Required for documents.")
    caption: str | None = Field(default=None, max_length=1024)
    latitude: float | None = Field(default=None, description="-90 to 90, not exactly 0 (WhatsApp refuses it).")
    longitude: float | None = Field(default=None, description="-180 to 180, not exactly 0.")
    reply_to: str | None = Field(default=None, description="Our id or the WhatsApp id of the quoted message.")


@router.post("/instances/{instance_id}/messages", status_code=201, response_model=SentOut, summary="Send a message",
             responses={
                 409: {"description": "`instance_not_connected`, or `idempotency_in_progress` (see Retry-After)"},
                 413: {"description": "`media_too_large`: mediaBase64 over its type's size"},
                 422: {"description": "`invalid_phone`, `validation_error`, `unsupported_media_type`, "
                                      "`media_unreachable`, `media_too_large` (mediaUrl), `location_zero_coordinate`, "
                                      "`idempotency_key_reused`, …"},
                 429: {"description": "`rate_limited` (sends per second per instance) or `quota_exceeded` (the "
                                      "plan's messages a day, until 00:00 UTC)"},
                 502: {"description": "`gateway_unavailable`: nothing was sent"},
                 504: {"description": "`gateway_timeout`: the message may or may not have been sent (not retried)"}},
             openapi_extra={tenancy.PROBE_BODY: {"to": "+55 11 91234-5678", "type": "text", "text": "hi"}})
async def send(caller: Caller, instance_id: str, body: SendMessage, request: Request,
               idempotency_key: IdempotencyKeyHeader = None) -> Response:
    org = caller.organization

    async def produce(attempt: Attempt) -> JSONResponse:
        async with db.session(short=True) as session:
            # Checks first (404, 422): a bad send costs no limit. Then the limits, then one send.
            prepared = await messaging.prepare_send(session, caller.actor, instance_id, messaging.OutgoingMessage(
                **body.model_dump(exclude_none=True)), loaded=caller.instance)
            try:
                record(request, await messaging.check_send_rate(prepared, org.plan))
                delivered = await messaging.deliver(session, prepared, plan=org.plan, on_dispatch=attempt.dispatching)
            except RateLimited as exc:
                raise refused(exc) from exc
            record(request, delivered.quota)
            return JSONResponse(SentOut.of(delivered.message).wire(), status_code=201)

    return await idempotent(request, org.id, produce)


@router.get("/instances/{instance_id}/messages", response_model=MessagePage, summary="Message history, newest first")
async def history(caller: Caller, instance_id: str, limit: Limit = 50, cursor: Cursor = None,
                  chat: str | None = Query(default=None, description="Phone number (any form) or JID")) -> MessagePage:
    async with db.session() as session:
        rows, next_cursor = await messaging.list_messages(session, caller.organization.id, instance_id,
                                                          chat=chat, cursor=cursor, limit=limit)
    return MessagePage(data=[MessageOut.of(r) for r in rows], next_cursor=next_cursor)


@router.get("/messages/{message_id}", response_model=MessageOut, summary="One message with its delivery status")
async def get_message(caller: Caller, message_id: str) -> MessageOut:
    async with db.session() as session:
        return MessageOut.of(await messaging.get_message(session, caller.organization.id, message_id))
