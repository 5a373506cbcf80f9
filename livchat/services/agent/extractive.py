"""The offline agent (the embedded default): no language model, the same tool loop.

Each turn it decides its tool calls by rules, in the order a model would make them:
1. an explicit request for a person (en or pt-BR, accent-folded: intents.py) → escalate_conversation
   (`human_requested`); a thank-you or goodbye → resolve_conversation, with a short closing line; a
   bare greeting → a greeting back;
2. anything else → search_knowledge_base with the visitor's words, every turn;
3. passages relevant enough (relevance.py: cosine similarity over the threshold calibrated for the
   embedder) → an answer made of the best 1–3 passages, each cut to its 1–3 sentences that share
   most words with the question, in the visitor's language's template, citing each passage;
   nothing relevant → escalate_conversation (`no_answer`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from livchat.core.logging import get_logger
from livchat.core.settings import get_settings
from livchat.i18n import translate
from livchat.services.agent import relevance
from livchat.services.agent.core import (
    Action,
    DraftSink,
    Outcome,
    Toolbox,
    Turn,
    sentences,
    source_files,
    source_of,
)
from livchat.services.agent.intents import Intent, classify
from livchat.services.knowledge.schemas import SearchHitOut
from livchat.services.support.schemas import SourceOut

log = get_logger("agent")

MAX_PASSAGES = 3
MAX_SENTENCES = 3
PASSAGE_CHARS = 420


def pick_sentences(question: str, text: str) -> str:
    """The passage's 1–3 sentences that share most words with the question, in their order, with
    the best one's neighbour when it fits; the opening sentences when none shares a word."""
    found = sentences(text)
    if not found:
        return text.strip()[:PASSAGE_CHARS]
    wanted = relevance.content_words(question)
    scores = [len(wanted & relevance.content_words(s)) for s in found]
    if max(scores) == 0:
        chosen = list(range(min(2, len(found))))
    else:
        best = max(range(len(found)), key=lambda i: (scores[i], -i))
        chosen = [best]
        ranked = sorted((i for i in range(len(found)) if i != best), key=lambda i: (-scores[i], abs(i - best)))
        for i in ranked:
            if len(chosen) >= MAX_SENTENCES or (scores[i] == 0 and abs(i - best) != 1):
                break
            chosen.append(i)
    out: list[str] = []
    for i in sorted(chosen):
        if sum(len(s) + 1 for s in out) + len(found[i]) > PASSAGE_CHARS and out:
            break
        out.append(found[i])
    text = " ".join(out)
    return text if len(text) <= PASSAGE_CHARS else text[:PASSAGE_CHARS].rsplit(" ", 1)[0] + "…"


def compose(turn: Turn, passages: list[SearchHitOut]) -> tuple[str, list[SourceOut]]:
    """The answer's text in the turn's language and the sources it cites."""
    excerpts = [(hit, pick_sentences(turn.question, hit.text)) for hit in passages]
    sources = [source_of(hit, text) for hit, text in excerpts]
    files = source_files(sources)
    body = [f"• {text}" if len(excerpts) > 1 else text for _, text in excerpts]
    key = "agent.answer.sources" if len(files) > 1 else "agent.answer.source"
    parts = [translate("agent.answer.intro", turn.language), *body,
             translate(key, turn.language, files=", ".join(files)),
             translate("agent.answer.follow_up", turn.language)]
    return "\n\n".join(parts), sources


class ExtractiveAgent:
    name = "extractive"

    async def run(self, turn: Turn, on_draft: DraftSink | None = None) -> Outcome:
        box = Toolbox(turn)
        settings = get_settings()
        try:
            async with asyncio.timeout(settings.agent_timeout_seconds):
                for _ in range(settings.agent_max_rounds):
                    call = self._next_call(turn, box)
                    if call is None:
                        break
                    await box.call(*call)
                    if box.decision is not None:
                        break
        except Exception as exc:  # a search that broke: a person takes over, never silence
            log.exception("extractive agent failed")
            return Outcome(action="escalate", text="", agent=self.name, passages=box.retrieved, trace=box.trace,
                           reason="agent_error", error=f"{type(exc).__name__}: {exc}")
        return self._outcome(turn, box)

    def _next_call(self, turn: Turn, box: Toolbox) -> tuple[str, dict[str, Any]] | None:
        if not box.trace:
            intent = classify(turn.question)
            if intent == Intent.HUMAN:
                return "escalate_conversation", {"reason": "human_requested"}
            if intent == Intent.THANKS:
                return "resolve_conversation", {}
            if intent == Intent.GREETING:
                return None
            return "search_knowledge_base", {"query": turn.question}
        if box.trace[-1].tool == "search_knowledge_base" and not relevance.relevant(box.last_hits, turn.question):
            return "escalate_conversation", {"reason": "no_answer"}
        return None

    def _outcome(self, turn: Turn, box: Toolbox) -> Outcome:
        def outcome(action: Action, text: str, *, reason: str | None = None,
                    sources: list[SourceOut] | None = None) -> Outcome:
            return Outcome(action=action, text=text, agent=self.name, sources=sources or [], passages=box.retrieved,
                           trace=box.trace, reason=reason, best_similarity=box.best_similarity)

        if box.decision is not None and box.decision.action == "escalate":
            return outcome("escalate", "", reason=box.decision.reason)
        if box.decision is not None and box.decision.action == "resolve":
            return outcome("resolve", translate("agent.closing", turn.language))
        if not any(step.tool == "search_knowledge_base" for step in box.trace):  # a bare greeting
            return outcome("answer", translate("agent.greeting", turn.language))
        chosen = relevance.relevant(box.last_hits, turn.question, limit=MAX_PASSAGES)
        if not chosen:  # out of rounds before the handoff call
            return outcome("escalate", "", reason="no_answer")
        text, sources = compose(turn, chosen)
        return outcome("answer", text, sources=sources)
