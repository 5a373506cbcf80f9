"""Saved replies: canned answers an operator inserts by typing `/` and the shortcut. Every
operator (`work_inbox`) reads and keeps them; shortcuts are unique per organization."""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.models import SavedReply
from livchat.services.actors import Actor
from livchat.services.errors import Conflict, InvalidInput, NotFound
from livchat.services.support.conversations import checked_text
from livchat.services.support.ids import is_id
from livchat.services.support.schemas import SavedReplyList, SavedReplyOut

MAX_SAVED_REPLIES = 500
_SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def checked_shortcut(value: object) -> str:
    shortcut = value.strip().lstrip("/").lower() if isinstance(value, str) else ""
    if not _SHORTCUT.match(shortcut):
        raise InvalidInput("invalid_shortcut")
    return shortcut


def _out(row: SavedReply) -> SavedReplyOut:
    return SavedReplyOut(id=row.id, shortcut=row.shortcut, text=row.text, created_at=row.created_at,
                         updated_at=row.updated_at)


async def list_saved_replies(session: AsyncSession, actor: Actor, prefix: str | None = None) -> SavedReplyList:
    """Alphabetical by shortcut; `prefix` narrows to the shortcuts starting with it (the `/` menu)."""
    actor.require("read")
    query = select(SavedReply).where(SavedReply.organization_id == actor.organization_id)
    wanted = (prefix or "").strip().lstrip("/").lower()
    if wanted:
        if not _SHORTCUT.match(wanted):
            return SavedReplyList(data=[])
        query = query.where(col(SavedReply.shortcut).startswith(wanted, autoescape=True))
    rows = (await session.exec(query.order_by(col(SavedReply.shortcut)).limit(MAX_SAVED_REPLIES))).all()
    return SavedReplyList(data=[_out(r) for r in rows])


async def _saved_reply(session: AsyncSession, actor: Actor, saved_reply_id: str) -> SavedReply:
    if not is_id(saved_reply_id):
        raise NotFound("saved_reply_not_found")
    row = (await session.exec(select(SavedReply).where(SavedReply.id == saved_reply_id,
                                                       SavedReply.organization_id == actor.organization_id))).first()
    if row is None:
        raise NotFound("saved_reply_not_found")
    return row


async def get_saved_reply(session: AsyncSession, actor: Actor, saved_reply_id: str) -> SavedReplyOut:
    actor.require("read")
    return _out(await _saved_reply(session, actor, saved_reply_id))


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict("saved_reply_shortcut_taken") from None


async def create_saved_reply(session: AsyncSession, actor: Actor, shortcut: str, text: str) -> SavedReplyOut:
    actor.require("work_inbox")
    row = SavedReply(id=new_id("srp"), organization_id=actor.organization_id, shortcut=checked_shortcut(shortcut),
                     text=checked_text(text), created_by_user_id=actor.user_id)
    session.add(row)
    await _commit(session)
    return _out(row)


async def update_saved_reply(session: AsyncSession, actor: Actor, saved_reply_id: str, *,
                             shortcut: str | None = None, text: str | None = None) -> SavedReplyOut:
    actor.require("work_inbox")
    new_shortcut = checked_shortcut(shortcut) if shortcut is not None else None
    new_text = checked_text(text) if text is not None else None
    row = await _saved_reply(session, actor, saved_reply_id)
    if new_shortcut is not None:
        row.shortcut = new_shortcut
    if new_text is not None:
        row.text = new_text
    row.updated_at = utcnow()
    session.add(row)
    await _commit(session)
    return _out(row)


async def delete_saved_reply(session: AsyncSession, actor: Actor, saved_reply_id: str) -> None:
    actor.require("work_inbox")
    row = await _saved_reply(session, actor, saved_reply_id)
    await session.delete(row)
    await session.commit()
