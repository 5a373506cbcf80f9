"""`/api/v1/instances/{id}/webhook…` and `/api/v1/webhook-deliveries/{id}…` (API.md "Webhooks")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import ConfigDict, Field

from livchat.api import tenancy
from livchat.api.v1.auth import Caller
from livchat.api.v1.common import CamelModel, Cursor, Limit
from livchat.api.v1.instances import InstanceWebhook
from livchat.core.db import db
from livchat.services.webhooks import endpoints
from livchat.services.whatsapp.events import WEBHOOK_EVENT_TYPES

router = APIRouter(tags=["webhooks"])


class WebhookIn(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"url": "https://example.com/hooks/whatsapp", "events": ["message.received", "message.read"]}]})

    url: str = Field(examples=["https://example.com/hooks/whatsapp"])
    events: list[str] | None = Field(default=None, examples=[["message.received", "message.read"]],
                                     description=f"Any of {', '.join(WEBHOOK_EVENT_TYPES)}; omitted: all.")


class WebhookOut(InstanceWebhook):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"url": "https://example.com/hooks/whatsapp", "events": ["message.received"], "active": True,
         "secretPrefix": "whsec_AbCd", "secret": "whsec_AbCdEfGhIjKlMnOpQrStUvWxYz012345"}]})

    secret: str | None = Field(default=None, description="The full signing secret: only when just created or rotated.")


_DELIVERY_EXAMPLE = {
    "id": "dlv_01JD8Z8S1K2M3N4P5Q6R7S8T9V", "eventId": "evt_01JD8Z7R2M3N4P5Q6R7S8T9V0W",
    "eventType": "message.received", "status": "delivered", "attempts": 1, "lastAttemptAt": "2026-01-15T12:07:00Z",
    "nextAttemptAt": None, "responseStatus": 200, "latencyMs": 42, "failureReason": None,
    "createdAt": "2026-01-15T12:07:00Z"}


class DeliveryOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DELIVERY_EXAMPLE]})

    id: str
    event_id: str
    event_type: str
    status: str = Field(description="pending | delivered | failed")
    attempts: int
    last_attempt_at: str | None
    next_attempt_at: str | None
    response_status: int | None
    latency_ms: int | None
    failure_reason: str | None = Field(
        default=None, description="Why it failed: endpoint_paused (the endpoint was paused, nothing was sent; "
                                  "redeliver it once the endpoint is saved again) | attempts_exhausted")
    created_at: str | None = None


class AttemptOut(CamelModel):
    attempt: int
    response_status: int | None
    latency_ms: int | None
    response_snippet: str | None = None
    error: str | None = None
    created_at: str | None = None


class DeliveryDetail(DeliveryOut):
    payload: str
    attempt_log: list[AttemptOut]


class DeliveryPage(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [_DELIVERY_EXAMPLE], "nextCursor": None}]})

    data: list[DeliveryOut]
    next_cursor: str | None


@router.get("/instances/{instance_id}/webhook", response_model=WebhookOut, response_model_exclude_none=True,
            summary="The instance's webhook endpoint")
async def get_webhook(caller: Caller, instance_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return await endpoints.get_endpoint(session, caller.organization.id, instance_id)


@router.put("/instances/{instance_id}/webhook", response_model=WebhookOut, response_model_exclude_none=True,
            summary="Create or update the webhook (the secret is returned the first time only); "
                    "saving a paused webhook resumes it",
            openapi_extra={tenancy.PROBE_BODY: {"url": "https://example.com/hook", "events": ["message.received"]}})
async def put_webhook(caller: Caller, instance_id: str, body: WebhookIn) -> dict[str, Any]:
    async with db.session() as session:
        return await endpoints.save_endpoint(session, caller.organization.id, instance_id, body.url, body.events)


@router.delete("/instances/{instance_id}/webhook", status_code=204, summary="Remove the webhook and its log")
async def delete_webhook(caller: Caller, instance_id: str) -> Response:
    async with db.session() as session:
        await endpoints.delete_endpoint(session, caller.organization.id, instance_id)
    return Response(status_code=204)


@router.post("/instances/{instance_id}/webhook/rotate-secret", response_model=WebhookOut,
             response_model_exclude_none=True, summary="New secret; the old one keeps signing alongside for 24 h")
async def rotate_secret(caller: Caller, instance_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return await endpoints.rotate_secret(session, caller.organization.id, instance_id)


@router.post("/instances/{instance_id}/webhook/test", response_model=DeliveryOut, status_code=202,
             summary="Queue a `webhook.test` event to the endpoint")
async def test_webhook(caller: Caller, instance_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return await endpoints.send_test_event(session, caller.organization.id, instance_id)


@router.get("/instances/{instance_id}/webhook/deliveries", response_model=DeliveryPage,
            summary="Delivery log, newest first")
async def deliveries(caller: Caller, instance_id: str, limit: Limit = 50, cursor: Cursor = None,
                     status: str | None = Query(default=None, description="pending | delivered | failed")) -> dict[str, Any]:
    async with db.session() as session:
        return await endpoints.list_deliveries(session, caller.organization.id, instance_id,
                                              status=status, limit=limit, cursor=cursor)


@router.get("/webhook-deliveries/{delivery_id}", response_model=DeliveryDetail,
            summary="One delivery with its payload and every attempt")
async def delivery(caller: Caller, delivery_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return await endpoints.get_delivery(session, caller.organization.id, delivery_id)


@router.post("/webhook-deliveries/{delivery_id}/redeliver", response_model=DeliveryOut, status_code=202,
             summary="Queue it again (same webhook-id)")
async def redeliver(caller: Caller, delivery_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return await endpoints.redeliver(session, caller.organization.id, delivery_id)
