"""`/api/public/*`: the landing page's anonymous test panel (API.md), limited per IP."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request
from pydantic import Field

from livchat.api.deps import client_ip
from livchat.api.json_body import api_router
from livchat.api.ratelimit import enforce
from livchat.api.v1.common import CamelModel
from livchat.core.db import db
from livchat.models import AnonymousSession
from livchat.services.whatsapp import panel_limits, test_panel
from livchat.services.whatsapp.schemas import (
    PairingOut,
    PanelConnectOut,
    PanelMessageOut,
    PanelSessionOut,
    PanelStatusOut,
    QrOut,
)

router = api_router(prefix="/api/public", tags=["test panel"])


def _visitor_ip(request: Request) -> str:
    """Per-IP limits key on the client's address (behind TRUSTED_PROXY_HOPS proxies, the one they saw)."""
    return client_ip(request) or "unknown"


async def _limit(request: Request, *names: str) -> None:
    """API.md's per-IP limits, the very windows the landing page's panel counts in."""
    for name in names:
        enforce(request, await panel_limits.hit(name, _visitor_ip(request)))


async def _visitor(x_anonymous_token: Annotated[str | None, Header()] = None) -> AnonymousSession:
    async with db.session() as session:
        return await test_panel.resolve(session, x_anonymous_token)


Visitor = Annotated[AnonymousSession, Depends(_visitor)]


class PhoneIn(CamelModel):
    phone: str = Field(examples=["+55 11 91234-5678"])


class MessageIn(CamelModel):
    to: str = Field(examples=["+55 11 91234-5678"])
    message: str = Field(min_length=1, max_length=4096)


@router.post("/session", response_model=PanelSessionOut)
async def create_session(request: Request) -> PanelSessionOut:
    await _limit(request, "session")
    async with db.session() as session:
        created = await test_panel.create_session(session, _visitor_ip(request), request.headers.get("user-agent"))
    return PanelSessionOut(anonymous_id=created.row.id, anonymous_token=created.token,
                           expires_at=created.row.expires_at)


@router.post("/connect", response_model=PanelConnectOut)
async def connect(request: Request, visitor: Visitor) -> PanelConnectOut:
    await _limit(request, "connect")
    async with db.session() as session:
        return await test_panel.connect(session, visitor)


@router.get("/qr", response_model=QrOut)
async def qr(request: Request, visitor: Visitor) -> QrOut:
    await _limit(request, "qr")
    async with db.session() as session:
        return await test_panel.qr(session, visitor)


@router.post("/pairphone", response_model=PairingOut)
async def pairphone(request: Request, visitor: Visitor, body: PhoneIn) -> PairingOut:
    await _limit(request, "pairphone")
    async with db.session() as session:
        return await test_panel.pair_phone(session, visitor, body.phone)


@router.get("/status", response_model=PanelStatusOut)
async def status(request: Request, visitor: Visitor) -> PanelStatusOut:
    await _limit(request, "status")
    async with db.session() as session:
        return await test_panel.status(session, visitor)


@router.post("/message", response_model=PanelMessageOut)
async def message(request: Request, visitor: Visitor, body: MessageIn) -> PanelMessageOut:
    test_panel.checked_message(body.to, body.message)  # a wrong number or empty text spends no limit
    await _limit(request, "message_second", "message_day")
    async with db.session() as session:
        row = await test_panel.send_test_message(session, visitor, body.to, body.message)
    return PanelMessageOut.of(row)


def install(app: FastAPI) -> None:
    panel_limits.panel_limits()  # a typo in LIVCHAT_PANEL_LIMITS stops the start, not the first visitor
    app.include_router(router)
