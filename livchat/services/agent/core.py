"""The one agent interface and the tool loop both implementations share.

An agent gets a `Turn` (the organization, the visitor's question, the language to answer in, the
current episode's history, the organization's instructions and tone) and returns an `Outcome`: an
answer with the passages it cites, a handoff to a person (with why), or a resolution (with a
closing line) — plus the passages it retrieved and the tools it called, in order (the trace the
playground shows). It never writes to a conversation itself: the responder (responder.py) applies
the outcome to one, the playground (playground.py) shows it without any.

Tools (`TOOLS`, the OpenAI function specs; the offline agent calls the same three through the same
`Toolbox`):
- search_knowledge_base(query): the organization's hybrid search (passages with similarity);
- escalate_conversation(reason): hand the conversation to a person;
- resolve_conversation(): the visitor is done.
Escalating and resolving are decisions recorded by the toolbox and applied after the loop, so a
turn that is dropped (an operator answered meanwhile) changes nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from openai.types.chat import ChatCompletionFunctionToolParam

from livchat.services.errors import InvalidInput
from livchat.services.knowledge import search as knowledge_search
from livchat.services.knowledge.schemas import SearchHitOut
from livchat.services.support.schemas import SourceOut

Action = Literal["answer", "escalate", "resolve"]
HistoryRole = Literal["visitor", "agent", "operator", "system"]
# Why a conversation goes to a person: asked for one, nothing relevant in the knowledge base, the AI
# service failed (or took too long), the tool loop ran out of rounds, the model's own judgement.
REASONS = ("human_requested", "no_answer", "agent_error", "max_rounds", "other")
SEARCH_LIMIT = 5
EXCERPT_CHARS = 280

DraftSink = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class HistoryItem:
    role: HistoryRole
    text: str


@dataclass(frozen=True)
class Turn:
    organization_id: str
    question: str
    language: str  # en | pt-BR: the answer's
    history: tuple[HistoryItem, ...] = ()  # the current episode before the question, oldest first
    instructions: str = ""
    tone: str = "friendly"
    channel: str = "widget"


@dataclass
class TraceStep:
    """One tool call: what was asked, what came back (a short summary), how long it took."""

    tool: str
    arguments: dict[str, Any]
    result: str
    duration_ms: float
    hits: list[SearchHitOut] = field(default_factory=list)


@dataclass
class Outcome:
    action: Action
    text: str  # the answer, or the closing line; may be empty for a handoff (the desk's note follows)
    agent: str  # openai | extractive
    sources: list[SourceOut] = field(default_factory=list)
    passages: list[SearchHitOut] = field(default_factory=list)  # every passage retrieved, best first
    trace: list[TraceStep] = field(default_factory=list)
    reason: str | None = None  # for a handoff: one of REASONS
    best_similarity: float | None = None  # of the best passage retrieved (None: no vector, or none found)
    error: str | None = None  # what failed, for logs (agent_error)


class Agent(Protocol):
    name: str

    async def run(self, turn: Turn, on_draft: DraftSink | None = None) -> Outcome:
        """Never raises for a failure of its own: it hands off (`agent_error`) instead."""
        ...


TOOLS: list[ChatCompletionFunctionToolParam] = [
    {"type": "function", "function": {
        "name": "search_knowledge_base",
        "description": "Search the organization's help articles. Call it before answering any question about the "
                       "organization, its products, orders, policies or services. Returns numbered passages.",
        "parameters": {"type": "object", "properties": {
            "query": {"type": "string", "description": "What to look for, in the visitor's words."}},
            "required": ["query"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "escalate_conversation",
        "description": "Hand the conversation to a human operator. Call it when the visitor asks for a person, or "
                       "when the help articles do not answer their question.",
        "parameters": {"type": "object", "properties": {
            "reason": {"type": "string", "enum": ["human_requested", "no_answer", "other"],
                       "description": "human_requested: the visitor asked for a person; no_answer: the articles "
                                      "do not answer it; other: anything else a person must handle."}},
            "required": ["reason"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "resolve_conversation",
        "description": "Close the conversation as resolved when the visitor thanks you or says goodbye and has "
                       "nothing else to ask.",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False}}},
]


# --- passages and sources ------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ0-9\"“(])|\n+")


def sentences(text: str) -> list[str]:
    """A passage's sentences (and list items, one per line), trimmed, in order."""
    return [s.strip(" \t-•*#") for s in _SENTENCE.split(text) if s.strip(" \t-•*#")]


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short excerpt: whole sentences up to `limit` characters (or the first one cut on a word)."""
    picked: list[str] = []
    length = 0
    for sentence in sentences(text):
        if picked and length + len(sentence) + 1 > limit:
            break
        picked.append(sentence)
        length += len(sentence) + 1
    out = " ".join(picked) or text.strip()
    if len(out) > limit:
        out = out[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return out


def source_of(hit: SearchHitOut, text: str | None = None) -> SourceOut:
    return SourceOut(file_id=hit.file_id, filename=hit.filename, chunk_id=hit.chunk_id,
                     heading=hit.heading or None, text=excerpt(text if text is not None else hit.text))


def source_files(sources: list[SourceOut]) -> list[str]:
    """The cited files' names, each once, in citing order."""
    return list(dict.fromkeys(s.filename for s in sources if s.filename))


