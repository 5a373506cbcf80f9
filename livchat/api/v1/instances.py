"""`/api/v1/instances…` (API.md "Instances")."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field

from livchat.api import tenancy
from livchat.api.json_body import api_router
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
from livchat.services.webhooks import endpoints
from livchat.services.whatsapp import instances
from livchat.services.whatsapp.schemas import (
    ConnectOut,
    InstanceOut,
    InstancePage,
    PairingOut,
    QrOut,
    StatusOut,
)

router = api_router(tags=["instances"])


class InstanceCreate(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Sales"}]})

    name: str = Field(min_length=1, max_length=100, examples=["Sales"])


class PairPhone(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "+55 11 91234-5678"}]})

    phone: str = Field(examples=["+55 11 91234-5678"])


@router.get("/instances", response_model=InstancePage, summary="List instances, newest first")
async def list_instances(caller: Caller, limit: Limit = 50, cursor: Cursor = None) -> InstancePage:
    async with db.session() as session:
        rows, next_cursor = await instances.page_instances(session, caller.organization.id, limit=limit, cursor=cursor)
        hooks = await endpoints.endpoints_of(session, caller.organization.id, [i.id for i in rows])
    return InstancePage(data=[InstanceOut.of(i, hooks.get(i.id)) for i in rows], next_cursor=next_cursor)


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
            instance = await instances.create_instance(session, caller.actor, body.name)
            return JSONResponse(InstanceOut.of(instance, None).wire(), status_code=201)

    return await idempotent(request, org.id, produce)


@router.get("/instances/{instance_id}", response_model=InstanceOut, summary="Get an instance")
async def get_instance(caller: Caller, instance_id: str) -> InstanceOut:
    async with db.session() as session:
        instance = await instances.get_instance(session, caller.organization.id, instance_id)
        hooks = await endpoints.endpoints_of(session, caller.organization.id, [instance.id])
        return InstanceOut.of(instance, hooks.get(instance.id))


class AgentSwitch(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"enabled": True}]})

    enabled: bool = Field(description="AI answers this number.")


@router.put("/instances/{instance_id}/agent", response_model=InstanceOut,
            summary="Turn \"AI answers this number\" on or off",
            description="On: the number's inbound messages become conversations in the support inbox (channel "
                        "`whatsapp`) and the AI agent answers them over WhatsApp, handing off to operators, whose "
                        "replies go back over WhatsApp. Off: the plain API again.",
            openapi_extra={tenancy.PROBE_BODY: {"enabled": True}})
async def set_agent(caller: Caller, instance_id: str, body: AgentSwitch) -> InstanceOut:
    async with db.session() as session:
        instance = await instances.set_ai_answers(session, caller.actor, instance_id, body.enabled)
        hooks = await endpoints.endpoints_of(session, caller.organization.id, [instance.id])
        return InstanceOut.of(instance, hooks.get(instance.id))


@router.delete("/instances/{instance_id}", status_code=204, summary="Delete an instance (logs out in WuzAPI too)")
async def delete_instance(caller: Caller, instance_id: str) -> Response:
    async with db.session() as session:
        await instances.delete_instance(session, caller.actor, instance_id)
    return Response(status_code=204)


@router.post("/instances/{instance_id}/connect", response_model=ConnectOut, summary="Start a connection")
async def connect(caller: Caller, instance_id: str) -> ConnectOut:
    async with db.session() as session:
        return ConnectOut.of(await instances.connect(session, caller.actor, instance_id))


@router.post("/instances/{instance_id}/disconnect", response_model=StatusOut, summary="Disconnect, keeping the pairing")
async def disconnect(caller: Caller, instance_id: str) -> StatusOut:
    async with db.session() as session:
        return await instances.disconnect(session, caller.actor, instance_id)


@router.post("/instances/{instance_id}/logout", response_model=StatusOut, summary="Unpair the phone")
async def logout(caller: Caller, instance_id: str) -> StatusOut:
    async with db.session() as session:
        return await instances.logout(session, caller.actor, instance_id)


@router.get("/instances/{instance_id}/qr", response_model=QrOut, summary="Current QR code",
            responses={409: {"description": "`already_connected`: the phone is already linked"}})
async def qr(caller: Caller, instance_id: str) -> QrOut:
    async with db.session() as session:
        return await instances.qr_code(session, caller.actor, instance_id)


@router.post("/instances/{instance_id}/pairphone", response_model=PairingOut, summary="Pairing code for a phone number",
             responses={409: {"description": "`already_connected`: the instance is already linked to a phone"}},
             openapi_extra={tenancy.PROBE_BODY: {"phone": "+55 11 91234-5678"}})
async def pairphone(caller: Caller, instance_id: str, body: PairPhone) -> PairingOut:
    async with db.session() as session:
        return await instances.pair_phone(session, caller.actor, instance_id, body.phone)


@router.get("/instances/{instance_id}/status", response_model=StatusOut, summary="Live connection status")
async def status(caller: Caller, instance_id: str) -> StatusOut:
    async with db.session() as session:
        return await instances.sync_status(session, caller.actor, instance_id)
