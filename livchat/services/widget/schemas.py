"""The widget's wire shapes (camelCase), used by the widget client API (../shared/API.md
"Widget client API"), the /widget page and the customization page."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from livchat.services.schemas import CamelModel, Example, Timestamp
from livchat.services.support.schemas import ConversationMessageOut

_SETTINGS: Example = {"organizationName": "Acme", "greeting": "Hi! How can we help you today?",
             "suggestions": ["Where is my order?", "How do I return an item?"], "primaryColor": "#0d9488",
             "logoUrl": "https://livchat.example/api/widget/logo/org_01JD8Z5P0A1B2C3D4E5F6G7H8J?v=3f2a9c1b7d4e",
             "position": "bottom-right", "locale": "en"}


class PublicSettings(CamelModel):
    """What any page embedding the widget may know of an organization's widget."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SETTINGS]})

    organization_name: str
    greeting: str = Field(description="The configured greeting, or the default one in `locale`.")
    suggestions: list[str] = Field(description="Up to 3 suggested first questions.")
    primary_color: str = Field(description="#rrggbb")
    accent_color: str = Field(default="#0f766e", description="#rrggbb")
    logo_url: str | None = Field(description="The uploaded logo (PNG, JPEG or WebP), or null.")
    position: str = Field(description="bottom-right | bottom-left")
    locale: str = Field(description="The widget's language when the visitor's is unknown: en | pt-BR.")


class WidgetSettingsOut(PublicSettings):
    """The customization page's view: what is public, plus who may frame the widget."""

    greet_message: str = Field(description="The greeting as configured (empty: the default).")
    allowed_origins: list[str] = Field(description="Sites that may embed the widget (empty: any site).")


class WidgetSettingsUpdate(CamelModel):
    """Fields left out (None) keep their value."""

    greet_message: str | None = None
    suggestions: list[str] | None = None
    primary_color: str | None = None
    accent_color: str | None = None
    position: str | None = None
    locale: str | None = None
    allowed_origins: list[str] | None = None


class SessionIn(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "organizationId": "org_01JD8Z5P0A1B2C3D4E5F6G7H8J", "name": "Ana Souza", "email": "ana@example.com",
        "metadata": {"language": "pt-BR", "timeZone": "America/Sao_Paulo", "referrer": "https://shop.example/cart"}}]})

    organization_id: str = Field(max_length=100)
    name: str = Field(max_length=1000)
    email: str = Field(max_length=1000)
    metadata: dict[str, Any] | None = Field(default=None, description=(
        "What the page knows of the visitor's browser: language, languages, timeZone, referrer (the page the chat "
        "is opened on), pageTitle, screen. The user agent and IP address are taken from the request."))
    previous_contact_token: str | None = Field(default=None, max_length=200, description=(
        "The expired token this browser held before, if any: the new session continues the same contact, so "
        "operators see the earlier conversations."))


class SessionCreated(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "contactSessionId": "cs_01JD8Z8R0J1K2M3N4P5Q6R7S8T", "contactToken": "lc_ct_2b7Zq9cFh3Kx…",
        "expiresAt": "2026-01-16T12:00:00Z"}]})

    contact_session_id: str
    contact_token: str = Field(description="Shown once: send it as `X-Contact-Token`. Valid 24 h.")
    expires_at: Timestamp


class VisitorMessageIn(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "Where is my order?"}]})

    text: str = Field(max_length=20_000, description="Plain text, up to 5,000 characters.")


class MessagePosted(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "conversationId": "conv_01JD8Z8S1K2M3N4P5Q6R7S8T9V", "messageId": "cmsg_01JD8Z9A0A1B2C3D4E5F6G7H8J"}]})

    conversation_id: str
    message_id: str
    attachment_id: str | None = None


class VisitorConversation(CamelModel):
    id: str
    status: str = Field(description="unresolved | escalated | resolved")
    unread_count: int = Field(description="Replies the visitor has not seen yet.")
    created_at: Timestamp


class VisitorMessages(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "data": [{"id": "cmsg_01JD8Z9A0A1B2C3D4E5F6G7H8J", "conversationId": "conv_01JD8Z8S1K2M3N4P5Q6R7S8T9V",
                  "sender": "contact", "text": "How long do refunds take?", "attachments": [],
                  "sources": None, "authorName": None, "createdAt": "2026-01-15T12:01:01Z"},
                 {"id": "cmsg_01JD8Z9A0A1B2C3D4E5F6G7H8K", "conversationId": "conv_01JD8Z8S1K2M3N4P5Q6R7S8T9V",
                  "sender": "ai", "text": "Refunds are paid to the original card within 7 business days of the "
                                          "return arriving.\n\nSource: returns-policy.pdf", "attachments": [],
                  "sources": [{"fileId": "kf_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E", "filename": "returns-policy.pdf",
                               "chunkId": "kf_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E:3", "heading": "Returns > Refunds",
                               "text": "Refunds are paid to the original card within 7 business days of the "
                                       "return arriving."}],
                  "authorName": None, "createdAt": "2026-01-15T12:01:04Z"}],
        "conversation": {"id": "conv_01JD8Z8S1K2M3N4P5Q6R7S8T9V", "status": "unresolved", "unreadCount": 1,
                         "createdAt": "2026-01-15T12:01:00Z"}}]})

    data: list[ConversationMessageOut] = Field(description="Oldest first: those after `after`, or the latest ones.")
    conversation: VisitorConversation | None = Field(description="The visitor's conversation; null before the "
                                                                 "first message.")


class TypingIn(CamelModel):
    typing: bool
