"""The support desk: contacts and their widget sessions, conversations, attachments, saved replies,
the knowledge base, the widget's look."""

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
from livchat.models.enums import (
    ConversationChannel,
    ConversationStatus,
    FileStatus,
    WidgetPosition,
)


class Contact(SQLModel, table=True):
    """Someone the organization talks to. A widget contact belongs to the browser that opened its
    session (an email typed in the form links nothing); a WhatsApp contact is keyed by its phone."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("organization_id", "phone", name="uq_contacts_org_phone"),
        Index("ix_contacts_org_email", "organization_id", "email"),
    )

    id: str = id_field()
    organization_id: str = org_field()
    name: str = Field(default="", max_length=120)
    email: str = Field(default="", max_length=320)
    phone: str | None = Field(default=None, max_length=20)  # E.164 digits
    metadata_: dict[str, Any] = json_dict("metadata")
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class ContactSession(SQLModel, table=True):
    """A widget visitor's credential (name, email, browser facts), valid 24 h; a new one opens on return."""

    __tablename__ = "contact_sessions"

    id: str = id_field()
    organization_id: str = org_field()
    contact_id: str | None = fk("contacts.id", ondelete="SET NULL")
    name: str = Field(default="", max_length=120)
    email: str = Field(default="", max_length=320)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    metadata_: dict[str, Any] = json_dict("metadata")
    expires_at: datetime = timestamp(index=True, required=True)
    last_seen_at: datetime | None = timestamp()
    created_at: datetime = created_at()


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_org_status_last", "organization_id", "status", "last_message_at"),
        Index("ix_conversations_org_last", "organization_id", "last_message_at", "id"),
        # A WhatsApp contact's conversation on one number (services/support/whatsapp_channel.py).
        Index("ix_conversations_instance_contact", "instance_id", "contact_id", "created_at"),
    )

    id: str = id_field()
    organization_id: str = Field(foreign_key="organizations.id", max_length=40, ondelete="CASCADE")
    channel: str = Field(default=ConversationChannel.WIDGET, max_length=20)
    contact_id: str | None = fk("contacts.id", ondelete="SET NULL")
    contact_session_id: str | None = fk("contact_sessions.id", ondelete="SET NULL")
    instance_id: str | None = fk("instances.id", ondelete="SET NULL")
    chat_jid: str | None = Field(default=None, max_length=100)
    status: str = Field(default=ConversationStatus.UNRESOLVED, max_length=20)
    language: str = Field(default="en", max_length=10)  # the visitor's, for texts we write to them
    subject: str | None = Field(default=None, max_length=200)
    metadata_: dict[str, Any] = json_dict("metadata")
    assignee_user_id: str | None = fk("users.id", ondelete="SET NULL", index=False)
    unread_count: int = Field(default=0)  # contact messages no operator has read yet
    contact_unread_count: int = Field(default=0)  # replies the contact has not seen yet
    contact_last_seen_at: datetime | None = timestamp()
    last_message_id: str | None = Field(default=None, max_length=40)  # message ids only grow (ids.later_id)
    last_message_preview: str = Field(default="", max_length=200)
    last_message_sender: str | None = Field(default=None, max_length=20)
    last_message_at: datetime | None = timestamp()
    escalated_at: datetime | None = timestamp()
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
    author_api_key_id: str | None = fk("api_keys.id", ondelete="SET NULL", index=False)  # shown as "API"
    content: str = long_text(nullable=False)  # plain text, always rendered inert
    content_type: str = Field(default="text", max_length=20)
    metadata_: dict[str, Any] = json_dict("metadata")
    # The WhatsApp message (`msg_…`) a contact message mirrors: each one enters a conversation once.
    source_message_id: str | None = Field(default=None, max_length=40, unique=True, index=True)
    created_at: datetime = created_at()


class ConversationAttachment(SQLModel, table=True):
    """A file a contact or an operator sent in a conversation: private storage, served only to the
    conversation's contact session and its organization's operators."""

    __tablename__ = "conversation_attachments"

    id: str = id_field()
    organization_id: str = org_field()
    conversation_id: str = fk("conversations.id", nullable=False)
    message_id: str = fk("conversation_messages.id", nullable=False)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)  # sniffed from the bytes, never the client's say-so
    size_bytes: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=500)  # relative to the private attachments folder
    created_at: datetime = created_at()


class SavedReply(SQLModel, table=True):
    """A canned answer an operator inserts by its shortcut (`/shortcut`)."""

    __tablename__ = "saved_replies"
    __table_args__ = (UniqueConstraint("organization_id", "shortcut", name="uq_saved_replies_org_shortcut"),)

    id: str = id_field()
    organization_id: str = org_field()
    shortcut: str = Field(max_length=40)
    text: str = long_text(nullable=False)
    created_by_user_id: str | None = fk("users.id", ondelete="SET NULL", index=False)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


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
    greet_message: str = Field(default="", max_length=500)  # empty: the default greeting in `locale`
    suggestions: list[str] = json_list()
    primary_color: str = Field(default="#0d9488", max_length=20)
    accent_color: str = Field(default="#0f766e", max_length=20)
    logo_url: str | None = Field(default=None, max_length=1000)  # the served path of the uploaded logo
    logo_storage_key: str | None = Field(default=None, max_length=500)
    logo_content_type: str | None = Field(default=None, max_length=100)
    position: str = Field(default=WidgetPosition.BOTTOM_RIGHT, max_length=20)
    locale: str = Field(default="en", max_length=10)  # the widget's language when the visitor's is unknown
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
