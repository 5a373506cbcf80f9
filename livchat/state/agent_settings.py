"""Dashboard → Knowledge base → AI agent: the organization's agent settings (on/off for the widget,
instructions, tone; which agent this deployment runs) and the playground (ask as a visitor would:
the answer, the passages retrieved with their scores, the tools called). Nothing the playground
does is stored or sent (services/agent/playground.py).

Reading and the playground take `read`; saving takes `manage_knowledge` (the services check).
The playground waits for the agent (seconds with OpenAI): a background task.
"""

from __future__ import annotations

import reflex as rx

from livchat.core.db import db
from livchat.services.agent import playground
from livchat.services.agent import settings as agent_settings
from livchat.services.agent.schemas import (
    AgentSettingsOut,
    AgentSettingsUpdate,
    PlaygroundAnswer,
)
from livchat.services.errors import ServiceError
from livchat.state.auth import authorized, current_context
from livchat.state.inputs import browser_input
from livchat.state.knowledge import MANAGE, ErrorsMixin, hit_row

TONES = list(agent_settings.TONES)


class AgentState(ErrorsMixin, rx.State):
    can_manage: bool = False
    enabled: bool = True
    instructions: str = ""
    tone: str = "friendly"
    kind: str = ""  # openai | extractive | off: what this deployment runs (LIVCHAT_AGENT)
    model: str = ""
    saving: bool = False
    # The playground: the last question's outcome.
    asking: bool = False
    question: str = ""
    answer: dict[str, str] = {}
    sources: list[dict[str, str]] = []
    passages: list[dict[str, str]] = []
    trace: list[dict[str, str]] = []

    def _apply(self, out: AgentSettingsOut) -> None:
        self.enabled, self.instructions, self.tone = out.enabled, out.instructions, out.tone
        self.kind, self.model = out.agent, out.model or ""

    @rx.event
    @authorized
    async def load(self) -> None:
        ctx = await current_context(self)
        self._clear()
        self.saving, self.asking = False, False
        self.can_manage = ctx.can(MANAGE)
        async with db.session() as session:
            self._apply(await agent_settings.get_agent_settings(session, ctx.actor))

    @rx.event
    @browser_input
    def set_enabled(self, value: bool) -> None:
        self.enabled = value is True

    @rx.event
    @browser_input
    def set_tone(self, value: str) -> None:
        if value in TONES:
            self.tone = value

    @rx.event
    @browser_input
    def set_instructions(self, value: str) -> None:
        self.instructions = value[:agent_settings.MAX_INSTRUCTIONS + 1]  # the service says when it is too long

    @rx.event
    @authorized
    async def save(self) -> None:
        ctx = await current_context(self)
        self._clear()
        changes = AgentSettingsUpdate(enabled=self.enabled, tone=self.tone, instructions=self.instructions)
        try:
            async with db.session() as session:
                self._apply(await agent_settings.update_agent_settings(session, ctx.actor, changes))
        except ServiceError as exc:
            self._fail(exc)
            return
        self.notice = "knowledge_page.notice.agent_saved"

    def _show_answer(self, question: str, out: PlaygroundAnswer) -> None:
        self.question = question
        self.answer = {"text": out.text, "action": out.action, "reason": out.reason or "", "agent": out.agent,
                       "language": out.language, "duration": f"{out.duration_ms:.0f}"}
        self.sources = [{"file": s.filename, "heading": s.heading, "chunk": s.chunk_id} for s in out.sources]
        self.passages = [hit_row(h) for h in out.passages]
        self.trace = [{"tool": s.tool, "result": s.result[:300], "duration": f"{s.duration_ms:.0f}"}
                      for s in out.trace]

    @rx.event(background=True)
    @authorized
    async def ask(self, form_data: dict) -> None:
        question = str(form_data.get("question") or "")
        async with self:
            self._clear()
            self.asking = True
        ctx = await current_context(self)
        error: ServiceError | None = None
        out: PlaygroundAnswer | None = None
        try:
            out = await playground.ask(ctx.actor, question)
        except ServiceError as exc:
            error = exc
        async with self:
            self.asking = False
            if error is not None or out is None:
                self._fail(error or ServiceError())
                self.answer, self.sources, self.passages, self.trace = {}, [], [], []
            else:
                self._show_answer(question, out)
