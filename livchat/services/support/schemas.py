"""The support desk's wire shapes (camelCase): one per object, used by the REST API
(../shared/API.md "Support desk"), the widget client API and the Reflex inbox alike.

Timestamps serialise as RFC 3339 UTC strings (`...Z`) with `model_dump(mode="json")`; states
that keep these in Reflex vars dump them that way too.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from livchat.services.schemas import CamelModel, Example, Timestamp

_ATTACHMENT: Example = {"id": "att_01JD8Z9A1B2C3D4E5F6G7H8J9K", "filename": "receipt.pdf", "contentType": "application/pdf",
               "sizeBytes": 48213, "isImage": False,
               "url": "https://livchat.example/api/v1/conversations/conv_01JD8Z8S1K2M3N4P5Q6R7S8T9V/attachments/"
                      "att_01JD8Z9A1B2C3D4E5F6G7H8J9K"}
_CONTACT: Example = {"id": "cnt_01JD8Z8R0J1K2M3N4P5Q6R7S8T", "name": "Ana Souza", "email": "ana@example.com", "phone": None,
            "metadata": {"userAgent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0", "language": "pt-BR",
                         "timeZone": "America/Sao_Paulo", "referrer": "https://shop.example/checkout",
                         "ip": "203.0.113.7"}}
_MESSAGE: Example = {"id": "cmsg_01JD8Z9A0A1B2C3D4E5F6G7H8J", "conversationId": "conv_01JD8Z8S1K2M3N4P5Q6R7S8T9V",
            "sender": "operator", "text": "Your order ships tomorrow.", "attachments": [], "sources": None,
            "authorName": "Bruno", "createdAt": "2026-01-15T12:07:00Z"}
_CONVERSATION: Example = {"id": "conv_01JD8Z8S1K2M3N4P5Q6R7S8T9V", "channel": "widget", "status": "escalated",
                 "contact": _CONTACT, "instanceId": None, "unreadCount": 2, "lastMessageAt": "2026-01-15T12:07:00Z",
                 "createdAt": "2026-01-15T12:01:00Z", "lastMessagePreview": "Where is my order?",
                 "lastMessageSender": "contact", "assigneeUserId": None, "assigneeName": None, "language": "pt-BR",
                 "escalatedAt": "2026-01-15T12:03:00Z", "resolvedAt": None}


class ContactOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CONTACT]})

    id: str
    name: str
    email: str
    phone: str | None = Field(default=None, description="E.164 digits (WhatsApp contacts).")
    metadata: dict[str, Any] = Field(default_factory=dict, description=(
        "What the widget learnt of the visitor's browser: userAgent, language, timeZone, referrer (the page "
        "the chat was opened on), ip."))


class AttachmentOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ATTACHMENT]})

    id: str
    filename: str
    content_type: str = Field(description="image/png | image/jpeg | image/gif | image/webp | application/pdf "
                                          "(sniffed from the file's bytes).")
    size_bytes: int
    is_image: bool
    url: str = Field(description="Where to fetch it: the API route (send your API key) in /api/v1 answers; a "
                                 "signed link valid for about an hour in widget answers.")


_SOURCE: Example = {"fileId": "kf_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E", "filename": "returns-policy.pdf",
           "chunkId": "kf_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E:3", "heading": "Returns > Refunds",
           "text": "Refunds are paid to the original card within 7 business days of the return arriving."}
_AI_MESSAGE: Example = {"id": "cmsg_01JD8Z9A0A1B2C3D4E5F6G7H8K", "conversationId": "conv_01JD8Z8S1K2M3N4P5Q6R7S8T9V",
               "sender": "ai", "text": "Refunds are paid to the original card within 7 business days of the return "
                                       "arriving.\n\nSource: returns-policy.pdf",
               "attachments": [], "sources": [_SOURCE], "authorName": None, "createdAt": "2026-01-15T12:01:04Z"}


class SourceOut(CamelModel):
    """A knowledge-base passage an AI answer cites: the file (its id opens it in the knowledge base)
    and the passage (`chunkId`, its headings, a short excerpt)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SOURCE]})

    file_id: str | None = None
    filename: str | None = None
    chunk_id: str | None = Field(default=None, description="`<fileId>:<index>`: the passage within the file.")
    heading: str | None = Field(default=None, description="The headings the passage sits under, `A > B`.")
    text: str = Field(default="", description="A short excerpt of the passage (plain text).")


class ConversationMessageOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_MESSAGE, _AI_MESSAGE]})

    id: str
    conversation_id: str
    sender: str = Field(description="contact | ai | operator | system")
    text: str = Field(description="Plain text: show it as text, never as HTML.")
    attachments: list[AttachmentOut] = Field(default_factory=list)
    sources: list[SourceOut] | None = Field(default=None, description="AI answers: the knowledge-base passages cited.")
    author_name: str | None = Field(default=None, description="Operator replies: the operator's name, or \"API\" "
                                                              "for a reply sent with an API key.")
    created_at: Timestamp


class ConversationOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CONVERSATION]})

    id: str
    channel: str = Field(description="widget | whatsapp")
    status: str = Field(description="unresolved | escalated | resolved")
    contact: ContactOut
    instance_id: str | None = Field(default=None, description="WhatsApp conversations: the instance it came in on.")
    unread_count: int = Field(description="Contact messages no operator has read yet.")
    last_message_at: Timestamp | None
    created_at: Timestamp
    last_message_preview: str = ""
    last_message_sender: str | None = None
    assignee_user_id: str | None = None
    assignee_name: str | None = None
    language: str = Field(default="en", description="The visitor's language (en | pt-BR).")
    escalated_at: Timestamp | None = None
    resolved_at: Timestamp | None = None


class ConversationPage(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [_CONVERSATION], "nextCursor": None}]})

    data: list[ConversationOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null on the last one.")


class ConversationMessagePage(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [_MESSAGE, _AI_MESSAGE], "nextCursor": None}]})

    data: list[ConversationMessageOut] = Field(
        description="Oldest first: the newest page comes first, then older ones.")
    next_cursor: str | None = Field(description="Pass as `cursor` to load the messages before these; null when "
                                                "these are the first.")


class PastConversation(CamelModel):
    id: str
    status: str
    channel: str
    last_message_preview: str
    last_message_at: Timestamp | None
    created_at: Timestamp


class ContactPanel(CamelModel):
    """The inbox's side panel: who this is, their browser, and their other conversations."""

    contact: ContactOut
    past_conversations: list[PastConversation]


class UnreadSummary(CamelModel):
    conversations: int = Field(description="Conversations with contact messages no operator has read.")
    messages: int = Field(description="Those messages, in all.")


class SavedReplyOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "srp_01JD8Z9B0A1B2C3D4E5F6G7H8J", "shortcut": "shipping", "text": "Orders ship within 2 business days.",
        "createdAt": "2026-01-15T12:00:00Z", "updatedAt": "2026-01-15T12:00:00Z"}]})

    id: str
    shortcut: str = Field(description="Typed after `/` in the reply box: lower-case letters, digits, - and _.")
    text: str
    created_at: Timestamp
    updated_at: Timestamp


class SavedReplyList(CamelModel):
    data: list[SavedReplyOut]
