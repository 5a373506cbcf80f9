"""`/api/v1/instances…` (API.md "Instances")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.api import tenancy
from livchat.api.problems import ApiError
from livchat.api.v1.auth import Caller
from livchat.api.v1.common import CamelModel, Page, idempotent, rfc3339
from livchat.core.crypto import encrypt, new_token
from livchat.core.db import db
from livchat.core.ids import new_id
from livchat.models import Instance, WebhookEndpoint
from livchat.services import instances, limits, webhooks

router = APIRouter(tags=["instances"])


class InstanceCreate(CamelModel):
    name: str = Field(min_length=1, max_length=100, examples=["Sales"])


class PairPhone(CamelModel):
    phone: str = Field(examples=["+55 11 91234-5678"])


class InstanceOut(CamelModel):
    id: str
    name: str
    status: str = Field(description="disconnected | connecting | connected")
    whatsapp_jid: str | None
    whatsapp_name: str | None
    webhook: dict[str, Any] | None = Field(description="The instance's webhook endpoint, or null.")
    created_at: str
    last_connected_at: str | None


class StatusOut(CamelModel):
    connected: bool
    logged_in: bool
    whatsapp_jid: str | None


class ConnectOut(StatusOut):
    status: str = Field(description="connecting | connected")
    qr_available: bool


class QrOut(CamelModel):
    qr_code: str = Field(description="data:image/png;base64,…")
    expires_in: int


class PairingOut(CamelModel):
    pairing_code: str = Field(examples=["ABCD-EFGH"])
    expires_in: int


async def instance_out(session: AsyncSession, organization_id: str, instance: Instance) -> dict[str, Any]:
    return {
        "id": instance.id, "name": instance.name, "status": instance.status,
        "whatsappJid": instance.whatsapp_jid, "whatsappName": instance.whatsapp_name,
        "webhook": await webhooks.find_endpoint(session, organization_id, instance.id),
        "createdAt": rfc3339(instance.created_at), "lastConnectedAt": rfc3339(instance.last_connected_at),
    }


def _status(view: instances.StatusView) -> dict[str, Any]:
    return view.as_json()


@router.get("/instances", response_model=Page[InstanceOut], summary="List instances")
async def list_instances(caller: Caller) -> dict[str, Any]:
    org_id = caller.organization.id
    async with db.session() as session:
        rows = await instances.list_instances(session, org_id)
        return {"data": [await instance_out(session, org_id, i) for i in rows], "nextCursor": None}


@router.post("/instances", status_code=201, response_model=InstanceOut, summary="Create an instance",
             responses={402: {"description": "`plan_limit`: the plan's instance count is reached"}},
             openapi_extra={tenancy.PROBE_BODY: {"name": "Probe"}})
async def create_instance(caller: Caller, body: InstanceCreate, request: Request) -> Response:
    org = caller.organization

    async def produce() -> JSONResponse:
        async with db.session() as session:
            count = (await session.exec(select(func.count()).select_from(Instance)
                                        .where(Instance.organization_id == org.id))).one()
            try:
                limits.check_instance_count(org.plan, count)
            except limits.PlanLimitReached as exc:
                raise ApiError(402, "plan_limit", exc.detail) from exc
            instance = await instances.create_instance(session, org.id, body.name)
            return JSONResponse(await instance_out(session, org.id, instance), status_code=201)

    return await idempotent(request, org.id, produce)


@router.get("/instances/{instance_id}", response_model=InstanceOut, summary="Get an instance")
async def get_instance(caller: Caller, instance_id: str) -> dict[str, Any]:
    async with db.session() as session:
        instance = await instances.get_instance(session, caller.organization.id, instance_id)
        return await instance_out(session, caller.organization.id, instance)


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


@tenancy.id_factory("instance_id")
async def _instance_in(session: AsyncSession, organization_id: str) -> str:
    """Rows only (no WuzAPI user): an instance with a webhook endpoint, so every route under
    /instances/{id} has something its owner reaches and another organization must not."""
    instance = Instance(id=new_id("inst"), organization_id=organization_id, name="probe",
                        wuzapi_token_encrypted=encrypt(new_token()), hmac_key_encrypted=encrypt(new_token()))
    session.add(instance)
    await session.flush()
    session.add(WebhookEndpoint(id=new_id("whe"), organization_id=organization_id, instance_id=instance.id,
                                url="https://example.com/hook", events=["message.received"],
                                secret_encrypted=encrypt("whsec_cHJvYmU="), secret_prefix="whsec_cHJv"))
    await session.flush()
    return instance.id

