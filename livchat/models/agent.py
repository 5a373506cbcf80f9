"""The AI support agent: each organization's agent settings, and the questions it could not answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from livchat.models._base import (
    created_at,
    fk,
    id_field,
    long_text,
    org_field,
    updated_at,
)


class AgentSettings(SQLModel, table=True):
    """How an organization's agent answers its widget (WhatsApp numbers have their own switch:
    `Instance.agent_enabled`). No row: the defaults."""

    __tablename__ = "agent_settings"

    id: str = id_field()
    organization_id: str = Field(foreign_key="organizations.id", max_length=40, unique=True, ondelete="CASCADE")
    enabled: bool = Field(default=True)  # the agent answers widget conversations
    instructions: str = long_text(nullable=False)  # the organization's own words for the agent
    tone: str = Field(default="friendly", max_length=20)  # friendly | formal | concise
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class UnansweredQuestion(SQLModel, table=True):
    """A question the agent handed to a human because the knowledge base had nothing relevant:
    what to write next in the knowledge base (support analytics)."""

    __tablename__ = "agent_unanswered_questions"
    __table_args__ = (Index("ix_agent_unanswered_org_created", "organization_id", "created_at"),)

    id: str = id_field()
    organization_id: str = org_field()
    conversation_id: str | None = fk("conversations.id", ondelete="SET NULL")
    channel: str = Field(default="widget", max_length=20)
    language: str = Field(default="en", max_length=10)
    question: str = long_text(nullable=False)
    best_similarity: float | None = None  # of the best passage found (below the threshold)
    created_at: datetime = created_at()
