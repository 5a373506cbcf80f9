"""Every table. Importing this module registers them all on SQLModel.metadata."""

from sqlmodel import SQLModel

from livchat.models.accounts import (
    ApiKey,
    AuthToken,
    ClerkWebhookEvent,
    Invitation,
    Membership,
    Organization,
    User,
    UserSession,
)
from livchat.models.agent import AgentSettings, UnansweredQuestion
from livchat.models.support import (
    Contact,
    ContactSession,
    Conversation,
    ConversationAttachment,
    ConversationMessage,
    KnowledgeFile,
    Plugin,
    SavedReply,
    WidgetSettings,
)
from livchat.models.system import (
    EmailOutbox,
    IdempotencyKey,
    Notification,
    StripeWebhookEvent,
    Subscription,
)
from livchat.models.voice import VoiceCall
from livchat.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from livchat.models.whatsapp import AnonymousSession, Instance, Message, UsageDaily

metadata = SQLModel.metadata

__all__ = [
    "AgentSettings",
    "AnonymousSession",
    "ApiKey",
    "AuthToken",
    "ClerkWebhookEvent",
    "Contact",
    "ContactSession",
    "Conversation",
    "ConversationAttachment",
    "ConversationMessage",
    "EmailOutbox",
    "IdempotencyKey",
    "Instance",
    "Invitation",
    "KnowledgeFile",
    "Membership",
    "Message",
    "Notification",
    "Organization",
    "Plugin",
    "SavedReply",
    "StripeWebhookEvent",
    "Subscription",
    "UnansweredQuestion",
    "UsageDaily",
    "User",
    "UserSession",
    "VoiceCall",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WidgetSettings",
    "metadata",
]
