"""Helpers of the agent tests: environment switches, the CC0 evaluation corpus (tests/agent/eval)
ingested for an organization, the desk's responder swapped for one agent, conversation reads."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from livchat.core.db import db
from livchat.core.settings import reset_settings_cache
from livchat.models import Conversation, ConversationMessage
from livchat.services.actors import Actor
from livchat.services.agent.core import Agent
from livchat.services.agent.responder import AgentResponder
from livchat.services.knowledge import files, ingestion
from livchat.services.support import responder

CORPUS = Path(__file__).resolve().parent / "eval" / "corpus"


class Environment:
    """Set environment variables for one test; `restore` puts them back (settings re-read)."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def set(self, **values: str) -> None:
        for name, value in values.items():
            self._saved.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        reset_settings_cache()

    def restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings_cache()


async def ingest_corpus(actor: Actor, names: tuple[str, ...] | None = None) -> dict[str, str]:
    """The evaluation corpus (or some of its articles) in the organization's knowledge base: file ids by name."""
    ids = {}
    for path in sorted(CORPUS.glob("*.md")):
        if names is None or path.name in names:
            ids[path.name] = (await files.upload_file(actor, path.name, path.read_bytes())).id
    await ingestion.run_until_idle()
    for file_id in ids.values():
        assert (await files.get_file(actor, file_id)).status == "ready"
    return ids


async def ingest_text(actor: Actor, name: str, text: str) -> str:
    file_id = (await files.upload_file(actor, name, text.encode())).id
    await ingestion.run_until_idle()
    return file_id


@asynccontextmanager
async def answering(agent: Agent | None = None) -> AsyncIterator[None]:
    """The agent answers contact messages (in background tasks) while inside; drained on the way out."""
    responder.install(AgentResponder(agent))
    try:
        yield
    finally:
        await responder.drain()
        responder.uninstall()


async def messages_of(conversation_id: str) -> list[ConversationMessage]:
    async with db.session() as session:
        return list((await session.exec(select(ConversationMessage).where(
            ConversationMessage.conversation_id == conversation_id).order_by(col(ConversationMessage.id)))).all())


async def transcript(conversation_id: str) -> list[tuple[str, str]]:
    return [(m.sender, m.content) for m in await messages_of(conversation_id)]


async def conversation(conversation_id: str) -> Conversation:
    async with db.session() as session:
        row = await session.get(Conversation, conversation_id)
        assert row is not None
        return row


def senders(rows: list[Any]) -> list[str]:
    return [r[0] for r in rows]
