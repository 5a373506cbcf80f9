"""The agent on OpenAI's Chat Completions API, or any compatible server (OPENAI_BASE_URL).

One turn is a bounded tool loop (LIVCHAT_AGENT_MAX_ROUNDS rounds, LIVCHAT_AGENT_TIMEOUT_SECONDS in
all), every round streamed (`stream=True`): the text streams to `on_draft` as it arrives (at most
every DRAFT_INTERVAL), tool calls are accumulated by their index (id and name from their first
fragment, arguments concatenated: shared/notes/support-desk.md §5). The model searches the
knowledge base, answers citing passages as [n], and hands off or resolves through the tools — a
handoff is never a marker in the text (Chatwoot's reworded-marker failure), so instructions cannot
break it. The system prompt names the visitor's language and says to answer in it whatever the
language of the instructions or the articles. Any API error or timeout hands the conversation to
a person (`agent_error`): never a 500, never silence.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from openai.types.chat import ChatCompletionMessageParam

from livchat.core.logging import get_logger
from livchat.core.settings import get_settings
from livchat.i18n import translate
from livchat.integrations import openai_client
from livchat.services.agent import relevance
from livchat.services.agent.core import (
    TOOLS,
    Action,
    DraftSink,
    Outcome,
    Toolbox,
    Turn,
    source_of,
)
from livchat.services.agent.language import LANGUAGE_NAMES
from livchat.services.support.schemas import SourceOut

log = get_logger("agent")

DRAFT_INTERVAL = 0.08  # seconds between two drafts of a streaming answer
REQUEST_TIMEOUT = 30.0  # the SDK's per-request timeout (the turn's own deadline bounds the whole)
MAX_CITED = 3

TONES = {
    "friendly": "warm and friendly, in plain words",
    "formal": "courteous and formal",
    "concise": "brief and to the point",
}

SYSTEM_PROMPT = """You are the customer support assistant of this organization, answering a visitor in its {channel} chat.

Language: the visitor's language is {language_name} ({language}). Always write your answers in {language_name}, \
whatever the language of these instructions, of the organization's instructions or of the help articles.
Tone: {tone}.

