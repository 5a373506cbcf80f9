"""`/api/v1/instances/{id}/webhook…` and `/api/v1/webhook-deliveries/{id}…` (API.md "Webhooks")."""

from __future__ import annotations

from fastapi import Query, Response
from pydantic import ConfigDict, Field

from livchat.api import tenancy
from livchat.api.json_body import api_router
from livchat.api.v1.auth import Caller
from livchat.api.v1.common import CamelModel, Cursor, Limit
from livchat.core.db import db
from livchat.services.webhooks import endpoints
from livchat.services.webhooks.schemas import (
    DeliveryDetail,
    DeliveryOut,
    DeliveryPage,
    WebhookOut,
)
from livchat.services.whatsapp.events import WEBHOOK_EVENT_TYPES

router = api_router(tags=["webhooks"])


class WebhookIn(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"url": "https://example.com/hooks/whatsapp", "events": ["message.received", "message.read"]}]})

    url: str = Field(examples=["https://example.com/hooks/whatsapp"])
    events: list[str] | None = Field(default=None, examples=[["message.received", "message.read"]],
                                     description=f"Any of {', '.join(WEBHOOK_EVENT_TYPES)}; omitted: all.")


@router.get("/instances/{instance_id}/webhook", response_model=WebhookOut, response_model_exclude_none=True,
            summary="The instance's webhook endpoint")
async def get_webhook(caller: Caller, instance_id: str) -> WebhookOut:
    async with db.session() as session:
        return await endpoints.get_endpoint(session, caller.organization.id, instance_id)


@router.put("/instances/{instance_id}/webhook", response_model=WebhookOut, response_model_exclude_none=True,
            summary="Create or update the webhook (the secret is returned the first time only); "
                    "saving a paused webhook resumes it",
            openapi_extra={tenancy.PROBE_BODY: {"url": "https://example.com/hook", "events": ["message.received"]}})
async def put_webhook(caller: Caller, instance_id: str, body: WebhookIn) -> WebhookOut:
    async with db.session() as session:
        return await endpoints.save_endpoint(session, caller.actor, instance_id, body.url, body.events)


@router.delete("/instances/{instance_id}/webhook", status_code=204, summary="Remove the webhook and its log")
async def delete_webhook(caller: Caller, instance_id: str) -> Response:
    async with db.session() as session:
        await endpoints.delete_endpoint(session, caller.actor, instance_id)
    return Response(status_code=204)


@router.post("/instances/{instance_id}/webhook/rotate-secret", response_model=WebhookOut,
             response_model_exclude_none=True, summary="New secret; the old one keeps signing alongside for 24 h",
             responses={409: {"description": "`webhook_rotation_limit`: too many earlier secrets still signing; "
                                             "wait until the oldest one's 24 h are over"}})
async def rotate_secret(caller: Caller, instance_id: str) -> WebhookOut:
    async with db.session() as session:
        return await endpoints.rotate_secret(session, caller.actor, instance_id)


@router.post("/instances/{instance_id}/webhook/test", response_model=DeliveryOut, status_code=202,
             summary="Queue a `webhook.test` event to the endpoint")
async def test_webhook(caller: Caller, instance_id: str) -> DeliveryOut:
    async with db.session() as session:
        return await endpoints.send_test_event(session, caller.actor, instance_id)


@router.get("/instances/{instance_id}/webhook/deliveries", response_model=DeliveryPage,
            summary="Delivery log, newest first")
async def deliveries(caller: Caller, instance_id: str, limit: Limit = 50, cursor: Cursor = None,
                     status: str | None = Query(default=None, description="pending | delivered | failed")) -> DeliveryPage:
    async with db.session() as session:
        return await endpoints.list_deliveries(session, caller.organization.id, instance_id,
                                              status=status, limit=limit, cursor=cursor)


@router.get("/webhook-deliveries/{delivery_id}", response_model=DeliveryDetail,
            summary="One delivery with its payload and every attempt")
async def delivery(caller: Caller, delivery_id: str) -> DeliveryDetail:
    async with db.session() as session:
        return await endpoints.get_delivery(session, caller.organization.id, delivery_id)


@router.post("/webhook-deliveries/{delivery_id}/redeliver", response_model=DeliveryOut, status_code=202,
             summary="Queue it again (same webhook-id)")
async def redeliver(caller: Caller, delivery_id: str) -> DeliveryOut:
    async with db.session() as session:
        return await endpoints.redeliver(session, caller.actor, delivery_id)
