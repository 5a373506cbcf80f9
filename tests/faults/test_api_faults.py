"""The faults found under fuzzing (issue 15 §5), each over a real socket against the served app
with the in-process sandbox: every answer of `/api` is problem+json, never a 500."""

from __future__ import annotations

import asyncio
import random
import socket
from typing import Any

import pytest

from livchat.models.enums import Plan
from livchat.services.accounts import api_keys, users
from livchat.services.usage.limits import reset_rate_limits
from livchat.services.whatsapp.events import InstanceConnected
from tests.factories import actor_of

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    reset_rate_limits()


async def _org(session: Any) -> dict[str, str]:
    org = await users.create_organization(session, "Acme")
    org.plan = Plan.STARTER
    session.add(org)
    key = await api_keys.create_api_key(session, actor_of(org.id), "faults")
    await session.commit()
    return {"Authorization": f"Bearer {key.secret}"}


async def _linked(live: Any, headers: dict[str, str]) -> str:
    instance_id = (await live.http.post("/api/v1/instances", json={"name": "Shop"}, headers=headers)).json()["id"]
    await live.http.post(f"/api/v1/instances/{instance_id}/connect", headers=headers)
    await live.http.get(f"/api/v1/instances/{instance_id}/qr", headers=headers)
    sessions = (await live.control.get("/sessions")).json()["sessions"]
    waiting = next(s for s in sessions if s["name"] == instance_id)
    await live.link(qr=waiting["qr"], phone="55119" + str(random.randrange(10_000_000, 99_999_999)))
    await live.wait_event(InstanceConnected, lambda e: e.instance_id == instance_id)
    return instance_id


LONE = '"x\\ud800y"'
SURROGATE_BODIES = {  # each one valid but for its lone surrogate (checked below with a plain "x")
    "text": '{"to": "5511999998888", "type": "text", "text": @}',
    "replyTo": '{"to": "5511999998888", "type": "text", "text": "hi", "replyTo": @}',
    "fileName": '{"to": "5511999998888", "type": "document", "mediaBase64": "JVBERi0xLjQK", "mimeType": "application/pdf", '
                '"fileName": @}',
    "mediaUrl": '{"to": "5511999998888", "type": "image", "mediaUrl": @}',
    "location": '{"to": "5511999998888", "type": "location", "latitude": -23.5, "longitude": -46.6, "text": @}',
}


@pytest.mark.parametrize("field", sorted(SURROGATE_BODIES))
async def test_lone_surrogates_in_a_send_are_422(live, session, forget_sandbox_users, field: str) -> None:  # type: ignore[no-untyped-def]
    headers = await _org(session)
    instance_id = await _linked(live, headers)
    path = f"/api/v1/instances/{instance_id}/messages"
    json_headers = {**headers, "Content-Type": "application/json"}
    response = await live.http.post(path, content=SURROGATE_BODIES[field].replace("@", LONE).encode(), headers=json_headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    if field != "mediaUrl":  # the same body with a plain string is sent (a URL needs a real server)
        plain = await live.http.post(path, content=SURROGATE_BODIES[field].replace("@", '"x"').encode(),
                                     headers=json_headers)
        assert plain.status_code == 201, plain.text


@pytest.mark.parametrize("body", ['{"url": @, "events": ["message.received"]}'.replace("@", LONE),
                                  '{"url": "https://example.com/hook", "events": [@, "message.received"]}'.replace(
                                      "@", LONE)])
async def test_lone_surrogates_in_a_webhook_are_422(live, session, body: str) -> None:  # type: ignore[no-untyped-def]
    headers = await _org(session)
    instance_id = (await live.http.post("/api/v1/instances", json={"name": "Shop"}, headers=headers)).json()["id"]
    response = await live.http.put(f"/api/v1/instances/{instance_id}/webhook", content=body.encode(),
                                   headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM


async def test_a_body_that_is_not_utf8_asks_for_a_key_first(live, session) -> None:  # type: ignore[no-untyped-def]
    headers = await _org(session)
    bad = b'{"name": "\xff\xfe"}'
    anonymous = await live.http.post("/api/v1/instances", content=bad, headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == PROBLEM
    wrong_key = await live.http.post("/api/v1/instances", content=bad, headers={
        "Content-Type": "application/json", "Authorization": "Bearer lc_live_wrong"})
    assert wrong_key.status_code == 401
    keyed = await live.http.post("/api/v1/instances", content=bad, headers={**headers, "Content-Type": "application/json"})
    assert keyed.status_code in (400, 422) and keyed.headers["content-type"] == PROBLEM


async def test_logout_racing_a_delete_is_404_not_502(live, session, forget_sandbox_users) -> None:  # type: ignore[no-untyped-def]
    headers = await _org(session)
    for _ in range(3):
        instance_id = await _linked(live, headers)
        logout, delete = await asyncio.gather(
            live.http.post(f"/api/v1/instances/{instance_id}/logout", headers=headers),
            live.http.delete(f"/api/v1/instances/{instance_id}", headers=headers))
        assert delete.status_code == 204, delete.text
        assert logout.status_code in (200, 202, 204, 404), logout.text
        after = await live.http.post(f"/api/v1/instances/{instance_id}/logout", headers=headers)
        assert after.status_code == 404 and after.headers["content-type"] == PROBLEM


def _raw(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("request_line", [b"GET /api/v1/instances%0a HTTP/1.1", b"GET /api/v1/%0d%0ainstances HTTP/1.1",
                                          b"TRACE /api/v1/instances HTTP/1.1", b"TRACE /api/public/limits HTTP/1.1"])
async def test_odd_paths_and_methods_answer_problem_json(live, request_line: bytes) -> None:  # type: ignore[no-untyped-def]
    answer = await asyncio.to_thread(_raw, live.url, request_line + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    status = int(head.split(b" ")[1])
    assert 400 <= status < 500, answer[:200]
    assert b"content-type: application/problem+json" in head, answer[:300]


async def test_usage_to_zero_is_not_1970(live, session) -> None:  # type: ignore[no-untyped-def]
    headers = await _org(session)
    for query in ("to=0", "from=0", "to=1700000000", "from=2026-13-01"):
        response = await live.http.get(f"/api/v1/usage?{query}", headers=headers)
        assert response.status_code == 422, (query, response.text)
        assert response.headers["content-type"] == PROBLEM
    assert (await live.http.get("/api/v1/usage?from=2026-01-01&to=2026-01-31", headers=headers)).status_code == 200


async def test_openapi_lists_the_400_and_409s(live) -> None:  # type: ignore[no-untyped-def]
    spec = (await live.http.get("/api/v1/openapi.json")).json()
    paths = spec["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if method in ("post", "put", "patch") and "requestBody" in operation and \
                    "application/json" in operation["requestBody"].get("content", {}):
                assert "400" in operation["responses"], (method, path)
    rotate = next(p for p in paths if p.endswith("/webhook/rotate-secret"))
    assert "409" in paths[rotate]["post"]["responses"]
    pair = next(p for p in paths if p.endswith("/pairphone"))
    assert "409" in paths[pair]["post"]["responses"]
