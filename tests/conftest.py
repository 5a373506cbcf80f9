"""Shared fixtures. The `database` fixture runs each test that uses it on SQLite and on the
PostgreSQL at 127.0.0.1 (a fresh database per run, dropped at the end). The WhatsApp fixtures
(`live`, `forget_sandbox_users`) come from tests/whatsapp/wa_support.py, a plugin of this file."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.routing import Route

from livchat.core import crypto, migrations
from livchat.core.db import db
from livchat.core.settings import reset_settings_cache
from livchat.models import metadata
from livchat.sandbox.testing import serve_in_thread
from tests.media_support import media_route

pytest_plugins = ["tests.whatsapp.wa_support", "tests.fakes.openai_server"]
PG_ADMIN_URL = os.environ.get("LIVCHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


# Set before collection imports anything: modules that read the settings at import time (the
# Reflex app, the in-process sandbox) must see the test environment, never ./data or a .env.
# Every documented setting is dropped from the environment, so a developer's shell or .env
# cannot switch a test to a real service; tests opt in to what they need.
for _name in re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (Path(__file__).parents[1] / ".env.example").read_text(), re.M):
    os.environ.pop(_name, None)
os.environ["LIVCHAT_ENV_FILE"] = ""
_DATA_DIR = Path(tempfile.mkdtemp(prefix="livchat-test-data-"))
os.environ["LIVCHAT_DATA_DIR"] = str(_DATA_DIR)
os.environ["LIVCHAT_SECRET_KEY"] = "test-secret-key-not-for-production"
# Tests serve media on 127.0.0.1; the sandbox refuses such URLs otherwise, as WuzAPI does.
os.environ["SANDBOX_ALLOW_PRIVATE_MEDIA"] = "1"
reset_settings_cache()
crypto.reset_crypto_cache()


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment() -> Iterator[Path]:
    yield _DATA_DIR
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


def _pg_database(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def embed_build() -> Path:
    """embed_widget/dist with embed.js and widget-bridge.js, built by `make embed` as `make test` does
    (incremental: nothing to do when they are current; `npm ci` needs the registry once)."""
    root = Path(__file__).resolve().parents[1]
    with open(root / ".embed-build.lock", "w") as lock:  # one build at a time per checkout
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["make", "-s", "embed"], cwd=root, check=True, timeout=600)
    return root / "embed_widget" / "dist"


@pytest.fixture(scope="session")
def media_server() -> Iterator[str]:
    """Base URL of a real HTTP server with media for sends by URL: /clip.mp4, /moved (302 to it),
    /huge (17 MB), anything else 404."""
    app = Starlette(routes=[Route("/{path:path}", media_route)])
    with serve_in_thread(app) as base:
        yield base


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"livchat_test_{uuid.uuid4().hex[:10]}"
    admin = PG_ADMIN_URL.replace("postgresql://", "postgresql://", 1)
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # CI starts PostgreSQL; a failure here is real
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {exc}")
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _pg_database(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"


_migrated: set[str] = set()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """Point the app's database at a migrated SQLite or PostgreSQL; empty every table after."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    if db.url != url or url not in _migrated:
        await db.dispose()
        db.configure(url)
    if url not in _migrated:
        migrations.upgrade()
        _migrated.add(url)
    yield request.param
    await _empty_tables()


async def _empty_tables() -> None:
    names = [t.name for t in reversed(metadata.sorted_tables)]
    async with db.async_engine.begin() as conn:
        if db.is_sqlite:
            for name in names:
                await conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            await conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))


@pytest.fixture
async def session(database: str):  # type: ignore[no-untyped-def]
    async with db.session() as s:
        yield s


@pytest.fixture
def allow_private_webhooks() -> Iterator[None]:
    """Webhook receivers in tests listen on 127.0.0.1, which production refuses (see the SSRF tests)."""
    os.environ["LIVCHAT_WEBHOOK_ALLOW_PRIVATE"] = "1"
    reset_settings_cache()
    yield
    os.environ.pop("LIVCHAT_WEBHOOK_ALLOW_PRIVATE", None)
    reset_settings_cache()


@pytest.fixture
async def api(database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The FastAPI app over httpx, with the same middleware the served app has."""
    from livchat.api.app import create_api
    from livchat.api.middleware import SecurityHeadersMiddleware

    transport = httpx.ASGITransport(app=SecurityHeadersMiddleware(create_api()))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """A skipped test is a failed one: every test here must run, on this machine and in CI."""
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"test skipped, and skips are not allowed in this suite: {report.longrepr}"
    return report


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API holds its own event loop while open."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
