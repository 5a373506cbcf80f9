"""The agent's wire shapes (camelCase): its settings, and what the playground shows of one answer.
Used by the dashboard's knowledge-base page (settings, playground) and any API route over them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from livchat.services.knowledge.schemas import SearchHitOut
from livchat.services.schemas import CamelModel, Example, Timestamp
from livchat.services.support.schemas import SourceOut

_SETTINGS: Example = {"enabled": True, "instructions": "We are Aurora Store. Never promise delivery dates.", "tone": "friendly",
             "agent": "extractive", "model": None, "updatedAt": "2026-01-15T12:00:00Z"}


class AgentSettingsOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SETTINGS]})

    enabled: bool = Field(description="The agent answers widget conversations (WhatsApp numbers: each instance's "
                                      "own switch).")
    instructions: str = Field(description="The organization's own instructions to the agent (plain text).")
    tone: str = Field(description="friendly | formal | concise")
    agent: str = Field(description="Which agent answers in this deployment: openai | extractive | off "
                                   "(LIVCHAT_AGENT).")
    model: str | None = Field(description="The chat model, for the openai agent.")
    updated_at: Timestamp | None = None


class AgentSettingsUpdate(CamelModel):
    """Fields left out (None) keep their value."""

    enabled: bool | None = None
    instructions: str | None = None
    tone: str | None = None


class HistoryIn(CamelModel):
    role: Literal["visitor", "agent"]
    text: str = Field(max_length=5000)


class TraceStepOut(CamelModel):
    """One tool the agent called, in order."""

    tool: str = Field(description="search_knowledge_base | escalate_conversation | resolve_conversation")
    arguments: dict[str, Any]
    result: str = Field(description="A short summary of what the tool returned.")
    duration_ms: float
    chunk_ids: list[str] = Field(default_factory=list, description="The passages a search returned, best first.")


class PlaygroundAnswer(CamelModel):
    """What the agent would do with a visitor's question: nothing is stored, no conversation is made."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "agent": "extractive", "language": "en", "action": "answer", "reason": None,
        "text": "Here is what I found in our help articles:\n\nRefunds are paid within 7 business days.\n\n"
                "Source: returns.md\n\nDid this answer your question? If not, ask me to talk to a person.",
        "sources": [{"fileId": "kf_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E", "filename": "returns.md",
                     "chunkId": "kf_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E:0", "heading": "Refunds",
                     "text": "Refunds are paid within 7 business days."}],
        "passages": [{"fileId": "kf_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E", "filename": "returns.md",
                      "chunkId": "kf_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E:0", "heading": "Refunds",
                      "text": "Refunds are paid within 7 business days of the return arriving.", "score": 1.0,
                      "similarity": 0.62}],
        "trace": [{"tool": "search_knowledge_base", "arguments": {"query": "How long do refunds take?"},
                   "result": "1 passage(s), best: returns.md", "durationMs": 41.2,
                   "chunkIds": ["kf_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E:0"]}],
        "threshold": 0.3, "thresholdSharedWord": 0.12, "durationMs": 57.9, "firstDraftMs": None}]})

    agent: str = Field(description="openai | extractive")
    language: str = Field(description="The language the agent answered in (en | pt-BR).")
    action: Literal["answer", "escalate", "resolve"] = Field(description="What it would do to a conversation.")
    reason: str | None = Field(description="Why it would hand off: human_requested | no_answer | agent_error | "
                                           "max_rounds | other.")
    text: str = Field(description="Its answer (or closing line; the handoff note for a handoff).")
    sources: list[SourceOut] = Field(description="The passages the answer cites.")
    passages: list[SearchHitOut] = Field(description="Every passage retrieved, most similar first, with its "
                                                     "score (rank fusion) and similarity (cosine).")
    trace: list[TraceStepOut]
    threshold: float = Field(description="The similarity a passage needs to be quoted on meaning alone (by the "
                                         "offline agent, and for the OpenAI one's fallback citations).")
    threshold_shared_word: float = Field(description="The similarity enough for a passage that shares a word with "
                                                     "the question.")
    duration_ms: float
    first_draft_ms: float | None = Field(description="When the first streamed text arrived (openai agent).")
