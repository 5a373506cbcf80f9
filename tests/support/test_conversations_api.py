"""The "Support desk" rows of ../shared/API.md over HTTP with an API key: paths, status codes and
the field names of each answer; bad input is a 4xx, never a 500."""

from __future__ import annotations

import httpx
import pytest

from livchat.core.db import db
from livchat.models.enums import Plan
from livchat.services.usage.limits import reset_rate_limits
from livchat.services.widget import visitor
from tests.support.desk_support import make_org, make_visitor

CONVERSATION_FIELDS = {"id", "channel", "status", "contact", "instanceId", "unreadCount", "lastMessageAt", "createdAt"}
CONTACT_FIELDS = {"name", "email", "phone", "metadata"}
MESSAGE_FIELDS = {"id", "sender", "text", "attachments", "sources", "createdAt"}
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    reset_rate_limits()


async def _conversation(org_id: str, text: str = "Where is my order?") -> str:
    ana, _ = await make_visitor(org_id, name="Ana Souza", email="ana@example.com", language="pt-BR")
    async with db.session() as session:
        return (await visitor.send_message(session, ana, text)).conversation_id


async def test_organization(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org(plan=Plan.STARTER)
    response = await api.get("/api/v1/organization", headers=org.headers)
    assert response.status_code == 200
    assert response.json() == {"id": org.id, "name": org.name, "plan": "starter", "limits": {
        "instances": 5, "messagesPerDay": None, "sendsPerSecond": 10, "apiPerMinute": 1000}}
    assert "RateLimit-Remaining" in response.headers
    assert (await api.get("/api/v1/organization")).status_code == 401


async def test_list_get_and_messages_have_the_contract_fields(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    conversation_id = await _conversation(org.id)
    listed = await api.get("/api/v1/conversations", headers=org.headers)
    assert listed.status_code == 200 and set(listed.json()) == {"data", "nextCursor"}
    item = listed.json()["data"][0]
    assert CONVERSATION_FIELDS <= set(item) and CONTACT_FIELDS <= set(item["contact"])
    one = await api.get(f"/api/v1/conversations/{conversation_id}", headers=org.headers)
    assert one.status_code == 200 and one.json() == item
    body = one.json()
    assert (body["channel"], body["status"], body["unreadCount"], body["instanceId"]) == ("widget", "unresolved", 1,
                                                                                          None)
    assert body["contact"]["name"] == "Ana Souza" and body["contact"]["email"] == "ana@example.com"
    assert body["contact"]["metadata"]["timeZone"] == "America/Sao_Paulo" and body["createdAt"].endswith("Z")
    messages = await api.get(f"/api/v1/conversations/{conversation_id}/messages", headers=org.headers)
    assert messages.status_code == 200 and set(messages.json()) == {"data", "nextCursor"}
    message = messages.json()["data"][0]
    assert MESSAGE_FIELDS <= set(message)
    assert (message["sender"], message["text"], message["attachments"]) == ("contact", "Where is my order?", [])


async def test_a_reply_is_an_operator_message_shown_as_api_and_reaches_the_widget(database: str,
                                                                                 api: httpx.AsyncClient) -> None:
    org = await make_org()
    ana, token = await make_visitor(org.id)
    async with db.session() as session:
        conversation_id = (await visitor.send_message(session, ana, "Hi")).conversation_id
    sent = await api.post(f"/api/v1/conversations/{conversation_id}/messages", headers=org.headers,
                          json={"text": "<b>Hello</b> Ana"})
    assert sent.status_code == 201, sent.text
    assert MESSAGE_FIELDS <= set(sent.json())
    assert (sent.json()["sender"], sent.json()["text"], sent.json()["authorName"]) == ("operator", "<b>Hello</b> Ana",
                                                                                       "API")
    widget = await api.get("/api/widget/messages", headers={"X-Contact-Token": token})
    assert [m["text"] for m in widget.json()["data"]] == ["Hi", "<b>Hello</b> Ana"]


async def test_a_retried_reply_with_the_same_idempotency_key_is_sent_once(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    conversation_id = await _conversation(org.id)
    headers = {**org.headers, "Idempotency-Key": "reply-1"}
    first = await api.post(f"/api/v1/conversations/{conversation_id}/messages", headers=headers, json={"text": "Once"})
    again = await api.post(f"/api/v1/conversations/{conversation_id}/messages", headers=headers, json={"text": "Once"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers.get("idempotent-replayed") == "true"
    listed = await api.get(f"/api/v1/conversations/{conversation_id}/messages", headers=org.headers)
    assert [m["text"] for m in listed.json()["data"]] == ["Where is my order?", "Once"]


async def test_status_changes(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    conversation_id = await _conversation(org.id)
    for action, status in (("escalate", "escalated"), ("resolve", "resolved"), ("reopen", "unresolved")):
        response = await api.post(f"/api/v1/conversations/{conversation_id}/{action}", headers=org.headers)
        assert response.status_code == 200 and CONVERSATION_FIELDS <= set(response.json())
        assert response.json()["status"] == status
    escalated = await api.get("/api/v1/conversations?status=escalated", headers=org.headers)
    assert escalated.json()["data"] == []
    read = await api.post(f"/api/v1/conversations/{conversation_id}/read", headers=org.headers)
    assert read.status_code == 204
    assert (await api.get(f"/api/v1/conversations/{conversation_id}", headers=org.headers)).json()["unreadCount"] == 0
    panel = await api.get(f"/api/v1/conversations/{conversation_id}/contact", headers=org.headers)
    assert panel.status_code == 200 and set(panel.json()) == {"contact", "pastConversations"}


async def test_filters_search_and_pages(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    ids = [await _conversation(org.id, f"question number {n}") for n in range(3)]
    first = await api.get("/api/v1/conversations?limit=2", headers=org.headers)
    second = await api.get(f"/api/v1/conversations?limit=2&cursor={first.json()['nextCursor']}", headers=org.headers)
    assert [c["id"] for c in first.json()["data"] + second.json()["data"]] == ids[::-1]
    assert second.json()["nextCursor"] is None
    found = await api.get("/api/v1/conversations", params={"q": "number 1"}, headers=org.headers)
    assert [c["id"] for c in found.json()["data"]] == [ids[1]]
    assert (await api.get("/api/v1/conversations?channel=whatsapp", headers=org.headers)).json()["data"] == []
    for query, code in (("status=closed", "invalid_status"), ("channel=email", "invalid_channel"),
                        ("cursor=nope", "invalid_cursor"), ("limit=500", "validation_error")):
        bad = await api.get(f"/api/v1/conversations?{query}", headers=org.headers)
        assert bad.status_code == 422 and bad.json()["code"] == code, query


async def test_other_organizations_and_malformed_ids_are_404(database: str, api: httpx.AsyncClient) -> None:
    org, other = await make_org(), await make_org("Other")
    conversation_id = await _conversation(org.id)
    for path in (f"/api/v1/conversations/{conversation_id}", f"/api/v1/conversations/{conversation_id}/messages",
                 "/api/v1/conversations/conv_%00", "/api/v1/conversations/" + "x" * 5000,
                 "/api/v1/conversations/%F0%9F%98%80/messages"):
        response = await api.get(path, headers=other.headers)
        assert response.status_code == 404 and response.headers["content-type"] == PROBLEM, path
        assert response.json()["code"] == "conversation_not_found"
    for action in ("messages", "escalate", "resolve", "reopen", "read"):
        response = await api.post(f"/api/v1/conversations/{conversation_id}/{action}", headers=other.headers,
                                  json={"text": "hijack"})
        assert response.status_code == 404, action
    untouched = await api.get(f"/api/v1/conversations/{conversation_id}", headers=org.headers)
    assert untouched.json()["status"] == "unresolved" and untouched.json()["unreadCount"] == 1


@pytest.mark.parametrize(("body", "code"), [
    ({"text": "a\u0000b"}, "nul_character"), ({"text": "x" * 5001}, "message_too_long"),
    ({"text": "x" * 20_001}, "validation_error"), ({"text": 12}, "validation_error"), ({}, "validation_error"),
    ({"text": "   "}, "message_empty"),
])
async def test_bad_replies_are_422(database: str, api: httpx.AsyncClient, body: dict, code: str) -> None:
    org = await make_org()
    conversation_id = await _conversation(org.id)
    response = await api.post(f"/api/v1/conversations/{conversation_id}/messages", headers=org.headers, json=body)
    assert response.status_code == 422 and response.json()["code"] == code


async def test_malformed_json_and_lone_surrogates(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    conversation_id = await _conversation(org.id)
    path = f"/api/v1/conversations/{conversation_id}/messages"
    broken = await api.post(path, headers={**org.headers, "Content-Type": "application/json"}, content=b'{"text": ')
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["detail"]
    surrogate = await api.post(path, headers={**org.headers, "Content-Type": "application/json"},
                               content=b'{"text": "half \\ud800 a pair"}')
    assert surrogate.status_code == 422  # refused by the JSON parser (the services refuse it too: invalid_unicode)
    anonymous = await api.post(path, headers={"Content-Type": "application/json"}, content=b'{"text": ')
    assert anonymous.status_code == 401


async def test_saved_replies(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    created = await api.post("/api/v1/saved-replies", headers=org.headers,
                             json={"shortcut": "shipping", "text": "Ships in 2 days."})
    assert created.status_code == 201 and set(created.json()) == {"id", "shortcut", "text", "createdAt", "updatedAt"}
    reply_id = created.json()["id"]
    taken = await api.post("/api/v1/saved-replies", headers=org.headers, json={"shortcut": "shipping", "text": "x"})
    assert taken.status_code == 409 and taken.json()["code"] == "saved_reply_shortcut_taken"
    bad = await api.post("/api/v1/saved-replies", headers=org.headers, json={"shortcut": "no spaces", "text": "x"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_shortcut"
    patched = await api.patch(f"/api/v1/saved-replies/{reply_id}", headers=org.headers, json={"text": "Tomorrow."})
    assert patched.status_code == 200 and patched.json()["text"] == "Tomorrow."
    listed = await api.get("/api/v1/saved-replies?prefix=ship", headers=org.headers)
    assert [r["id"] for r in listed.json()["data"]] == [reply_id]
    assert (await api.delete(f"/api/v1/saved-replies/{reply_id}", headers=org.headers)).status_code == 204
    assert (await api.get(f"/api/v1/saved-replies/{reply_id}", headers=org.headers)).status_code == 404
