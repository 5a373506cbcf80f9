"""`/api/v1/instances…` (API.md "Instances")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field

from livchat.api import tenancy
from livchat.api.v1.auth import Caller
from livchat.api.v1.common import (
    Attempt,
    CamelModel,
    Cursor,
    IdempotencyKeyHeader,
    Limit,
    idempotent,
    rfc3339,
)
from livchat.core.db import db
from livchat.models import Instance
from livchat.services.webhooks import endpoints
from livchat.services.whatsapp import instances

router = APIRouter(tags=["instances"])


class InstanceCreate(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Sales"}]})

    name: str = Field(min_length=1, max_length=100, examples=["Sales"])


class PairPhone(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "+55 11 91234-5678"}]})

    phone: str = Field(examples=["+55 11 91234-5678"])


class InstanceWebhook(CamelModel):
    url: str
    events: list[str]
    active: bool
    secret_prefix: str
    paused_at: str | None = None
    failing_since: str | None = None


_INSTANCE_EXAMPLE = {
    "id": "inst_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E", "name": "Sales", "status": "connected",
    "whatsappJid": "5511912345678@s.whatsapp.net", "whatsappName": "Acme Sales",
    "webhook": {"url": "https://example.com/hooks/whatsapp", "events": ["message.received"], "active": True,
                "secretPrefix": "whsec_AbCd", "pausedAt": None, "failingSince": None},
    "createdAt": "2026-01-15T12:00:00Z", "lastConnectedAt": "2026-01-15T12:03:10Z",
}


class InstanceOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_INSTANCE_EXAMPLE]})

    id: str
    name: str
    status: str = Field(description="disconnected | connecting | connected")
    whatsapp_jid: str | None
    whatsapp_name: str | None
    webhook: InstanceWebhook | None = Field(description="The instance's webhook endpoint, or null.")
    created_at: str
    last_connected_at: str | None


class InstancePage(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [_INSTANCE_EXAMPLE], "nextCursor": None}]})

    data: list[InstanceOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class StatusOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"connected": True, "loggedIn": True, "whatsappJid": "5511912345678@s.whatsapp.net"}]})

    connected: bool
    logged_in: bool
    whatsapp_jid: str | None


class ConnectOut(StatusOut):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"connected": True, "loggedIn": False, "whatsappJid": None, "status": "connecting", "qrAvailable": True}]})

    status: str = Field(description="connecting | connected")
    qr_available: bool


class QrOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"qrCode": "data:image/png;base64,iVBORw0KGgo...", "expiresIn": 20}]})

    qr_code: str = Field(description="data:image/png;base64,…")
    expires_in: int = Field(description="Seconds until the code rotates.")


class PairingOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"pairingCode": "ABCD-EFGH", "expiresIn": 160}]})

    pairing_code: str = Field(examples=["ABCD-EFGH"])
    expires_in: int


def instance_out(instance: Instance, webhook: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": instance.id, "name": instance.name, "status": instance.status,
        "whatsappJid": instance.whatsapp_jid, "whatsappName": instance.whatsapp_name, "webhook": webhook,
        "createdAt": rfc3339(instance.created_at), "lastConnectedAt": rfc3339(instance.last_connected_at),
    }


def _status(view: instances.StatusView) -> dict[str, Any]:
    return view.as_json()


@router.get("/instances", response_model=InstancePage, summary="List instances, newest first")
async def list_instances(caller: Caller, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    async with db.session() as session:
        rows, next_cursor = await instances.page_instances(session, caller.organization.id, limit=limit, cursor=cursor)
        hooks = await endpoints.endpoints_of(session, caller.organization.id, [i.id for i in rows])
    return {"data": [instance_out(i, hooks.get(i.id)) for i in rows], "nextCursor": next_cursor}


@router.post("/instances", status_code=201, response_model=InstanceOut, summary="Create an instance",
             responses={402: {"description": "`plan_limit`: the plan's instance count is reached"}},
             openapi_extra={tenancy.PROBE_BODY: {"name": "Probe"}})
async def create_instance(caller: Caller, body: InstanceCreate, request: Request,
                          idempotency_key: IdempotencyKeyHeader = None) -> Response:
    org = caller.organization

    async def produce(attempt: Attempt) -> JSONResponse:
        async with db.session() as session:
            # The service enforces the plan's instance limit (402 plan_limit), atomically.
            # No `attempt.dispatching()`: a creation that fails removes what it made, so it may be retried.
            instance = await instances.create_instance(session, org.id, body.name)
            return JSONResponse(instance_out(instance, None), status_code=201)

    return await idempotent(request, org.id, produce)


@router.get("/instances/{instance_id}", response_model=InstanceOut, summary="Get an instance")
async def get_instance(caller: Caller, instance_id: str) -> dict[str, Any]:
    async with db.session() as session:
        instance = await instances.get_instance(session, caller.organization.id, instance_id)
        hooks = await endpoints.endpoints_of(session, caller.organization.id, [instance.id])
        return instance_out(instance, hooks.get(instance.id))


@router.delete("/instances/{instance_id}", status_code=204, summary="Delete an instance (logs out in WuzAPI too)")
async def delete_instance(caller: Caller, instance_id: str) -> Response:
    async with db.session() as session:
        await instances.delete_instance(session, caller.organization.id, instance_id)
    return Response(status_code=204)


@router.post("/instances/{instance_id}/connect", response_model=ConnectOut, summary="Start a connection")
async def connect(caller: Caller, instance_id: str) -> dict[str, Any]:
    async with db.session() as session:
        view = await instances.connect(session, caller.organization.id, instance_id)
    status = "connected" if view.connected and view.logged_in else "connecting"
    return {**_status(view), "status": status, "qrAvailable": not view.logged_in}


@router.post("/instances/{instance_id}/disconnect", response_model=StatusOut, summary="Disconnect, keeping the pairing")
async def disconnect(caller: Caller, instance_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return _status(await instances.disconnect(session, caller.organization.id, instance_id))


@router.post("/instances/{instance_id}/logout", response_model=StatusOut, summary="Unpair the phone")
async def logout(caller: Caller, instance_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return _status(await instances.logout(session, caller.organization.id, instance_id))


@router.get("/instances/{instance_id}/qr", response_model=QrOut, summary="Current QR code",
            responses={409: {"description": "`already_connected`: the phone is already linked"}})
async def qr(caller: Caller, instance_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return await instances.qr_code(session, caller.organization.id, instance_id)


@router.post("/instances/{instance_id}/pairphone", response_model=PairingOut, summary="Pairing code for a phone number",
             openapi_extra={tenancy.PROBE_BODY: {"phone": "+55 11 91234-5678"}})
async def pairphone(caller: Caller, instance_id: str, body: PairPhone) -> dict[str, Any]:
    async with db.session() as session:
        return await instances.pair_phone(session, caller.organization.id, instance_id, body.phone)


@router.get("/instances/{instance_id}/status", response_model=StatusOut, summary="Live connection status")
async def status(caller: Caller, instance_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return _status(await instances.sync_status(session, caller.organization.id, instance_id))
