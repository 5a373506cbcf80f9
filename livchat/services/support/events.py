"""Domain events of the support desk, published on `livchat.core.events.bus` after the commit
(`bus.emit` inside the transaction, `bus.commit_and_publish` at its end) — except typing and the
agent's drafts, which are never stored and are published at once.

Every event carries `organization_id` and `conversation_id` (and the contact session's id when
the conversation came from the widget), so a subscriber can route it to the organization's
inbox feed and the conversation's own feed without reading the database. Subscribe to
`MessageAdded` for every new message whoever sent it, or to one of its kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

from livchat.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class SupportEvent(DomainEvent):
    organization_id: str
    conversation_id: str
    contact_session_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConversationOpened(SupportEvent):
    channel: str


@dataclass(frozen=True, kw_only=True)
class MessageAdded(SupportEvent):
    message_id: str
    sender: str


@dataclass(frozen=True, kw_only=True)
class ContactMessageReceived(MessageAdded):
    """What a responder (the AI agent's hook) reacts to. `first` is the conversation's first
    contact message; `reopened` says this message reopened a resolved conversation."""

    language: str
    first: bool = False
    reopened: bool = False


@dataclass(frozen=True, kw_only=True)
class OperatorReplied(MessageAdded):
    author_user_id: str | None = None
    author_api_key_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class AgentReplied(MessageAdded):
    pass


@dataclass(frozen=True, kw_only=True)
class SystemMessagePosted(MessageAdded):
    pass


@dataclass(frozen=True, kw_only=True)
class AgentDraft(SupportEvent):
    """The AI agent's answer while it is being written (streamed): the text so far, throttled (about
    every 80 ms). Never stored: the final answer is one AgentReplied message with its sources; an
    empty `text` withdraws the draft (the answer was stored, or dropped). Published at once."""

    text: str


@dataclass(frozen=True, kw_only=True)
class ConversationStatusChanged(SupportEvent):
    status: str
    previous: str
    by: str  # contact | operator | ai | system


@dataclass(frozen=True, kw_only=True)
class ConversationAssigned(SupportEvent):
    assignee_user_id: str | None


@dataclass(frozen=True, kw_only=True)
class ConversationRead(SupportEvent):
    side: str  # operator | contact


@dataclass(frozen=True, kw_only=True)
class TypingChanged(SupportEvent):
    side: str  # contact | operator
    typing: bool
