"""Fixtures for the webhook outbox and dispatcher: an organization with an instance, a local
receiver on 127.0.0.1, the outbox installed on the app's bus, a fast dispatcher in the background."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from webhook_helpers import FAST, Tenant, make_tenant

from bench.webhook_receiver import Receiver
from livchat.services.webhooks import outbox as webhook_outbox
from livchat.services.webhooks.dispatcher import Dispatcher


@pytest.fixture
async def tenant(database: str) -> Tenant:
    return await make_tenant()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver().start()
    yield server
    await server.stop()


@pytest.fixture
def outbox() -> Iterator[None]:
    uninstall = webhook_outbox.install()
    yield
    uninstall()


@pytest.fixture
async def dispatcher(database: str, outbox: None) -> AsyncIterator[Dispatcher]:
    """A dispatcher with millisecond retry delays, running until the test ends."""
    worker = Dispatcher(FAST)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    yield worker
    stop.set()
    await asyncio.wait_for(task, 10)
