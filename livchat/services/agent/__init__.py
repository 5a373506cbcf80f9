"""The AI support agent (issue 13 §3): one interface (core.py), two implementations chosen by
LIVCHAT_AGENT — the OpenAI agent (openai_agent.py: Chat Completions, streamed, tools; any compatible
server via OPENAI_BASE_URL) and the offline extractive agent (extractive.py: the embedded default,
the same tool loop decided by rules, answers with knowledge-base passages). On the support desk it
is the `agent` responder (responder.py; the default of LIVCHAT_SUPPORT_RESPONDER=auto), answering
widget and WhatsApp conversations in background tasks.

How the UI calls it (services never import Reflex; each call in `async with db.session() as session`
where a session is taken; errors are ServiceErrors with i18n keys `agent.errors.<code>`):

Agent settings (knowledge-base page; read: `read`, change: `manage_knowledge`):
    out = await settings.get_agent_settings(session, actor)          # AgentSettingsOut
    out = await settings.update_agent_settings(session, actor, AgentSettingsUpdate(
        enabled=True, instructions="…", tone="friendly" | "formal" | "concise"))
  `out.agent` says which agent answers in this deployment (openai | extractive | off).

Playground (knowledge-base page; `read`; no conversation is made, nothing stored or sent):
    answer = await playground.ask(actor, "How long is the warranty?", language="pt-BR" | "en" | None,
                                  history=[HistoryIn(role="visitor" | "agent", text="…"), …])
  -> PlaygroundAnswer: `text` (what the visitor would read), `action` (answer | escalate | resolve),
     `reason`, `sources` (cited), `passages` (retrieved, with `score` and `similarity`; compare with
     `threshold` / `thresholdSharedWord`), `trace` (tools called in order, each with its arguments,
     result, duration and chunk ids), `durationMs`, `firstDraftMs`. It waits for the model (seconds
     with OpenAI): call it from a background event handler.

"AI answers this number" (instances page; `manage_instances`):
    instance = await livchat.services.whatsapp.instances.set_ai_answers(session, actor, instance_id, True)
  `Instance.agent_enabled` (`agentEnabled` on InstanceOut; REST: PUT /api/v1/instances/{id}/agent).

The streaming answer (widget page and inbox): ConversationFeed.ai_draft (state/support_feeds.py)
holds the answer's text while it streams (about every 80 ms); show it as an in-progress bubble. It
empties when the answer is stored (`version` moves: reload the messages) or dropped.

Sources (inbox): an AI message's `sources` (ConversationMessageOut) — fileId (open the file in the
knowledge base), filename, chunkId, heading, a short excerpt.

Support analytics: livchat/services/analytics (support_analytics(session, actor, start, end)).
"""
