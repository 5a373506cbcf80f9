"""Idempotency-Key: what is stored and replayed, what is released, leases, canonical JSON, purge.

Most tests drive `idempotent()` through a small FastAPI app whose route does what a real send
does at each step (refuse with 429, dispatch, fail); the last ones send through the real v1 route
to a WuzAPI that never answers."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlmodel import select, update
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response
from starlette.routing import Route

from livchat.api.problems import ApiError, install_problem_handlers
from livchat.api.v1.common import Attempt, idempotent
from livchat.core.db import db, utcnow
from livchat.core.ids import new_id
from livchat.core.settings import reset_settings_cache
from livchat.models import IdempotencyKey, Message
from livchat.models.enums import Plan
from livchat.services import idempotency
from livchat.services.accounts import api_keys, users
from livchat.services.errors import GatewayTimeout, GatewayUnavailable, InvalidInput
from livchat.services.usage.limits import reset_rate_limits
from livchat.services.whatsapp.gateway import close_gateway
from tests.factories import actor_of, make_instance
from tests.polling import eventually

Step = Callable[[dict[str, Any], Attempt], Awaitable[JSONResponse]]


def _app(org_id: str, step: Step, calls: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/send")
    async def send(request: Request) -> Any:
        async def produce(attempt: Attempt) -> JSONResponse:
            body = await request.json()
            calls.append(body)
            return await step(body, attempt)

        return await idempotent(request, org_id, produce)

    return app


async def _created(body: dict[str, Any], attempt: Attempt) -> JSONResponse:
    await attempt.dispatching()
    return JSONResponse({"sent": body.get("text")}, status_code=201, headers={"Location": "/messages/1"})


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.fixture
async def org_id(session: Any) -> str:
    org = await users.create_organization(session, "Acme")
    await session.commit()
    return org.id


async def _key_row(org_id: str, key: str) -> IdempotencyKey | None:
    async with db.session() as s:
        return (await s.exec(select(IdempotencyKey).where(IdempotencyKey.organization_id == org_id,
                                                          IdempotencyKey.key == key))).first()


async def test_same_key_replays_the_first_response_with_its_headers_and_runs_once(org_id: str) -> None:
    calls: list[dict[str, Any]] = []
    async with _client(_app(org_id, _created, calls)) as client:
        first = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k1"})
        again = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k1"})
        other = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k2"})
        plain = await client.post("/send", json={"text": "hi"})
    assert first.status_code == again.status_code == other.status_code == plain.status_code == 201
    assert first.json() == again.json() == {"sent": "hi"}
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert again.headers["location"] == "/messages/1" and again.headers["content-type"] == "application/json"
    assert len(calls) == 3


async def test_the_fingerprint_is_over_canonical_json(org_id: str) -> None:
    calls: list[dict[str, Any]] = []
    async with _client(_app(org_id, _created, calls)) as client:
        compact = await client.post("/send", content=b'{"text":"hi","to":"5511912345678"}',
                                    headers={"Idempotency-Key": "k", "Content-Type": "application/json"})
        spaced = await client.post("/send", content=b'{ "to" : "5511912345678",\n  "text": "hi" }',
                                   headers={"Idempotency-Key": "k", "Content-Type": "application/json"})
        changed = await client.post("/send", json={"to": "5511912345678", "text": "hello"},
                                    headers={"Idempotency-Key": "k"})
    assert compact.status_code == spaced.status_code == 201 and spaced.headers["idempotent-replayed"] == "true"
    assert changed.status_code == 422 and changed.json()["code"] == "idempotency_key_reused"
    assert len(calls) == 1


async def test_client_errors_before_sending_are_replayed(org_id: str) -> None:
    async def invalid(body: dict[str, Any], attempt: Attempt) -> JSONResponse:
        raise InvalidInput("invalid_phone")

    calls: list[dict[str, Any]] = []
    async with _client(_app(org_id, invalid, calls)) as client:
        first = await client.post("/send", json={"to": "x"}, headers={"Idempotency-Key": "k"})
        again = await client.post("/send", json={"to": "x"}, headers={"Idempotency-Key": "k"})
    assert first.status_code == again.status_code == 422
    assert first.json()["code"] == again.json()["code"] == "invalid_phone"
    assert again.headers["content-type"] == "application/problem+json" and len(calls) == 1


async def test_a_429_is_never_stored_and_keeps_its_retry_after(org_id: str) -> None:
    async def limited_once(body: dict[str, Any], attempt: Attempt) -> JSONResponse:
        if len(calls) == 1:
            raise ApiError(429, "rate_limited", "slow down", headers={"Retry-After": "1", "RateLimit-Limit": "1",
                                                                     "RateLimit-Remaining": "0", "RateLimit-Reset": "1"})
        return await _created(body, attempt)

    calls: list[dict[str, Any]] = []
    async with _client(_app(org_id, limited_once, calls)) as client:
        refused = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k"})
        assert await _key_row(org_id, "k") is None  # released, not stored
        retried = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k"})
        replayed = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k"})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
    assert "retry-after" not in replayed.headers and len(calls) == 2


async def test_a_request_in_progress_answers_409_with_retry_after_and_is_not_stored(org_id: str) -> None:
    entered, finish = asyncio.Event(), asyncio.Event()

    async def slow(body: dict[str, Any], attempt: Attempt) -> JSONResponse:
        entered.set()
        await finish.wait()
        return await _created(body, attempt)

    calls: list[dict[str, Any]] = []
    async with _client(_app(org_id, slow, calls)) as client:
        first = asyncio.create_task(client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k"}))
        await asyncio.wait_for(entered.wait(), 10)
        busy = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k"})
        finish.set()
        done = await first
        later = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k"})
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_in_progress"
    assert busy.headers["retry-after"] == str(idempotency.IN_PROGRESS_RETRY_AFTER)
    assert done.status_code == 201 and later.status_code == 201 and later.headers["idempotent-replayed"] == "true"
    assert len(calls) == 1


async def test_a_failure_after_dispatch_is_stored_and_never_sent_again(org_id: str) -> None:
    """A timeout once the request may have reached WuzAPI: a retry must not send a second time."""
    async def timed_out(body: dict[str, Any], attempt: Attempt) -> JSONResponse:
        await attempt.dispatching()
        raise GatewayTimeout("gateway_timeout")

    calls: list[dict[str, Any]] = []
    async with _client(_app(org_id, timed_out, calls)) as client:
        first = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k"})
        again = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k"})
    assert first.status_code == again.status_code == 504
    assert again.json()["code"] == "gateway_timeout" and again.headers["idempotent-replayed"] == "true"
    assert len(calls) == 1


async def test_an_unexpected_error_after_dispatch_stores_outcome_unknown(org_id: str) -> None:
    async def broken(body: dict[str, Any], attempt: Attempt) -> JSONResponse:
        await attempt.dispatching()
        raise RuntimeError("bug after the gateway answered")

    calls: list[dict[str, Any]] = []
    async with _client(_app(org_id, broken, calls)) as client:
        first = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k"})
        again = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k"})
    assert first.status_code == again.status_code == 500
    assert first.json()["code"] == again.json()["code"] == "outcome_unknown" and len(calls) == 1


async def test_a_failure_of_ours_before_dispatch_releases_the_key(org_id: str) -> None:
    async def unavailable_once(body: dict[str, Any], attempt: Attempt) -> JSONResponse:
        if len(calls) == 1:
            raise GatewayUnavailable("gateway_unavailable")
        return await _created(body, attempt)

    calls: list[dict[str, Any]] = []
    async with _client(_app(org_id, unavailable_once, calls)) as client:
        first = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k"})
        again = await client.post("/send", json={"text": "hi"}, headers={"Idempotency-Key": "k"})
    assert first.status_code == 502 and again.status_code == 201 and len(calls) == 2


async def test_a_cancelled_request_settles_its_key(org_id: str) -> None:
    """Cancelled before dispatch: released. Cancelled after: outcome unknown, never re-run."""
    entered, never = asyncio.Event(), asyncio.Event()

    async def hangs(body: dict[str, Any], attempt: Attempt) -> JSONResponse:
        if body["dispatch"]:
            await attempt.dispatching()
        entered.set()
        await never.wait()
        raise AssertionError("unreachable")

    calls: list[dict[str, Any]] = []
    async with _client(_app(org_id, hangs, calls)) as client:
        for key, dispatch in (("before", False), ("after", True)):
            entered.clear()
            task = asyncio.create_task(client.post("/send", json={"dispatch": dispatch},
                                                   headers={"Idempotency-Key": key}))
            await asyncio.wait_for(entered.wait(), 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    assert await _key_row(org_id, "before") is None
    after = await _key_row(org_id, "after")
    assert after is not None and after.response_status == 500 and after.dispatched_at is not None
    assert json.loads(after.response_body or "{}")["code"] == "outcome_unknown"


async def test_a_dead_holder_blocks_the_key_only_until_its_lease_lapses(org_id: str) -> None:
    fingerprint = idempotency.request_fingerprint("POST", "/send", b"{}")
    assert await idempotency.claim(org_id, "k", "POST", "/send", fingerprint) is None  # then the holder dies
    with pytest.raises(idempotency.KeyInProgress):
        await idempotency.claim(org_id, "k", "POST", "/send", fingerprint)
    await _age_lease(org_id, "k")
    assert await idempotency.claim(org_id, "k", "POST", "/send", fingerprint) is None  # taken over
    with pytest.raises(idempotency.KeyInProgress):  # and the new holder's lease is live
        await idempotency.claim(org_id, "k", "POST", "/send", fingerprint)

    # A holder that died after dispatching: the outcome is unknown, so the request never runs again.
    assert await idempotency.claim(org_id, "d", "POST", "/send", fingerprint) is None
    await idempotency.mark_dispatched(org_id, "d")
    await _age_lease(org_id, "d")
    with pytest.raises(idempotency.OutcomeUnknown):
        await idempotency.claim(org_id, "d", "POST", "/send", fingerprint)


async def _age_lease(org_id: str, key: str) -> None:
    """What time does to a lease: it lapses (the holder is gone)."""
    async with db.session() as s:
        await s.exec(update(IdempotencyKey).where(IdempotencyKey.organization_id == org_id, IdempotencyKey.key == key)
                     .values(lease_expires_at=utcnow() - timedelta(seconds=1)))
        await s.commit()


async def test_concurrent_claims_of_one_key_let_exactly_one_through(org_id: str) -> None:
    fingerprint = idempotency.request_fingerprint("POST", "/send", b"{}")

    async def claim() -> object:
        try:
            return await idempotency.claim(org_id, "k", "POST", "/send", fingerprint)
        except idempotency.KeyInProgress as exc:
            return exc

    outcomes = await asyncio.gather(*(claim() for _ in range(8)))
    assert sum(o is None for o in outcomes) == 1
    assert all(isinstance(o, idempotency.KeyInProgress) for o in outcomes if o is not None)
    await idempotency.complete(org_id, "k", 201, '{"ok": true}', {"content-type": "application/json"})
    stored = await idempotency.claim(org_id, "k", "POST", "/send", fingerprint)
    assert stored == idempotency.StoredResponse(201, '{"ok": true}', {"content-type": "application/json"})


async def test_the_purge_lifespan_removes_expired_keys(org_id: str) -> None:
    now = utcnow()
    async with db.session() as s:
        for key, expires in (("old", now - timedelta(seconds=1)), ("fresh", now + idempotency.TTL)):
            s.add(IdempotencyKey(id=new_id("idk"), organization_id=org_id, key=key, request_hash="h", method="POST",
                                 path="/send", response_status=201, response_body="{}", expires_at=expires))
        await s.commit()
    async with idempotency.purge_lifespan(every_seconds=0.05):
        await eventually(lambda: _key_row(org_id, "old"), lambda row: row is None, what="the purge")
    assert await _key_row(org_id, "fresh") is not None


# --- through the real send route -------------------------------------------------------------

@pytest.fixture
async def silent_wuzapi() -> AsyncIterator[list[bytes]]:
    """A WuzAPI that takes every send and never answers (WUZAPI_TIMEOUT_SECONDS=0.5) — or, once
    `hits` holds "answer", answers like WuzAPI."""
    hits: list[bytes] = []
    release = asyncio.Event()

    async def hang(request: StarletteRequest) -> Response:
        body = await request.body()
        if b"answer" in hits:
            return Response(json.dumps({"code": 200, "success": True, "data": {
                "Details": "Sent", "Timestamp": 1_767_000_000, "Id": json.loads(body)["Id"]}}))
        hits.append(body)
        await release.wait()
        return Response("{}")

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/chat/send/text", hang, methods=["POST"])]),
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    saved = {k: os.environ.get(k) for k in ("WUZAPI_URL", "WUZAPI_TIMEOUT_SECONDS")}
    os.environ["WUZAPI_URL"] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    os.environ["WUZAPI_TIMEOUT_SECONDS"] = "0.5"
    reset_settings_cache()
    reset_rate_limits()
    try:
        yield hits
    finally:
        release.set()
        await close_gateway()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_settings_cache()
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


async def _connected_org_instance(session: Any) -> tuple[dict[str, str], str]:
    org = await users.create_organization(session, "Acme")
    org.plan = Plan.STARTER
    key = await api_keys.create_api_key(session, actor_of(org.id), "test")
    instance = make_instance(org.id, wuzapi_user_id="u1", wuzapi_token="tok", hmac_key="k" * 40, status="connected",
                             logged_in=True)
    session.add_all([org, instance])
    await session.commit()
    return {"Authorization": f"Bearer {key.secret}"}, instance.id


async def test_a_send_that_timed_out_is_replayed_not_sent_twice(api: httpx.AsyncClient, session: Any,
                                                                silent_wuzapi: list[bytes]) -> None:
    auth, instance_id = await _connected_org_instance(session)
    headers = {**auth, "Idempotency-Key": "order-1"}
    body = {"to": "+55 11 91234-5678", "type": "text", "text": "Order shipped"}
    url = f"/api/v1/instances/{instance_id}/messages"

    first = await api.post(url, json=body, headers=headers)
    again = await api.post(url, content=json.dumps(body, indent=2), headers={**headers,
                                                                             "Content-Type": "application/json"})
    assert first.status_code == again.status_code == 504 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and first.json()["code"] == "gateway_timeout"
    assert len(silent_wuzapi) == 1  # sent once
    async with db.session() as s:
        [row] = (await s.exec(select(Message).where(Message.instance_id == instance_id))).all()
    assert row.status == "failed" and "may or may not have been sent" in (row.error or "")


async def test_a_send_that_never_reached_wuzapi_releases_its_key(api: httpx.AsyncClient, session: Any,
                                                                 silent_wuzapi: list[bytes]) -> None:
    auth, instance_id = await _connected_org_instance(session)
    headers = {**auth, "Idempotency-Key": "order-2"}
    body = {"to": "+55 11 91234-5678", "type": "text", "text": "Order shipped"}
    url = f"/api/v1/instances/{instance_id}/messages"
    reachable = os.environ["WUZAPI_URL"]
    with socket.socket() as closed:  # a port nothing listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        os.environ["WUZAPI_URL"] = f"http://127.0.0.1:{closed.getsockname()[1]}"
    reset_settings_cache()
    down = await api.post(url, json=body, headers=headers)
    assert down.status_code == 502 and down.json()["code"] == "gateway_unavailable"
    os.environ["WUZAPI_URL"] = reachable
    reset_settings_cache()
    silent_wuzapi.append(b"answer")
    retried = await api.post(url, json=body, headers=headers)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert (await api.post(url, json=body, headers=headers)).headers["idempotent-replayed"] == "true"


def test_a_claim_outlasts_the_longest_request_the_settings_allow(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from livchat.core.settings import reset_settings_cache

    assert idempotency.lease() == idempotency.MIN_LEASE  # defaults: 30 s download + 15 s WuzAPI
    monkeypatch.setenv("LIVCHAT_MEDIA_FETCH_SECONDS", "300")
    reset_settings_cache()
    try:
        assert idempotency.lease() >= timedelta(seconds=300 + 15)
    finally:
        monkeypatch.delenv("LIVCHAT_MEDIA_FETCH_SECONDS")
        reset_settings_cache()
