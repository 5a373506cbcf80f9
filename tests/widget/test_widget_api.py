"""The "Widget client API" of ../shared/API.md over HTTP: settings, contact sessions (24 h,
token hashed), messages both ways, the visitor's view of status, per-IP and per-session limits
(429 with Retry-After and RateLimit-*), and bad input answered 4xx, never 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import select

from livchat.core.db import db, utcnow
from livchat.models import ContactSession
from livchat.services.support import conversations, responder
from livchat.services.usage.limits import reset_rate_limits
from livchat.services.widget import limits
from tests.support.desk_support import make_org

PROBLEM = "application/problem+json"
SETTINGS_FIELDS = {"organizationName", "greeting", "suggestions", "primaryColor", "logoUrl", "position", "locale"}


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    reset_rate_limits()


async def _session(api: httpx.AsyncClient, organization_id: str, ip: str = "203.0.113.7",
                   **body: object) -> dict[str, str]:
    response = await api.post("/api/widget/sessions", json={
        "organizationId": organization_id, "name": "Ana Souza", "email": "ana@example.com",
        "metadata": {"language": "pt-BR", "timeZone": "America/Sao_Paulo", "referrer": "https://shop.example/cart"},
        **body}, headers={"User-Agent": "Mozilla/5.0 Test", "X-Forwarded-For": ip})
    assert response.status_code == 201, response.text
    return response.json()


async def test_settings_of_an_organization_and_404_for_unknown_or_malformed_ids(database: str,
                                                                              api: httpx.AsyncClient) -> None:
    org = await make_org()
    response = await api.get("/api/widget/settings", params={"organizationId": org.id})
    assert response.status_code == 200 and SETTINGS_FIELDS <= set(response.json())
    assert response.json() | {"accentColor": None} == {
        "organizationName": org.name, "greeting": "Hi! How can we help you today?", "suggestions": [],
        "primaryColor": "#0d9488", "accentColor": None, "logoUrl": None, "position": "bottom-right", "locale": "en"}
    assert "RateLimit-Limit" in response.headers
    for unknown in ("org_" + "0" * 26, "org_\x00", "'; drop table organizations; --", "x" * 150):
        missing = await api.get("/api/widget/settings", params={"organizationId": unknown})
        assert missing.status_code in (404, 422) and missing.headers["content-type"] == PROBLEM, unknown
    for raw in ("org_%00", "org_%ED%A0%80", "org_%FF"):  # NUL and bytes that are not UTF-8
        missing = await api.get(f"/api/widget/settings?organizationId={raw}")
        assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM, raw
    not_found = await api.get("/api/widget/settings", params={"organizationId": "org_" + "0" * 26})
    assert not_found.status_code == 404 and not_found.json()["code"] == "organization_not_found"
    assert (await api.get("/api/widget/settings")).status_code == 422


async def test_a_contact_session_lasts_24_hours_and_its_token_is_stored_hashed(database: str,
                                                                              api: httpx.AsyncClient) -> None:
    org = await make_org()
    created = await _session(api, org.id, metadata={
        "language": "pt-BR", "timeZone": "Not/AZone", "referrer": "https://shop.example/cart\x00",
        "pageTitle": "<script>x</script>", "secret": "dropped", "screen": ["1920", "1080"]})
    assert set(created) == {"contactSessionId", "contactToken", "expiresAt"}
    assert created["contactToken"].startswith("lc_ct_") and len(created["contactToken"]) > 40
    expires = datetime.fromisoformat(created["expiresAt"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=1)
    async with db.session() as session:
        row = (await session.exec(select(ContactSession).where(ContactSession.id == created["contactSessionId"]))).one()
    assert row.token_hash and created["contactToken"] not in repr(row)
    assert row.metadata_["userAgent"] == "Mozilla/5.0 Test" and row.metadata_["ip"]
    assert "timeZone" not in row.metadata_ and "secret" not in row.metadata_
    assert row.metadata_["referrer"] == "https://shop.example/cart" and row.metadata_["screen"] == "1920,1080"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"name": ""}, 422, "invalid_contact_name"), ({"name": "a\x1bb"}, 422, "invalid_contact_name"),
    ({"name": "x" * 121}, 422, "invalid_contact_name"), ({"email": "not-an-email"}, 422, "invalid_contact_email"),
    ({"email": 5}, 422, "validation_error"), ({"metadata": "nope"}, 422, "validation_error"),
    ({"organizationId": "org_" + "0" * 26}, 404, "organization_not_found"),
    ({"organizationId": "nonsense\u0000"}, 404, "organization_not_found"),
])
async def test_a_bad_contact_form_is_refused(database: str, api: httpx.AsyncClient, body: dict, status: int,
                                             code: str) -> None:
    org = await make_org()
    response = await api.post("/api/widget/sessions", json={"organizationId": org.id, "name": "Ana",
                                                           "email": "ana@example.com", **body})
    assert response.status_code == status and response.json()["code"] == code
    async with db.session() as session:
        assert (await session.exec(select(ContactSession))).all() == []


async def test_messages_both_ways_and_the_visitor_sees_the_status(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    headers = {"X-Contact-Token": (await _session(api, org.id))["contactToken"]}
    assert (await api.get("/api/widget/messages", headers=headers)).json() == {"data": [], "conversation": None}
    sent = await api.post("/api/widget/messages", headers=headers, json={"text": "Where is my order?"})
    assert sent.status_code == 201 and set(sent.json()) >= {"conversationId", "messageId"}
    conversation_id = sent.json()["conversationId"]
    assert "RateLimit-Remaining" in sent.headers
    async with db.session() as session:
        reply = await conversations.reply(session, org.operator, conversation_id, "It ships today")
    after = await api.get("/api/widget/messages", params={"after": sent.json()["messageId"]}, headers=headers)
    assert after.status_code == 200
    assert [(m["id"], m["sender"], m["text"], m["authorName"]) for m in after.json()["data"]] == [
        (reply.id, "operator", "It ships today", org.operator_name)]
    assert after.json()["conversation"]["unreadCount"] == 1
    assert (await api.post("/api/widget/seen", headers=headers)).status_code == 204
    assert (await api.get("/api/widget/messages", headers=headers)).json()["conversation"]["unreadCount"] == 0
    assert (await api.post("/api/widget/typing", headers=headers, json={"typing": True})).status_code == 204

    await api.post(f"/api/v1/conversations/{conversation_id}/resolve", headers=org.headers)
    status = (await api.get("/api/widget/messages", headers=headers)).json()["conversation"]
    assert status["id"] == conversation_id and status["status"] == "resolved"
    again = await api.post("/api/widget/messages", headers=headers, json={"text": "Still there?"})
    assert again.json()["conversationId"] == conversation_id
    assert (await api.get("/api/widget/messages", headers=headers)).json()["conversation"]["status"] == "unresolved"
    assert (await api.get("/api/widget/messages?after=nope", headers=headers)).json()["code"] == "invalid_after"


async def test_the_default_responder_answers_through_the_api(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    headers = {"X-Contact-Token": (await _session(api, org.id))["contactToken"]}
    responder.install(responder.DefaultResponder())
    try:
        await api.post("/api/widget/messages", headers=headers, json={"text": "Olá"})
        await responder.drain()
    finally:
        responder.uninstall()
    data = (await api.get("/api/widget/messages", headers=headers)).json()["data"]
    assert [(m["sender"], m["text"]) for m in data] == [
        ("contact", "Olá"), ("system", "Obrigado pela mensagem! Um atendente vai responder aqui em breve.")]


async def test_missing_unknown_and_expired_tokens_are_401_problems(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    created = await _session(api, org.id)
    for token, code in ((None, "invalid_contact_token"), ("lc_ct_unknown", "invalid_contact_token"),
                        ("x" * 5000, "invalid_contact_token")):
        headers = {"X-Contact-Token": token} if token else {}
        response = await api.post("/api/widget/messages", headers=headers, json={"text": "hi"})
        assert response.status_code == 401 and response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == code
    async with db.session() as session:
        await session.exec(update(ContactSession).where(ContactSession.id == created["contactSessionId"])  # type: ignore[call-overload]
                           .values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    for method, path in (("GET", "/api/widget/messages"), ("POST", "/api/widget/messages")):
        expired = await api.request(method, path, headers={"X-Contact-Token": created["contactToken"]},
                                    json={"text": "hi"} if method == "POST" else None)
        assert expired.status_code == 401 and expired.json()["code"] == "contact_session_expired"


@pytest.mark.parametrize(("body", "code"), [
    ({"text": ""}, "message_empty"), ({"text": "a\u0000b"}, "nul_character"), ({"text": "x" * 5001}, "message_too_long"),
    ({"text": "x" * 20_001}, "validation_error"), ({"text": ["list"]}, "validation_error"), ({}, "validation_error"),
])
async def test_bad_messages_are_422_and_spend_no_limit(database: str, api: httpx.AsyncClient, body: dict,
                                                       code: str) -> None:
    org = await make_org()
    headers = {"X-Contact-Token": (await _session(api, org.id))["contactToken"]}
    response = await api.post("/api/widget/messages", headers=headers, json=body)
    assert response.status_code == 422 and response.json()["code"] == code
    good = await api.post("/api/widget/messages", headers=headers, json={"text": "fine"})
    assert good.headers["RateLimit-Remaining"] == str(limits.LIMITS["message_session"].amount - 1)


async def test_malformed_bodies_are_4xx(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    headers = {"X-Contact-Token": (await _session(api, org.id))["contactToken"], "Content-Type": "application/json"}
    for content in (b'{"text": ', b"\xff\xfe", b'{"text": "\\ud800"}', b"[]", b"null"):
        response = await api.post("/api/widget/messages", headers=headers, content=content)
        assert 400 <= response.status_code < 500, (content, response.status_code)
    sessions = await api.post("/api/widget/sessions", headers={"Content-Type": "application/json"}, content=b"{")
    assert sessions.status_code == 422


async def test_session_creation_is_limited_per_ip(database: str, api: httpx.AsyncClient,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")  # X-Forwarded-For names the client in these requests
    from livchat.core.settings import reset_settings_cache

    reset_settings_cache()
    try:
        org = await make_org()
        allowed = limits.LIMITS["session_ip"].amount
        for _ in range(allowed):
            await _session(api, org.id, ip="198.51.100.20")
        refused = await api.post("/api/widget/sessions", json={"organizationId": org.id, "name": "Ana",
                                                              "email": "ana@example.com"},
                                 headers={"X-Forwarded-For": "198.51.100.20"})
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) > 0 and refused.headers["RateLimit-Remaining"] == "0"
        assert refused.headers["RateLimit-Limit"] == str(allowed) and "RateLimit-Reset" in refused.headers
        await _session(api, org.id, ip="198.51.100.21")  # another address is not limited
    finally:
        monkeypatch.delenv("TRUSTED_PROXY_HOPS")
        reset_settings_cache()


async def test_messages_are_limited_per_session(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    headers = {"X-Contact-Token": (await _session(api, org.id))["contactToken"]}
    allowed = limits.LIMITS["message_session"].amount
    for n in range(allowed):
        assert (await api.post("/api/widget/messages", headers=headers, json={"text": f"m{n}"})).status_code == 201
    refused = await api.post("/api/widget/messages", headers=headers, json={"text": "one too many"})
    assert refused.status_code == 429 and refused.headers["content-type"] == PROBLEM
    assert int(refused.headers["Retry-After"]) > 0 and refused.headers["RateLimit-Limit"] == str(allowed)
    other = {"X-Contact-Token": (await _session(api, org.id))["contactToken"]}
    assert (await api.post("/api/widget/messages", headers=other, json={"text": "mine"})).status_code == 201
    texts = [m["text"] for m in (await api.get("/api/widget/messages", headers=headers)).json()["data"]]
    assert "one too many" not in texts and len(texts) == allowed


async def test_a_visitor_of_one_organization_never_reaches_another(database: str, api: httpx.AsyncClient) -> None:
    a, b = await make_org("A"), await make_org("B")
    a_headers = {"X-Contact-Token": (await _session(api, a.id))["contactToken"]}
    b_headers = {"X-Contact-Token": (await _session(api, b.id))["contactToken"]}
    mine = await api.post("/api/widget/messages", headers=a_headers, json={"text": "private to A"})
    theirs = await api.post("/api/widget/messages", headers=b_headers, json={"text": "B's own"})
    assert mine.json()["conversationId"] != theirs.json()["conversationId"]
    b_view = (await api.get("/api/widget/messages", headers=b_headers)).json()
    assert [m["text"] for m in b_view["data"]] == ["B's own"] and "private to A" not in str(b_view)
    # B's visitor cannot aim at A's conversation: the API takes no conversation id, and an id in
    # the query or body is ignored.
    aimed = await api.post(f"/api/widget/messages?conversationId={mine.json()['conversationId']}", headers=b_headers,
                           json={"text": "into A?", "conversationId": mine.json()["conversationId"]})
    assert aimed.json()["conversationId"] == theirs.json()["conversationId"]
    a_view = await api.get(f"/api/v1/conversations/{mine.json()['conversationId']}/messages", headers=a.headers)
    assert [m["text"] for m in a_view.json()["data"]] == ["private to A"]
