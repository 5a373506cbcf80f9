from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from livchat.api.problems import install_problem_handlers
from livchat.api.v1.common import idempotent
from livchat.services import accounts, idempotency
from livchat.services.errors import InvalidInput


def _app(org_id: str, calls: list[str]) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/send")
    async def send(request: Request) -> JSONResponse:
        async def produce() -> JSONResponse:
            body = await request.json()
            if body.get("bad"):
                raise InvalidInput("invalid_email")
            calls.append(body["text"])
            return JSONResponse({"sent": len(calls)}, status_code=201)

        return await idempotent(request, org_id, produce)  # type: ignore[return-value]

    return app


async def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_same_key_replays_the_first_response_and_sends_once(session) -> None:  # type: ignore[no-untyped-def]
    org = await accounts.create_organization(session, "Acme")
    await session.commit()
    calls: list[str] = []
    async with await _client(_app(org.id, calls)) as client:
        first = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k1"})
        again = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k1"})
        other = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k2"})
        plain = await client.post("/send", json={"text": "hi"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == {"sent": 1}
    assert again.headers["idempotent-replayed"] == "true"
    assert other.json() == {"sent": 2} and plain.json() == {"sent": 3}
    assert calls == ["hi", "hi", "hi"]


async def test_key_reused_with_another_body_is_refused(session) -> None:  # type: ignore[no-untyped-def]
    org = await accounts.create_organization(session, "Acme")
    await session.commit()
    calls: list[str] = []
    async with await _client(_app(org.id, calls)) as client:
        await client.post("/send", json={"text": "a"}, headers={"Idempotency-Key": "k"})
        reused = await client.post("/send", json={"text": "b"}, headers={"Idempotency-Key": "k"})
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert calls == ["a"]


async def test_client_errors_are_replayed_too(session) -> None:  # type: ignore[no-untyped-def]
    org = await accounts.create_organization(session, "Acme")
    await session.commit()
    async with await _client(_app(org.id, [])) as client:
        first = await client.post("/send", json={"bad": True}, headers={"Idempotency-Key": "k"})
        again = await client.post("/send", json={"bad": True}, headers={"Idempotency-Key": "k"})
    assert first.status_code == again.status_code == 422
    assert first.json()["code"] == again.json()["code"] == "invalid_email"


async def test_concurrent_claims_of_one_key_let_exactly_one_through(session) -> None:  # type: ignore[no-untyped-def]
    org = await accounts.create_organization(session, "Acme")
    await session.commit()
    fingerprint = idempotency.request_fingerprint("POST", "/send", b"{}")

    async def claim() -> object:
        try:
            return await idempotency.claim(org.id, "k", "POST", "/send", fingerprint)
        except idempotency.KeyInProgress as exc:
            return exc

    outcomes = await asyncio.gather(*(claim() for _ in range(8)))
    assert sum(o is None for o in outcomes) == 1
    assert all(isinstance(o, idempotency.KeyInProgress) for o in outcomes if o is not None)

    await idempotency.complete(org.id, "k", 201, '{"ok": true}')
    stored = await idempotency.claim(org.id, "k", "POST", "/send", fingerprint)
    assert stored == idempotency.StoredResponse(201, '{"ok": true}')


async def test_a_failed_request_releases_its_key(session) -> None:  # type: ignore[no-untyped-def]
    org = await accounts.create_organization(session, "Acme")
    await session.commit()
    fingerprint = idempotency.request_fingerprint("POST", "/send", b"{}")
    assert await idempotency.claim(org.id, "k", "POST", "/send", fingerprint) is None
    await idempotency.release(org.id, "k")
    assert await idempotency.claim(org.id, "k", "POST", "/send", fingerprint) is None
