"""Dashboard → Instances: list, create, connect (QR or pairing code), disconnect, logout, delete.

Every handler resolves the organization (and the member's role, which the services check) from
the session; ids from the browser are only looked up inside it. Handlers that call WuzAPI are
background tasks: the tab's lock is held only in the short `async with self` blocks, never across
the network call.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from livchat.core.db import db
from livchat.models.whatsapp import Instance
from livchat.services.errors import ServiceError
from livchat.services.whatsapp import instances
from livchat.state.auth import AuthContext, authorized, current_context
from livchat.state.feeds import OrgFeed
from livchat.state.times import when
from livchat.state.whatsapp_common import problem_key

MANAGE = "manage_instances"  # shows the controls; the role table is livchat/services/actors.py's


def instance_row(instance: Instance) -> dict[str, str]:
    return {"id": instance.id, "name": instance.name, "status": str(instance.status),
            "number": (instance.whatsapp_jid or "").split("@")[0], "last_connected": when(instance.last_connected_at)}


class InstancesState(rx.State):
    instances: list[dict[str, str]] = []
    can_manage: bool = False
    error: str = ""
    error_detail: str = ""
    # The connect panel of one instance: its QR image, or the pairing code typed on the phone.
    linking: str = ""
    qr_image: str = ""
    pairing_code: str = ""
    busy: bool = False

    async def _reload(self, organization_id: str) -> None:
        async with db.session() as session:
            rows = await instances.list_instances(session, organization_id)
        self.instances = [instance_row(i) for i in rows]
        if self.linking and not any(r["id"] == self.linking and r["status"] != "connected" for r in self.instances):
            self._close_linking()  # linked (or gone): the panel has done its job

    def _close_linking(self) -> None:
        self.linking, self.qr_image, self.pairing_code = "", "", ""

    def _fail(self, exc: ServiceError) -> None:
        self.error, self.error_detail = problem_key(exc), exc.detail

    @rx.event
    @authorized
    async def load(self) -> None:
        ctx = await current_context(self)
        self.error, self.error_detail = "", ""
        self.busy = False  # a handler that broke mid-way leaves no spinner past a reload
        self.can_manage = ctx.can(MANAGE)
        await self._reload(ctx.organization.id)

    @rx.event
    @authorized
    async def refresh(self) -> Any:
        """The organization's feed moved: reload, and fetch the rotated QR if one is shown."""
        ctx = await current_context(self)
        await self._reload(ctx.organization.id)
        feed = await self.get_state(OrgFeed)
        if self.qr_image and feed.last_event == "instance.qr_updated" and feed.last_instance == self.linking:
            return InstancesState.show_qr(self.linking)
        return None

    async def _context(self) -> AuthContext:
        ctx = await current_context(self)
        async with self:
            self.error, self.error_detail, self.busy = "", "", True
        return ctx

    async def _done(self, ctx: AuthContext, exc: ServiceError | None = None, **values: Any) -> None:
        async with self:
            self.busy = False
            if exc is not None:
                self._fail(exc)
            for name, value in values.items():
                setattr(self, name, value)
            await self._reload(ctx.organization.id)

    @rx.event(background=True)
    @authorized
    async def create(self, form_data: dict) -> None:
        ctx = await self._context()
        try:
            async with db.session() as session:  # the service enforces the role and the plan's instance limit
                await instances.create_instance(session, ctx.actor, str(form_data.get("name") or ""))
        except ServiceError as exc:
            await self._done(ctx, exc)
            return
        await self._done(ctx)

    @rx.event(background=True)
    @authorized
    async def show_qr(self, instance_id: str) -> None:
        ctx = await self._context()
        try:
            async with db.session() as session:
                qr = await instances.qr_code(session, ctx.actor, instance_id)
        except ServiceError as exc:
            await self._done(ctx, exc)
            return
        await self._done(ctx, linking=instance_id, qr_image=qr.qr_code or "", pairing_code="")

    @rx.event(background=True)
    @authorized
    async def pair(self, instance_id: str, form_data: dict) -> None:
        ctx = await self._context()
        try:
            async with db.session() as session:
                pairing = await instances.pair_phone(session, ctx.actor, instance_id, str(form_data.get("phone") or ""))
        except ServiceError as exc:
            await self._done(ctx, exc)
            return
        await self._done(ctx, linking=instance_id, qr_image="", pairing_code=pairing.pairing_code)

    @rx.event(background=True)
    @authorized
    async def sync(self, instance_id: str) -> None:
        await self._act(instance_id, instances.sync_status)

    @rx.event(background=True)
    @authorized
    async def disconnect(self, instance_id: str) -> None:
        await self._act(instance_id, instances.disconnect)

    @rx.event(background=True)
    @authorized
    async def logout(self, instance_id: str) -> None:
        await self._act(instance_id, instances.logout)

    @rx.event(background=True)
    @authorized
    async def delete(self, instance_id: str) -> None:
        await self._act(instance_id, instances.delete_instance)

    async def _act(self, instance_id: str, action: Any) -> None:
        ctx = await self._context()
        try:
            async with db.session() as session:
                await action(session, ctx.actor, instance_id)
        except ServiceError as exc:
            await self._done(ctx, exc)
            return
        await self._done(ctx)

    @rx.event
    def close_linking(self) -> None:
        self._close_linking()
