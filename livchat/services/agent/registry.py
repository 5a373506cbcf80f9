"""Which agent answers: LIVCHAT_AGENT (auto | openai | extractive | off). `auto` is the OpenAI agent
when OPENAI_API_KEY is set (OPENAI_BASE_URL for any compatible server), else the offline
extractive one. `openai` without a key is a configuration error: logged, and the agent is off
(contacts get the default responder's note) until it is fixed."""

from __future__ import annotations

from livchat.core.logging import get_logger
from livchat.core.settings import get_settings
from livchat.services.agent.core import Agent
from livchat.services.agent.extractive import ExtractiveAgent
from livchat.services.agent.openai_agent import OpenAIAgent

log = get_logger("agent")


def agent_kind() -> str:
    """openai | extractive | off"""
    settings = get_settings()
    if settings.agent == "auto":
        return "openai" if settings.openai_api_key else "extractive"
    if settings.agent == "openai" and not settings.openai_api_key:
        log.warning("LIVCHAT_AGENT=openai needs OPENAI_API_KEY (any string for a local compatible server): "
                    "the agent is off")
        return "off"
    return settings.agent


def configured_agent() -> Agent:
    """The agent the settings choose (the extractive one when the agent is off: the playground still asks)."""
    return OpenAIAgent() if agent_kind() == "openai" else ExtractiveAgent()
