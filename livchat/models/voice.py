"""Voice (the Vapi plugin): the calls the widget's visitors made, each recorded in its conversation.

The organization's Vapi keys live in `plugins` (service "vapi", encrypted) with the assistant the
widget uses in its `config`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, UniqueConstraint
from sqlmodel import Field, SQLModel

from livchat.models._base import created_at, fk, id_field, long_text, org_field, timestamp, updated_at


class VoiceCall(SQLModel, table=True):
    """A Vapi web call started from the widget: claimed by the contact session that started it (no
    other session may record it), then filled from Vapi's GET /call/{id} when it ends."""

    __tablename__ = "voice_calls"
    __table_args__ = (UniqueConstraint("organization_id", "vapi_call_id", name="uq_voice_calls_org_call"),)

    id: str = id_field()
    organization_id: str = org_field()
    vapi_call_id: str = Field(max_length=100)
    contact_session_id: str | None = fk("contact_sessions.id", ondelete="SET NULL")
    conversation_id: str | None = fk("conversations.id", ondelete="SET NULL")
    message_id: str | None = Field(default=None, max_length=40)  # the conversation's record of it, once ended
    assistant_id: str = Field(default="", max_length=100)
    status: str = Field(default="", max_length=40)  # Vapi's: queued | ringing | in-progress | forwarding | ended
    ended_reason: str = Field(default="", max_length=200)
    started_at: datetime | None = timestamp()
    ended_at: datetime | None = timestamp()
    duration_seconds: int | None = None
    cost: float | None = Field(default=None, sa_column=Column(Float, nullable=True))  # USD, as Vapi reports it
    summary: str | None = long_text()
    transcript: str | None = long_text()
    recording_url: str | None = Field(default=None, max_length=2000)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()
