"""The kill -9 soak, bounded: events stream in while the receiver is down; the app process is
killed (SIGKILL, no shutdown code runs) twice mid-stream and started again; then the receiver
comes back. Every event the app accepted (committed) reaches the receiver, none is lost or left
pending, on SQLite (three processes on one file over time) and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlmodel import func, select

from bench.webhook_receiver import Receiver, free_port
from livchat.core.db import db
from livchat.models.enums import Plan
from livchat.models.webhooks import WebhookDelivery
from livchat.services.actors import Actor
from livchat.services.webhooks import endpoints
from tests.factories import make_instance, make_org
from tests.polling import eventually

ROOT = Path(__file__).resolve().parents[2]
EVENTS_PER_RUN = 60
RATE = 60.0  # events/s
KILL_AFTER = 25  # accepted events seen in a run before it is killed


def _worker(url: str, org_id: str, instance_id: str, first: int, progress: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.webhooks.soak_worker", url, org_id, instance_id, str(first),
                             str(EVENTS_PER_RUN), str(RATE), str(progress)], cwd=ROOT, env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _running(proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise AssertionError(f"the app process exited: {proc.stderr.read().decode()[-3000:] if proc.stderr else ''}")
    return True


def _accepted(progress: Path) -> list[str]:
    return progress.read_text().split() if progress.exists() else []


async def _deliveries() -> int:
    async with db.session() as session:
        return int((await session.exec(select(func.count()).select_from(WebhookDelivery))).one())


async def _by_status() -> dict[str, int]:
    async with db.session() as session:
        rows = await session.exec(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status))
        return {status: int(count) for status, count in rows}


async def test_every_accepted_event_is_delivered_across_two_kill_9s(database: str, session, allow_private_webhooks,  # type: ignore[no-untyped-def]
                                                                    tmp_path: Path) -> None:
    org_id = await make_org(session, plan=Plan.STARTER)
    instance = make_instance(org_id)
    session.add(instance)
    await session.commit()
    receiver = Receiver(port=free_port())  # not started: connections are refused
    await endpoints.save_endpoint(session, Actor.for_console(org_id), instance.id, receiver.url)
    progress = tmp_path / "accepted.txt"

    first = 0
    for _kill in range(2):
        proc = _worker(db.url, org_id, instance.id, first, progress)
        enough = len(_accepted(progress)) + KILL_AFTER
        await eventually(lambda proc=proc: _running(proc) and len(_accepted(progress)), lambda n, enough=enough: n >= enough,
                         timeout=30, every=0.02, what="events accepted by the app process")
        os.killpg(proc.pid, signal.SIGKILL)  # mid-stream: events in flight, deliveries claimed
        await asyncio.to_thread(proc.wait, 10)
        first += EVENTS_PER_RUN  # the next run's ids never collide with what the killed one emitted

    before_last = len(_accepted(progress))
    last = _worker(db.url, org_id, instance.id, first, progress)  # runs to the end of its stream
    try:
        await receiver.start()  # the receiver is back
        accepted = await eventually(lambda: _accepted(progress), lambda ids: len(ids) >= before_last + EVENTS_PER_RUN,
                                    timeout=30, what="the last run's events")
        total = await _deliveries()  # every stream is over: the last one ended, the others were killed
        assert total >= len(accepted)  # a killed run may have committed one more than it wrote down
        await eventually(_by_status, lambda counts: counts == {"delivered": total}, timeout=60, every=0.2,
                         what=f"every one of the {total} deliveries delivered")
        arrived = set(receiver.arrivals)
        assert set(accepted) <= arrived, f"lost: {sorted(set(accepted) - arrived)[:10]}"
        assert len(arrived) == total  # each accepted event reached the receiver (retries share its id)
    finally:
        last.send_signal(signal.SIGTERM)
        await asyncio.to_thread(last.wait, 15)
        await receiver.stop()
