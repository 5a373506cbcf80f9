"""Notices for an organization's dashboard (a paused webhook, ...), in the reader's language.

A notice is a kind plus parameters; its text comes from the `notifications.<kind>.*` catalogue
keys, so each reader sees it in their language. `notify` runs inside the caller's transaction and
emits `NotificationCreated`, which open dashboards receive live after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.events import DomainEvent, bus
from livchat.core.ids import new_id
from livchat.i18n import CATALOGUES, translate
from livchat.models.system import Notification
from livchat.services.actors import Actor
from livchat.services.errors import NotFound
from livchat.services.notifications.schemas import NoticeOut, NoticeText

UNREAD_SHOWN = 10


@dataclass(frozen=True, kw_only=True)
class NotificationCreated(DomainEvent):
    kind: str


def render(kind: str, params: dict[str, str], language: str) -> tuple[str, str]:
    return (translate(f"notifications.{kind}.title", language, **params),
            translate(f"notifications.{kind}.body", language, **params))


async def notify(session: AsyncSession, organization_id: str, kind: str, **params: str) -> Notification:
    title, body = render(kind, params, "en")
    notice = Notification(id=new_id("ntf"), organization_id=organization_id, kind=kind, title=title[:200],
                          body=body, params=params)
    session.add(notice)
    await bus.emit(session, NotificationCreated(organization_id=organization_id, kind=kind))
    return notice


async def unread(session: AsyncSession, organization_id: str, limit: int = UNREAD_SHOWN) -> list[NoticeOut]:
    rows = (await session.exec(
        select(Notification)
        .where(Notification.organization_id == organization_id, col(Notification.read_at).is_(None))
        .order_by(col(Notification.id).desc())
        .limit(limit)
    )).all()
    return [NoticeOut(id=row.id, kind=row.kind, created_at=row.created_at,
                      text={lang: NoticeText(title=title, body=body) for lang in CATALOGUES
                            for title, body in [render(row.kind, row.params or {}, lang)]})
            for row in rows]


async def dismiss(session: AsyncSession, actor: Actor, notification_id: str) -> None:
    """Mark one notice read (any member may); another organization's id is NotFound. Commits."""
    actor.require("read")
    row = (await session.exec(select(Notification).where(
        Notification.id == notification_id, Notification.organization_id == actor.organization_id))).first()
    if row is None:
        raise NotFound("notification")
    if row.read_at is None:
        row.read_at = utcnow()
        await session.commit()
