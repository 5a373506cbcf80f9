"""The AI agent: time to first streamed token, from a visitor's message to the first text of the
answer they can see, and to the answer stored.

The whole path runs as in the served app: `visitor.send_message` (the widget API's service: commit,
publish) → the responder's background task → the agent → the answer's drafts (`AgentDraft` on the
bus, what the conversation feed shows) → the stored answer (`AgentReplied`). The clock starts when
send_message returns (the visitor's POST is answered then) and stops at the first draft and at the
stored answer. Knowledge base: the evaluation corpus (tests/agent/eval, 8 articles), SQLite.

- offline: the extractive agent with the offline USE model (it writes no drafts: its whole answer
  appears at once, so its first token is the stored answer);
- fake API: the OpenAI agent against the fake OpenAI server in its own process (1536-d embeddings
  in base64, two streamed rounds: a search_knowledge_base call, then a cited answer in 4-character
  deltas with no pacing), so the figures are our own overhead plus two local HTTP round trips.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import time
from typing import Any

from bench.knowledge import _Sandbox, _start_fake_openai

QUESTIONS = ["How long is the warranty?", "Quanto custa o Aurora Plus?", "Where is my order?",
             "Como cancelo minha assinatura?", "Does the warranty cover water damage?",
             "Qual o horário da loja no domingo?", "How do I delete my account and my data?",
             "Tem desconto pagando no Pix?"]
ROUNDS = 3  # each question this many times (a fresh visitor each time)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _measure(label: str) -> dict[str, Any]:
    from bench.eval import _organization, ingest_corpus
    from livchat.core.db import db
    from livchat.core.events import bus
    from livchat.services.knowledge.embedders import get_embedder
    from livchat.services.support import responder
    from livchat.services.support.events import AgentDraft, AgentReplied
    from livchat.services.widget import visitor
    from tests.support.desk_support import make_visitor

    actor = await _organization()
    await get_embedder().warm()
    await ingest_corpus(actor)
    seen: dict[str, dict[str, float]] = {}

    async def on_draft(event: AgentDraft) -> None:
        if event.text:
            seen.setdefault(event.conversation_id, {}).setdefault("draft", time.perf_counter())

    async def on_reply(event: AgentReplied) -> None:
        seen.setdefault(event.conversation_id, {}).setdefault("answer", time.perf_counter())

    undo = [bus.subscribe(AgentDraft, on_draft), bus.subscribe(AgentReplied, on_reply)]
    responder.install()
    first, answered, request = [], [], []
    try:
        for index in range(ROUNDS * len(QUESTIONS) + 1):
            question = QUESTIONS[index % len(QUESTIONS)]
            who, _ = await make_visitor(actor.organization_id, language="en")
            started = time.perf_counter()
            async with db.session() as session:
                posted = await visitor.send_message(session, who, question)
            returned = time.perf_counter()
            await responder.drain()
            times = seen.get(posted.conversation_id, {})
            if index == 0 or "answer" not in times:
                continue  # the first one warms the process (imports, connection pools)
            request.append((returned - started) * 1000)
            answered.append((times["answer"] - returned) * 1000)
            first.append((times.get("draft", times["answer"]) - returned) * 1000)
    finally:
        responder.uninstall()
        for unsubscribe in undo:
            unsubscribe()
    return {"what": label, "n": len(answered),
            "post_ms_p50": round(statistics.median(request), 1),
            "first_token_ms_p50": round(statistics.median(first), 1),
            "first_token_ms_p90": round(_percentile(first, 0.9), 1),
            "answer_stored_ms_p50": round(statistics.median(answered), 1),
            "answer_stored_ms_p90": round(_percentile(answered, 0.9), 1)}


def run() -> dict[str, object]:
    load_average = os.getloadavg()[0]
    sandbox = _Sandbox()
    fake, base = _start_fake_openai(agent=True)
    try:
        from livchat.core import migrations
        from livchat.core.db import db

        db.configure(None)
        migrations.upgrade()
        rows = []
        sandbox.configure(LIVCHAT_EMBEDDER="use", OPENAI_API_KEY="", LIVCHAT_AGENT="extractive")
        rows.append(asyncio.run(_measure("offline: extractive agent, USE embeddings")))
        sandbox.configure(LIVCHAT_EMBEDDER="openai", OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=base,
                          LIVCHAT_AGENT="openai")
        rows.append(asyncio.run(_measure("fake API: OpenAI agent, 2 streamed rounds, OpenAI embeddings")))
    finally:
        os.killpg(fake.pid, signal.SIGTERM)
        fake.wait(timeout=10)
        sandbox.close()
    return {"title": (f"AI agent: a visitor's message to the first text they see (first token) and to the stored "
                      f"answer, {ROUNDS * len(QUESTIONS)} questions each; load average at start {load_average:.1f} "
                      f"on {os.cpu_count()} cores"),
            "rows": rows}


if __name__ == "__main__":
    from bench.__main__ import print_table

    result = run()
    print_table(str(result["title"]), result["rows"])  # type: ignore[arg-type]
