"""Each organization's agent settings: whether it answers the widget, the organization's own
instructions, a tone. Reading takes `read`; changing takes `manage_knowledge` (whoever curates the
knowledge base tunes what the agent says with it). No row means the defaults."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.core.settings import get_settings
from livchat.core.text import is_valid_unicode
from livchat.models import AgentSettings
from livchat.services.actors import Actor
from livchat.services.agent.registry import agent_kind
from livchat.services.agent.schemas import AgentSettingsOut, AgentSettingsUpdate
from livchat.services.errors import InvalidInput

MAX_INSTRUCTIONS = 4000
TONES = ("friendly", "formal", "concise")


@dataclass(frozen=True)
class Effective:
    enabled: bool = True
    instructions: str = ""
    tone: str = "friendly"


async def effective(session: AsyncSession, organization_id: str) -> Effective:
    """The settings the agent works with (the defaults when none were saved)."""
    row = (await session.exec(select(AgentSettings).where(AgentSettings.organization_id == organization_id))).first()
    if row is None:
        return Effective()
    return Effective(enabled=row.enabled, instructions=row.instructions, tone=row.tone)


def checked_instructions(value: Any) -> str:
    if not isinstance(value, str) or "\x00" in value or not is_valid_unicode(value):
        raise InvalidInput("invalid_instructions")
    text = "".join(c for c in value if c in "\n\t" or unicodedata.category(c) != "Cc").strip()
    if len(text) > MAX_INSTRUCTIONS:
        raise InvalidInput("instructions_too_long")
    return text


def checked_tone(value: Any) -> str:
    if value not in TONES:
        raise InvalidInput("invalid_tone")
    return str(value)


def _out(row: AgentSettings | None) -> AgentSettingsOut:
    kind = agent_kind()
    values = Effective() if row is None else Effective(row.enabled, row.instructions, row.tone)
    return AgentSettingsOut(enabled=values.enabled, instructions=values.instructions, tone=values.tone, agent=kind,
                            model=get_settings().openai_chat_model if kind == "openai" else None,
                            updated_at=row.updated_at if row else None)


async def get_agent_settings(session: AsyncSession, actor: Actor) -> AgentSettingsOut:
    actor.require("read")
    row = (await session.exec(select(AgentSettings).where(
        AgentSettings.organization_id == actor.organization_id))).first()
    return _out(row)


async def update_agent_settings(session: AsyncSession, actor: Actor, changes: AgentSettingsUpdate) -> AgentSettingsOut:
    """Checks every field first, then one commit."""
    actor.require("manage_knowledge")
    instructions = checked_instructions(changes.instructions) if changes.instructions is not None else None
    tone = checked_tone(changes.tone) if changes.tone is not None else None
    await session.commit()
    row = (await session.exec(select(AgentSettings).where(
        AgentSettings.organization_id == actor.organization_id).with_for_update())).first()
    if row is None:
        row = AgentSettings(id=new_id("ags"), organization_id=actor.organization_id, instructions="")
    if changes.enabled is not None:
        row.enabled = bool(changes.enabled)
    if instructions is not None:
        row.instructions = instructions
    if tone is not None:
        row.tone = tone
    row.updated_at = utcnow()
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return _out(row)
