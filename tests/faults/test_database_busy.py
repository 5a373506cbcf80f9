"""A saturated database is an overload, not a bug: the API answers 503 problem+json with
Retry-After, never a 500. Driven by a real exhausted connection pool on the PostgreSQL at 127.0.0.1
(the same exception an app worker meets when every pooled connection is taken)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from livchat.api.json_body import api_router
from livchat.api.problems import BUSY_RETRY_AFTER, install_problem_handlers
from livchat.core.db import async_url


@pytest.fixture
async def one_connection(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(postgres_url), pool_size=1, max_overflow=0, pool_timeout=0.2)
    yield engine
    await engine.dispose()


async def test_an_exhausted_pool_is_a_503_with_retry_after(one_connection: AsyncEngine) -> None:
    app = FastAPI()
    install_problem_handlers(app)
    router = api_router()

    @router.get("/api/v1/ping")
    async def ping() -> dict[str, int]:
        async with one_connection.connect() as connection:
            return {"one": (await connection.execute(text("SELECT 1"))).scalar_one()}

    app.include_router(router)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/api/v1/ping")).json() == {"one": 1}
        async with one_connection.connect():  # every pooled connection taken
            busy = await client.get("/api/v1/ping")
        assert busy.status_code == 503, busy.text
        assert busy.headers["content-type"] == "application/problem+json"
        assert busy.headers["retry-after"] == str(BUSY_RETRY_AFTER)
        assert busy.json()["code"] == "service_busy"
        assert (await client.get("/api/v1/ping")).status_code == 200  # and back once a connection is free
