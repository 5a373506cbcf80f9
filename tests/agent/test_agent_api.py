"""What the agent's work looks like over HTTP: AI answers with their sources in the widget client
API and the v1 conversation messages (with OpenAPI examples), "AI answers this number" on the
instance object; and the agent settings service."""

from __future__ import annotations

import httpx
import pytest

from livchat.core.db import db
from livchat.services.agent import settings as agent_settings
from livchat.services.agent.extractive import ExtractiveAgent
from livchat.services.agent.schemas import AgentSettingsUpdate
from livchat.services.errors import InvalidInput, PermissionDenied
from livchat.services.usage.limits import reset_rate_limits
from tests.agent.agent_support import answering, ingest_corpus
from tests.factories import make_instance
from tests.support.desk_support import make_org

SOURCE_FIELDS = {"fileId", "filename", "chunkId", "heading", "text"}


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    reset_rate_limits()


async def test_ai_answers_and_their_sources_reach_the_widget_and_the_v1_api(database: str,
                                                                         api: httpx.AsyncClient) -> None:
    org = await make_org()
    ids = await ingest_corpus(org.owner, ("warranty.md",))
    session = (await api.post("/api/widget/sessions", json={
        "organizationId": org.id, "name": "Ana", "email": "ana@example.com", "metadata": {"language": "en"}})).json()
    token = {"X-Contact-Token": session["contactToken"]}
    async with answering(ExtractiveAgent()):
        posted = await api.post("/api/widget/messages", json={"text": "How long is the warranty?"}, headers=token)
        assert posted.status_code == 201
    widget = (await api.get("/api/widget/messages", headers=token)).json()["data"]
    assert [m["sender"] for m in widget] == ["contact", "ai"]
    assert widget[0]["sources"] is None and set(widget[1]["sources"][0]) == SOURCE_FIELDS
    assert widget[1]["sources"][0]["fileId"] == ids["warranty.md"] and "12-month" in widget[1]["text"]
    conversation_id = posted.json()["conversationId"]
    v1 = (await api.get(f"/api/v1/conversations/{conversation_id}/messages", headers=org.headers)).json()["data"]
    assert v1[1]["sources"] == widget[1]["sources"] and v1[1]["sender"] == "ai"
    spec = (await api.get("/api/v1/openapi.json")).json()
    example = spec["components"]["schemas"]["ConversationMessageOut"]["examples"]
    assert any(e["sender"] == "ai" and set(e["sources"][0]) == SOURCE_FIELDS for e in example)


async def test_ai_answers_this_number_is_switched_on_the_instance(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    async with db.session() as session:
        instance = make_instance(org.id)
        session.add(instance)
        await session.commit()
    path = f"/api/v1/instances/{instance.id}"
    assert (await api.get(path, headers=org.headers)).json()["agentEnabled"] is False
    switched = await api.put(f"{path}/agent", json={"enabled": True}, headers=org.headers)
    assert switched.status_code == 200 and switched.json()["agentEnabled"] is True
    assert (await api.get(path, headers=org.headers)).json()["agentEnabled"] is True
    other = await make_org("Other")
    assert (await api.put(f"{path}/agent", json={"enabled": False}, headers=other.headers)).status_code == 404
    assert (await api.put(f"{path}/agent", json={"enabled": "maybe"}, headers=org.headers)).status_code == 422


async def test_agent_settings_defaults_changes_and_who_may_change_them(database: str) -> None:
    org = await make_org()
    async with db.session() as session:
        defaults = await agent_settings.get_agent_settings(session, org.operator)
        assert (defaults.enabled, defaults.instructions, defaults.tone, defaults.agent) == (True, "", "friendly",
                                                                                            "extractive")
        with pytest.raises(PermissionDenied):
            await agent_settings.update_agent_settings(session, org.operator, AgentSettingsUpdate(tone="formal"))
        changed = await agent_settings.update_agent_settings(session, org.owner, AgentSettingsUpdate(
            instructions="  Sign as Aurora.\n\x07", tone="concise"))
        assert (changed.instructions, changed.tone, changed.enabled) == ("Sign as Aurora.", "concise", True)
        again = await agent_settings.update_agent_settings(session, org.api, AgentSettingsUpdate(enabled=False))
        assert (again.instructions, again.tone, again.enabled) == ("Sign as Aurora.", "concise", False)
        for update, code in ((AgentSettingsUpdate(tone="rude"), "invalid_tone"),
                             (AgentSettingsUpdate(instructions="x" * 4001), "instructions_too_long"),
                             (AgentSettingsUpdate(instructions="a\x00b"), "invalid_instructions")):
            with pytest.raises(InvalidInput) as raised:
                await agent_settings.update_agent_settings(session, org.owner, update)
            assert raised.value.detail == code
        assert (await agent_settings.get_agent_settings(session, org.operator)).tone == "concise"