Rules:
1. Before answering any question about the organization (its products, orders, delivery, payments, policies, \
accounts, services), call search_knowledge_base.
2. Answer only with facts from the passages it returns, and cite each passage you use with its number in square \
brackets, like [1].
3. If the passages do not answer the question, do not guess: call escalate_conversation with reason "no_answer".
4. If the visitor asks to talk to a person, call escalate_conversation with reason "human_requested".
5. If the visitor thanks you or says goodbye and has nothing else to ask, call resolve_conversation.
6. Handing the conversation to a person and resolving it happen only through those tools: never write a code, tag \
or marker for them in your text.
7. Keep answers short (a few sentences), in plain text.
{instructions}"""

INSTRUCTIONS = """
The organization's own instructions (follow them where they do not contradict the rules above):
<<<
{text}
>>>"""

_CITATION = re.compile(r"\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]")


def system_prompt(turn: Turn) -> str:
    instructions = INSTRUCTIONS.format(text=turn.instructions.strip()) if turn.instructions.strip() else ""
    return SYSTEM_PROMPT.format(channel="WhatsApp" if turn.channel == "whatsapp" else "website",
                                language_name=LANGUAGE_NAMES.get(turn.language, "English"),
                                language=turn.language, tone=TONES.get(turn.tone, TONES["friendly"]),
                                instructions=instructions)


def build_messages(turn: Turn) -> list[ChatCompletionMessageParam]:
    """System prompt, the current episode (visitor → user, agent and operators → assistant), the question."""
    messages: list[ChatCompletionMessageParam] = [{"role": "system", "content": system_prompt(turn)}]
    for item in turn.history:
        if item.role == "visitor":
            messages.append({"role": "user", "content": item.text})
        elif item.role in ("agent", "operator"):
            messages.append({"role": "assistant", "content": item.text})
    messages.append({"role": "user", "content": turn.question})
    return messages


class _Drafts:
    """Throttled drafts: the first text at once (time to first token), then at most every DRAFT_INTERVAL."""

    def __init__(self, sink: DraftSink | None) -> None:
        self.sink = sink
        self.last = 0.0

    async def push(self, text: str) -> None:
        if self.sink is None or not text.strip():
            return
        now = time.monotonic()
        if now - self.last >= DRAFT_INTERVAL:
            self.last = now
            await self.sink(text)


@dataclass
class _Call:
    id: str = ""
    name: str = ""
    arguments: str = ""


def cite(text: str, box: Toolbox) -> tuple[str, list[SourceOut]]:
    """The answer with its [n] markers checked against the passages retrieved this turn (markers
    naming none are dropped), and the passages they cite. An answer that cites none, after a search
    that found relevant passages, cites those."""
    cited: list[int] = []

    def keep(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", match.group(1)) if box.by_number(int(n)) is not None]
        cited.extend(n for n in numbers if n not in cited)
        return "[" + ", ".join(map(str, numbers)) + "]" if numbers else ""

    checked = re.sub(r"[ \t]+([.,;:!?])", r"\1", _CITATION.sub(keep, text)).strip()
    hits = [hit for n in cited if (hit := box.by_number(n)) is not None]
    if not hits and box.last_hits:
        hits = relevance.relevant(box.last_hits, box.turn.question, limit=MAX_CITED)
    return checked, [source_of(hit) for hit in hits[:MAX_CITED]]


class OpenAIAgent:
    name = "openai"

    async def run(self, turn: Turn, on_draft: DraftSink | None = None) -> Outcome:
        box = Toolbox(turn)
        settings = get_settings()
        drafts = _Drafts(on_draft)
        messages = build_messages(turn)
        try:
            async with asyncio.timeout(settings.agent_timeout_seconds):
                for _ in range(settings.agent_max_rounds):
                    content, calls = await self._round(messages, drafts)
                    if not calls:
                        return self._answer(turn, box, content)
                    messages.append({"role": "assistant", "content": content or None, "tool_calls": [
                        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                        for c in calls]})
                    for call in calls:
                        result = await box.call(call.name, _arguments(call.arguments))
                        messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
                    if box.decision is not None:
                        return self._decided(turn, box, content)
                return self._outcome(box, "escalate", "", reason="max_rounds")
        except Exception as exc:  # the API down, refusing, too slow, or a reply we cannot read
            log.warning("OpenAI agent failed; handing off", extra={"error": f"{type(exc).__name__}: {exc}"})
            return self._outcome(box, "escalate", "", reason="agent_error", error=f"{type(exc).__name__}: {exc}")

    async def _round(self, messages: list[ChatCompletionMessageParam], drafts: _Drafts) -> tuple[str, list[_Call]]:
        settings = get_settings()
        client = openai_client.client().with_options(
            timeout=min(REQUEST_TIMEOUT, settings.agent_timeout_seconds), max_retries=1)
        stream = await client.chat.completions.create(
            model=settings.openai_chat_model, messages=messages, tools=TOOLS, stream=True,
            stream_options={"include_usage": True})
        content = ""
        calls: dict[int, _Call] = {}
        async for chunk in stream:
            for choice in chunk.choices:
                delta = choice.delta
                if delta.content:
                    content += delta.content
                    if not calls:
                        await drafts.push(content)
                for fragment in delta.tool_calls or []:
                    call = calls.setdefault(fragment.index, _Call())
                    call.id = call.id or (fragment.id or "")
                    if fragment.function is not None:
                        call.name = call.name or (fragment.function.name or "")
                        call.arguments += fragment.function.arguments or ""
        ordered = [calls[i] for i in sorted(calls)]
        for index, call in enumerate(ordered):
            call.id = call.id or f"call_{index}"
        return content, [c for c in ordered if c.name]

    def _answer(self, turn: Turn, box: Toolbox, content: str) -> Outcome:
        if not content.strip():
            return self._outcome(box, "escalate", "", reason="agent_error", error="the model answered nothing")
        text, sources = cite(content, box)
        if not text:  # nothing but citation marks
            return self._outcome(box, "escalate", "", reason="agent_error", error="the model answered no text")
        return self._outcome(box, "answer", text, sources=sources)

    def _decided(self, turn: Turn, box: Toolbox, content: str) -> Outcome:
        assert box.decision is not None
        if box.decision.action == "resolve":
            return self._outcome(box, "resolve", content.strip() or translate("agent.closing", turn.language))
        text, sources = cite(content, box) if content.strip() else ("", [])
        return self._outcome(box, "escalate", text, sources=sources, reason=box.decision.reason)

    def _outcome(self, box: Toolbox, action: Action, text: str, *, sources: list[SourceOut] | None = None,
                 reason: str | None = None, error: str | None = None) -> Outcome:
        return Outcome(action=action, text=text, agent=self.name, sources=sources or [],
                       passages=box.retrieved, trace=box.trace, reason=reason, best_similarity=box.best_similarity,
                       error=error)


def _arguments(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
