"""The dispatcher is killed with SIGKILL in the middle of a batch and started again: every event
is delivered, none is lost, and a duplicate carries the same webhook-id as the first copy."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import func, select
from webhook_helpers import Tenant, emit, save

from bench.webhook_receiver import Receiver
from livchat.core.db import db
from livchat.models.webhooks import WebhookDelivery
from tests.polling import eventually

pytestmark = pytest.mark.usefixtures("allow_private_webhooks")
EVENTS = 300
SCRIPT = Path(__file__).with_name("dispatcher_process.py")


def start_dispatcher() -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": db.url, "LIVCHAT_WEBHOOK_ALLOW_PRIVATE": "1"}
    return subprocess.Popen([sys.executable, str(SCRIPT)], env=env, cwd=Path(__file__).parents[2],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def count(*conditions) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(WebhookDelivery).where(*conditions))).one()


async def test_sigkill_mid_batch_loses_nothing(tenant: Tenant, receiver: Receiver, outbox: None) -> None:
    await save(tenant, receiver.url)
    events = await emit(tenant, *({"n": i} for i in range(EVENTS)))
    receiver.delay = 0.5  # responses hang: posts are in flight when the kill comes

    first = start_dispatcher()
    try:
        await receiver.wait_for(lambda r: r.count >= 20, timeout=30)
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
    # Proof that it died mid-batch: rows were claimed and posted but their outcome never recorded.
    async with db.session() as session:
        in_flight = set(await session.exec(select(WebhookDelivery.event_id).where(
            WebhookDelivery.status == "pending", WebhookDelivery.locked_until.is_not(None))))
    posted_unrecorded = in_flight & set(receiver.ids())
    assert len(in_flight) >= 8 and posted_unrecorded  # the 8 posts in flight, plus the claimed queue

    receiver.delay = 0.0
    second = start_dispatcher()
    try:
        await receiver.wait_for(lambda r: set(r.ids()) >= {e.id for e in events}, timeout=60)

        await eventually(lambda: count(WebhookDelivery.status == "delivered"), lambda delivered: delivered >= EVENTS,
                         timeout=30, every=0.05, what="every delivery recorded")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=10)

    assert await count() == EVENTS  # no row lost, none created twice
    ids = receiver.ids()
    assert set(ids) == {e.id for e in events}
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert duplicates and duplicates <= in_flight  # only the interrupted ones came twice
    for request in receiver.requests:  # a duplicate is the same event under the same webhook-id
        assert json.loads(request.body)["id"] == request.headers["webhook-id"]
