"""Test support for everything that needs WhatsApp (a pytest plugin of tests/conftest.py, so its
fixtures serve every directory). `live` serves the real API app (hooks + in-process sandbox) on a
real 127.0.0.1 socket in the test's own event loop, so the services reach the sandbox over HTTP
and the sandbox's signed webhooks reach our ingest endpoint over HTTP, on the test's database;
`forget_sandbox_users` removes the sandbox users a test's instances made."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn

from livchat.core.events import DomainEvent, bus
from livchat.core.settings import reset_settings_cache
from livchat.sandbox.config import sandbox_admin_token
from livchat.sandbox.runtime import get_sandbox
from livchat.services.whatsapp.gateway import close_gateway
from tests.polling import eventually


@dataclass
class LiveApp:
    url: str
    control: httpx.AsyncClient
    http: httpx.AsyncClient
    seen: list[DomainEvent] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def record(self, event: DomainEvent) -> None:
        async with self._changed:
            self.seen.append(event)
            self._changed.notify_all()

    async def wait_event(self, kind: type[DomainEvent], predicate: Callable[[Any], bool] = lambda e: True,
                         timeout: float = 10.0) -> Any:
        """The first published event of `kind` matching `predicate` (bounded wait)."""
        def found() -> Any:
            return next((e for e in self.seen if isinstance(e, kind) and predicate(e)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(found), timeout)
            return found()

    async def link(self, *, qr: str = "", pairing_code: str = "", phone: str = "") -> dict[str, Any]:
        body = {"qr": qr} if qr else {"pairingCode": pairing_code}
        if phone:
            body["phone"] = phone
        response = await self.control.post("/link", json=body)
        assert response.status_code == 200, response.text
        return response.json()["session"]

    async def session_of(self, wuzapi_user_id: str) -> dict[str, Any]:
        sessions = (await self.control.get("/sessions")).json()["sessions"]
        return next(s for s in sessions if s["id"] == wuzapi_user_id)


@pytest.fixture
async def live(database: str) -> AsyncIterator[LiveApp]:
    from livchat.api.app import create_api
    from livchat.services.whatsapp import events as ev

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    saved = os.environ.get("PUBLIC_URL")
    os.environ["PUBLIC_URL"] = url
    os.environ.pop("WUZAPI_URL", None)
    reset_settings_cache()
    server = uvicorn.Server(uvicorn.Config(create_api(), log_level="warning", access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started, timeout=5, every=0.01, what="uvicorn's start")
    control_auth = {"Authorization": sandbox_admin_token()}  # the control API takes the admin token
    # A bound, not a measure: 60 concurrent sends take ~3.5 s on a loaded 2-core machine (the app
    # runs in this very loop), too close to httpx's default 5 s (a CI run timed out at it).
    async with httpx.AsyncClient(base_url=url + "/sandbox/control", headers=control_auth, timeout=30) as control, \
            httpx.AsyncClient(base_url=url, timeout=30) as http:
        app = LiveApp(url=url, control=control, http=http)
        unsubscribe = [bus.subscribe(cls, app.record) for cls in (
            ev.MessageReceived, ev.MessageSent, ev.MessageDelivered, ev.MessageRead, ev.MessageFailed,
            ev.InstanceConnected, ev.InstanceDisconnected, ev.InstanceLoggedOut, ev.InstanceQrUpdated)]
        try:
            yield app
        finally:
            for undo in unsubscribe:
                undo()
            # The process's sandbox outlives this server: webhooks still queued for it (retries
            # sleeping 30 s, 60 s, ...) would post to a dead port and hold up the next test's drain().
            await get_sandbox().webhooks.aclose()
            # Then let the requests in flight finish while the server still answers: an inbound
            # event's ingest may be asking this same server's WuzAPI for the instance's status, a
            # request that would never be accepted once shutdown began (the teardown then hung
            # until its bound and the test errored). Bounded, and not a failure: a stream may stay open.
            in_flight = list(server.server_state.tasks)
            if in_flight:
                await asyncio.wait(in_flight, timeout=15)
            await close_gateway()
            server.should_exit = True
            await asyncio.wait_for(task, 10)
            sock.close()
            if saved is None:
                os.environ.pop("PUBLIC_URL", None)
            else:
                os.environ["PUBLIC_URL"] = saved
            reset_settings_cache()


@pytest.fixture
async def forget_sandbox_users(live: LiveApp) -> AsyncIterator[None]:
    """The in-process sandbox outlives a test: remove the WuzAPI users our instances made, so later
    tests (the simulated phone's) do not find sessions linked by these."""
    yield
    from sqlmodel import select

    from livchat.core.db import db
    from livchat.integrations import wuzapi
    from livchat.models.whatsapp import Instance
    from livchat.services.whatsapp.gateway import get_gateway

    async with db.session() as session:
        user_ids = [u for u in await session.exec(select(Instance.wuzapi_user_id)) if u]
    for user_id in user_ids:
        try:
            await get_gateway().delete_user_full(user_id)
        except wuzapi.WuzapiError:
            pass  # already deleted by the test


async def linked_instance(live: LiveApp, session: Any, organization_id: str | None, *, phone: str = "5511988887777",
                          anonymous_session_id: str | None = None) -> Any:
    """An instance created through the service and linked by scanning its QR on the sandbox."""
    from livchat.services.whatsapp import instances
    from livchat.services.whatsapp.events import InstanceConnected
    from tests.factories import actor_of

    actor = actor_of(organization_id) if organization_id else None  # None: the test panel's session
    instance = await instances.create_instance(session, actor, "Shop", anonymous_session_id=anonymous_session_id)
    await instances.qr_code(session, actor, instance.id, anonymous_session_id=anonymous_session_id)
    waiting = await live.session_of(instance.wuzapi_user_id or "")
    await live.link(qr=waiting["qr"], phone=phone)
    await live.wait_event(InstanceConnected, lambda e: e.instance_id == instance.id)
    return instance