# --- the toolbox -------------------------------------------------------------------------------------

@dataclass
class Decision:
    action: Action
    reason: str | None = None


class Toolbox:
    """Runs the agent's tool calls for one turn and records them (the trace), the passages found,
    and the decision to escalate or resolve."""

    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        self.trace: list[TraceStep] = []
        self.passages: dict[str, SearchHitOut] = {}  # chunk id → hit, first seen first
        self.last_hits: list[SearchHitOut] = []
        self.decision: Decision | None = None

    @property
    def retrieved(self) -> list[SearchHitOut]:
        return sorted(self.passages.values(),
                      key=lambda h: -(h.similarity if h.similarity is not None else h.score))

    @property
    def best_similarity(self) -> float | None:
        return max((h.similarity for h in self.passages.values() if h.similarity is not None), default=None)

    async def call(self, name: str, arguments: dict[str, Any]) -> str:
        """Run one tool; its result as the model reads it (text)."""
        started = time.perf_counter()
        hits: list[SearchHitOut] = []
        if name == "search_knowledge_base":
            query = str(arguments.get("query") or self.turn.question)
            hits = await self.search(query)
            result = self.render(hits)
        elif name == "escalate_conversation":
            reason = str(arguments.get("reason") or "other")
            self.decision = Decision("escalate", reason if reason in REASONS else "other")
            result = "The conversation is handed to a human operator."
        elif name == "resolve_conversation":
            self.decision = Decision("resolve")
            result = "The conversation is resolved."
        else:
            result = f"Unknown tool {name!r}."
        self.trace.append(TraceStep(tool=name, arguments=arguments, result=_summary(name, result, hits),
                                    duration_ms=round((time.perf_counter() - started) * 1000, 1), hits=hits))
        return result

    async def search(self, query: str) -> list[SearchHitOut]:
        query = " ".join(query.split())[:knowledge_search.MAX_QUERY_CHARS]
        try:
            hits = await knowledge_search.search_chunks(self.turn.organization_id, query, SEARCH_LIMIT)
        except InvalidInput:
            hits = []
        for hit in hits:
            self.passages.setdefault(hit.chunk_id, hit)
        self.last_hits = hits
        return hits

    def number(self, hit: SearchHitOut) -> int:
        """A passage's citation number in this turn ([1], [2], …: order of first retrieval)."""
        return list(self.passages).index(hit.chunk_id) + 1

    def by_number(self, number: int) -> SearchHitOut | None:
        ids = list(self.passages)
        return self.passages[ids[number - 1]] if 1 <= number <= len(ids) else None

    def render(self, hits: list[SearchHitOut]) -> str:
        if not hits:
            return "No passage of the help articles matches this query."
        parts = []
        for hit in hits:
            similarity = "" if hit.similarity is None else f", relevance {hit.similarity:.2f}"
            heading = f" — {hit.heading}" if hit.heading else ""
            parts.append(f"[{self.number(hit)}] {hit.filename}{heading}{similarity}\n{hit.text}")
        return "\n\n".join(parts)


def _summary(name: str, result: str, hits: list[SearchHitOut]) -> str:
    if name == "search_knowledge_base":
        return f"{len(hits)} passage(s)" + (f", best: {hits[0].filename}" if hits else "")
    return result
