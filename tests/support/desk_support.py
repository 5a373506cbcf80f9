"""Helpers of the support-desk and widget tests (a module, not a conftest: test directories have
no packages). Organizations with an owner, an operator and an API key; widget visitors; a
recorder of the bus's support events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from livchat.core.db import db
from livchat.core.events import bus
from livchat.models.enums import Plan, Role
from livchat.services.accounts import api_keys, users
from livchat.services.actors import Actor
from livchat.services.support.events import SupportEvent
from livchat.services.widget import sessions
from livchat.services.widget.sessions import Visitor

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Org:
    id: str
    name: str
    owner: Actor
    operator: Actor
    api: Actor
    headers: dict[str, str]
    operator_name: str


async def make_org(name: str = "Acme", plan: str = Plan.STARTER) -> Org:
    suffix = uuid4().hex[:8]
    async with db.session() as session:
        owner = await users.create_user(session, f"owner-{suffix}@example.com", None, name="Olivia Owner")
        operator = await users.create_user(session, f"op-{suffix}@example.com", None, name="Bruno Operator")
        org = await users.create_organization(session, f"{name} {suffix}", owner=owner)
        org.plan = plan
        session.add(org)
        await users.add_member(session, org, operator, Role.MEMBER)
        key = await api_keys.create_api_key(session, Actor.for_member(org.id, owner.id, Role.OWNER), "desk")
        await session.commit()
    return Org(id=org.id, name=org.name, owner=Actor.for_member(org.id, owner.id, Role.OWNER),
               operator=Actor.for_member(org.id, operator.id, Role.MEMBER),
               api=Actor.for_api_key(org.id, key.key.id), headers={"Authorization": f"Bearer {key.secret}"},
               operator_name="Bruno Operator")


async def make_visitor(organization_id: str, *, name: str = "Ana Souza", email: str | None = None,
                       language: str = "en", ip: str = "203.0.113.7") -> tuple[Visitor, str]:
    async with db.session() as session:
        created = await sessions.create_session(
            session, organization_id, name, email or f"ana-{uuid4().hex[:6]}@example.com",
            {"language": language, "timeZone": "America/Sao_Paulo", "referrer": "https://shop.example/cart"},
            ip=ip, user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0")
    return created.visitor, created.token


@dataclass
class EventLog:
    """Every support event the bus publishes while installed (after their commits)."""

    seen: list[SupportEvent] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _unsubscribe: Callable[[], None] | None = None

    async def record(self, event: SupportEvent) -> None:
        async with self._changed:
            self.seen.append(event)
            self._changed.notify_all()

    def __enter__(self) -> EventLog:
        self._unsubscribe = bus.subscribe(SupportEvent, self.record)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._unsubscribe:
            self._unsubscribe()

    def of(self, kind: type, **fields: Any) -> list[Any]:
        return [e for e in self.seen if isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())]

    async def wait_for(self, kind: type, timeout: float = 10.0, **fields: Any) -> Any:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.of(kind, **fields)), timeout)
        return self.of(kind, **fields)[0]
