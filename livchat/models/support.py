"""The support desk: widget visitors, conversations, the knowledge base, widget look."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from livchat.models._base import (
    created_at,
    fk,
    id_field,
    json_dict,
    json_list,
    long_text,
    org_field,
    timestamp,
    updated_at,
)
from livchat.models.enums import ConversationChannel, ConversationStatus, FileStatus


class ContactSession(SQLModel, table=True):
    """A widget visitor (name, email, browser facts). Expires; a new one opens on return."""

    __tablename__ = "contact_sessions"

    id: str = id_field()
    organization_id: str = org_field()
    name: str = Field(default="", max_length=120)
    email: str = Field(default="", max_length=320)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    metadata_: dict[str, Any] = json_dict("metadata")
    expires_at: datetime = timestamp(index=True, required=True)
    created_at: datetime = created_at()


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_org_status_last", "organization_id", "status", "last_message_at"),
    )

    id: str = id_field()
    organization_id: str = Field(foreign_key="organizations.id", max_length=40, ondelete="CASCADE")
    channel: str = Field(default=ConversationChannel.WIDGET, max_length=20)
    contact_session_id: str | None = fk("contact_sessions.id", ondelete="SET NULL")
    instance_id: str | None = fk("instances.id", ondelete="SET NULL")
    chat_jid: str | None = Field(default=None, max_length=100)
    status: str = Field(default=ConversationStatus.UNRESOLVED, max_length=20)
    subject: str | None = Field(default=None, max_length=200)
    metadata_: dict[str, Any] = json_dict("metadata")
    assignee_user_id: str | None = fk("users.id", ondelete="SET NULL", index=False)
    unread_count: int = Field(default=0)
    last_message_at: datetime | None = timestamp()
    resolved_at: datetime | None = timestamp()
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class ConversationMessage(SQLModel, table=True):
    __tablename__ = "conversation_messages"
    __table_args__ = (Index("ix_conv_messages_conv_created", "conversation_id", "created_at"),)

    id: str = id_field()
    organization_id: str = org_field()
    conversation_id: str = Field(foreign_key="conversations.id", max_length=40, ondelete="CASCADE")
    sender: str = Field(max_length=20)
    author_user_id: str | None = fk("users.id", ondelete="SET NULL", index=False)
    content: str = long_text(nullable=False)
    content_type: str = Field(default="text", max_length=20)
    metadata_: dict[str, Any] = json_dict("metadata")
    created_at: datetime = created_at()


class KnowledgeFile(SQLModel, table=True):
    """A file (or a web page imported by URL) of an organization's knowledge base. Its chunks live
    in LanceDB (services/knowledge/store.py); `updated_at` doubles as the ingestion job's heartbeat."""

    __tablename__ = "knowledge_files"
    __table_args__ = (Index("ix_knowledge_files_org_created", "organization_id", "created_at"),
                      Index("ix_knowledge_files_status_updated", "status", "updated_at"))

    id: str = id_field()
    organization_id: str = Field(foreign_key="organizations.id", max_length=40, ondelete="CASCADE")
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=500)  # private storage, never under a public path
    source_url: str | None = Field(default=None, max_length=2000)  # a web page imported by URL
    status: str = Field(default=FileStatus.PENDING, max_length=20)
    stage: str = Field(default="queued", max_length=20)  # queued | extract | chunk | embed | write | done
    progress: int = Field(default=0)  # percent
    attempts: int = Field(default=0)  # ingestion runs started (a crash mid-run leaves it counted)
    error: str | None = Field(default=None, max_length=500)  # English, for API callers
    error_code: str | None = Field(default=None, max_length=60)  # stable reason, translated by the UI
    chunk_count: int = Field(default=0)
    embedder: str | None = Field(default=None, max_length=100)
    uploaded_by_user_id: str | None = fk("users.id", ondelete="SET NULL", index=False)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class WidgetSettings(SQLModel, table=True):
    __tablename__ = "widget_settings"

    id: str = id_field()
    organization_id: str = Field(foreign_key="organizations.id", max_length=40, unique=True, ondelete="CASCADE")
    greet_message: str = Field(default="", max_length=500)
    suggestions: list[str] = json_list()
    primary_color: str = Field(default="#0d9488", max_length=20)
    accent_color: str = Field(default="#0f766e", max_length=20)
    logo_url: str | None = Field(default=None, max_length=1000)
    position: str = Field(default="bottom-right", max_length=20)
    allowed_origins: list[str] = json_list()  # empty: any site may frame the widget
    vapi_settings: dict[str, Any] = json_dict()
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class Plugin(SQLModel, table=True):
    """An organization's connection to an outside service (Vapi, ...). Keys encrypted."""

    __tablename__ = "plugins"
    __table_args__ = (UniqueConstraint("organization_id", "service"),)

    id: str = id_field()
    organization_id: str = org_field()
    service: str = Field(max_length=40)
    enabled: bool = Field(default=True)
    config: dict[str, Any] = json_dict()
    secret_encrypted: str | None = long_text()
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()
