"""Webhook outbox → dispatcher → a local receiver (its own process, plain HTTP/1.1 on 127.0.0.1).

Per database (SQLite file, PostgreSQL at 127.0.0.1):
- throughput: THROUGHPUT_EVENTS events committed first, then one dispatcher (the app's default
  configuration) drains them; deliveries/s counts rows recorded as delivered in the database;
- latency: events committed one per transaction at RATE events/s for SECONDS, with the dispatcher
  running in the same process (as in the app); event → receiver arrival, p50/p99.
- on PostgreSQL, also the backlog drained by two dispatcher processes side by side (`FOR UPDATE
  SKIP LOCKED`): deliveries/s from the receiver's first to its last arrival; and the latency run
  split over two processes shaped like app workers (bench/webhook_worker.py: each emits half the
  rate with its own dispatcher), since one process cannot emit 200 events/s on this machine;
`per_cpu_s` is deliveries per CPU-second of this process (the dispatcher, and SQLite itself when
it is the database): what one uncontended core would reach, whatever else the machine is running.
Bounded: each phase stops after its event count or MAX_SECONDS.

Targets, printed next to the figures they judge: ≥ 2,000 deliveries/s, and an event → delivery
p99 ≤ 100 ms at 200 events/s (with 200/s really emitted: the emitter shares the process).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg

THROUGHPUT_EVENTS = 5_000
RATE = 200
SECONDS = 5.0
TARGET_DELIVERIES_PER_S = 2_000
TARGET_P99_MS = 100.0
MAX_SECONDS = 30.0
PG_ADMIN_URL = os.environ.get("LIVCHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]


def _start_receiver() -> tuple[subprocess.Popen[bytes], str]:
    from bench.webhook_receiver import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.webhook_receiver", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/stats", timeout=1).raise_for_status()
            return proc, base
        except httpx.TransportError:
            time.sleep(0.05)  # readiness of another process
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("receiver did not start")


async def _tenant() -> tuple[str, str]:
    from livchat.core.db import db
    from livchat.core.ids import new_id
    from livchat.models.accounts import Organization
    from tests.factories import make_instance

    async with db.session() as session:
        org = Organization(id=new_id("org"), name="Bench", slug=new_id("bench"), plan="scale")
        session.add(org)
        await session.flush()
        instance = make_instance(org.id, name="Bench", wuzapi_token="t", hmac_key="k")
        session.add(instance)
        await session.commit()
        return org.id, instance.id


async def _delivered() -> int:
    from sqlmodel import func, select

    from livchat.core.db import db
    from livchat.models.webhooks import WebhookDelivery

    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(WebhookDelivery)
                                   .where(WebhookDelivery.status == "delivered"))).one()


def _event(org_id: str, instance_id: str, n: int) -> Any:
    from livchat.services.whatsapp.events import MessageReceived

    return MessageReceived(organization_id=org_id, instance_id=instance_id, message_id=f"m{n}",
                           data={"id": f"wamid.{n}", "from": "5511912345678", "type": "text", "text": f"hello {n}"})


async def _bench_database(label: str, url: str, receiver: str) -> list[dict[str, object]]:
    from livchat.core import migrations
    from livchat.core.db import db
    from livchat.core.events import bus
    from livchat.services.actors import Actor
    from livchat.services.webhooks import endpoints, outbox
    from livchat.services.webhooks.dispatcher import Dispatcher, DispatcherConfig

    await db.dispose()
    db.configure(url)
    migrations.upgrade()
    uninstall = outbox.install()
    rows = []
    try:
        org_id, instance_id = await _tenant()
        async with db.session() as session:
            await endpoints.save_endpoint(session, Actor.for_console(org_id), instance_id, receiver + "/hook")

        # Throughput: a backlog drained by one dispatcher.
        async with db.session() as session:
            for n in range(THROUGHPUT_EVENTS):
                await bus.emit(session, _event(org_id, instance_id, n))
            await session.commit()
            bus.discard_pending(session)  # no nudges: the dispatcher starts after
        config = DispatcherConfig()
        dispatcher = Dispatcher(config)
        stop = asyncio.Event()
        started, cpu_started = time.perf_counter(), time.process_time()
        task = asyncio.create_task(dispatcher.run(stop))
        while await _delivered() < THROUGHPUT_EVENTS and time.perf_counter() - started < MAX_SECONDS:
            await asyncio.sleep(0.25)  # a COUNT(*) costs CPU the dispatcher needs: look rarely
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        done = await _delivered()
        rows.append({"database": label, "measure": "throughput, backlog drained", "events": done,
                     "seconds": round(elapsed, 2), "deliveries_per_s": round(done / elapsed),
                     "per_cpu_s": round(done / cpu), "p50_ms": "", "p99_ms": "",
                     "config": f"1 dispatcher, concurrency={config.concurrency} batch={config.batch_size}",
                     "target": _throughput_target(done / elapsed)})

        while await _delivered() < THROUGHPUT_EVENTS and time.perf_counter() - started < 2 * MAX_SECONDS:
            await asyncio.sleep(0.25)  # an undrained backlog would sit in front of the latency events

        # Latency: events at RATE/s, each committed in its own transaction, the dispatcher nudged.
        events: list[Any] = []
        t0, cpu_t0 = time.perf_counter(), time.process_time()
        for n in range(int(RATE * SECONDS)):
            target = t0 + n / RATE
            await asyncio.sleep(max(0.0, target - time.perf_counter()))  # pacing the load, not syncing
            event = _event(org_id, instance_id, THROUGHPUT_EVENTS + n)
            async with db.session() as session:
                await bus.emit(session, event)
                await bus.commit_and_publish(session)
            events.append(event)
        offered = len(events) / (time.perf_counter() - t0)  # below RATE when emitting is the bottleneck
        cpu = time.process_time() - cpu_t0  # emitting and dispatching
        deadline = time.perf_counter() + MAX_SECONDS
        async with httpx.AsyncClient(base_url=receiver) as client:
            while True:
                arrivals = (await client.get("/stats")).json()["arrivals"]
                if all(e.id in arrivals for e in events) or time.perf_counter() > deadline:
                    break
                await asyncio.sleep(0.05)
        latencies = sorted((arrivals[e.id][0] - e.occurred_at.timestamp()) * 1000 for e in events if e.id in arrivals)
        stop.set()
        await asyncio.wait_for(task, 15)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        rows.append({"database": label, "measure": f"latency, {offered:.0f} events/s emitted (aim {RATE})",
                     "events": len(latencies),
                     "seconds": round(time.perf_counter() - t0, 2),
                     "deliveries_per_s": round(len(latencies) / (time.perf_counter() - t0)),
                     "per_cpu_s": round(len(events) / cpu),
                     "p50_ms": round(statistics.median(latencies), 1), "p99_ms": round(p99, 1),
                     "config": "one transaction per event; per_cpu_s: emitted and delivered",
                     "target": _latency_target(p99, offered, lost=len(events) - len(latencies))})
        if label == "postgresql":
            rows.append(await _two_processes(url, receiver, org_id, instance_id))
            rows.append(await _latency_two_workers(url, receiver, org_id, instance_id))
    finally:
        uninstall()
        await db.dispose()
    return rows


DISPATCHER = ["-m", "livchat.services.webhooks.dispatcher"]  # the dedicated dispatcher process, as shipped


async def _two_processes(url: str, receiver: str, org_id: str, instance_id: str) -> dict[str, object]:
    from livchat.core.db import db
    from livchat.core.events import bus

    first = THROUGHPUT_EVENTS + int(RATE * SECONDS)
    events = [_event(org_id, instance_id, first + n) for n in range(THROUGHPUT_EVENTS)]
    async with db.session() as session:
        for event in events:
            await bus.emit(session, event)
        await session.commit()
        bus.discard_pending(session)
    env = {**os.environ, "DATABASE_URL": url}
    procs = [subprocess.Popen([sys.executable, *DISPATCHER], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True) for _ in range(2)]
    try:
        deadline = time.perf_counter() + 2 * MAX_SECONDS
        async with httpx.AsyncClient(base_url=receiver) as client:
            while True:
                arrivals = (await client.get("/stats")).json()["arrivals"]
                if all(e.id in arrivals for e in events) or time.perf_counter() > deadline:
                    break
                await asyncio.sleep(0.25)  # polling another process's progress
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
    times = sorted(arrivals[e.id][0] for e in events if e.id in arrivals)
    span = times[-1] - times[0]
    return {"database": "postgresql", "measure": "throughput, backlog drained", "events": len(times),
            "seconds": round(span, 2), "deliveries_per_s": round((len(times) - 1) / span), "per_cpu_s": "",
            "p50_ms": "", "p99_ms": "", "config": "2 dispatcher processes, concurrency=32 batch=100 each",
            "target": _throughput_target((len(times) - 1) / span)}


async def _latency_two_workers(url: str, receiver: str, org_id: str, instance_id: str) -> dict[str, object]:
    """The rate split over two processes shaped like app workers: each emits RATE/2 events/s, one
    transaction each, and runs its own dispatcher (as every Granian worker runs the lifespan task)."""
    first, count = 2 * THROUGHPUT_EVENTS + int(RATE * SECONDS), int(RATE * SECONDS / 2)
    with tempfile.TemporaryDirectory(prefix="livchat-bench-workers-") as tmp:
        outs = [Path(tmp) / f"worker{n}.json" for n in range(2)]
        procs = [subprocess.Popen(
            [sys.executable, "-m", "bench.webhook_worker", url, org_id, instance_id, str(first + n * count),
             str(count), str(RATE / 2), str(out)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True) for n, out in enumerate(outs)]
        try:
            deadline = time.perf_counter() + 2 * MAX_SECONDS
            while not all(out.exists() for out in outs) and time.perf_counter() < deadline:
                await asyncio.sleep(0.25)  # polling other processes' progress
            reports = [json.loads(out.read_text()) for out in outs if out.exists()]
            events = [e for report in reports for e in report["events"]]
            async with httpx.AsyncClient(base_url=receiver) as client:
                while True:
                    arrivals = (await client.get("/stats")).json()["arrivals"]
                    if all(e["id"] in arrivals for e in events) or time.perf_counter() > deadline:
                        break
                    await asyncio.sleep(0.05)
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
    if len(reports) < 2:
        raise RuntimeError("a bench worker did not finish emitting")
    offered = sum(len(r["events"]) / r["seconds"] for r in reports)
    latencies = sorted((arrivals[e["id"]][0] - e["at"]) * 1000 for e in events if e["id"] in arrivals)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {"database": "postgresql", "measure": f"latency, {offered:.0f} events/s emitted (aim {RATE})",
            "events": len(latencies), "seconds": round(max(r["seconds"] for r in reports), 2),
            "deliveries_per_s": "", "per_cpu_s": "", "p50_ms": round(statistics.median(latencies), 1),
            "p99_ms": round(p99, 1), "config": "2 worker processes, each emitting half with its own dispatcher",
            "target": _latency_target(p99, offered, lost=len(events) - len(latencies))}


def _throughput_target(per_s: float) -> str:
    return f"≥ {TARGET_DELIVERIES_PER_S:,}/s: {'met' if per_s >= TARGET_DELIVERIES_PER_S else 'MISSED'}"


def _latency_target(p99_ms: float, offered: float, lost: int) -> str:
    verdict = "met" if p99_ms <= TARGET_P99_MS and offered >= 0.95 * RATE and not lost else "MISSED"
    why = " (emitter short of the rate)" if offered < 0.95 * RATE else f" ({lost} never arrived)" if lost else ""
    return f"p99 ≤ {TARGET_P99_MS:g} ms at {RATE}/s: {verdict}{why}"


async def _bench(receiver: str) -> list[dict[str, object]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="livchat-bench-webhooks-") as data:
        rows += await _bench_database("sqlite", f"sqlite:///{data}/bench.db", receiver)
    name = f"livchat_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        rows += await _bench_database("postgresql", PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", receiver)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return rows


def run() -> dict[str, object]:
    data_dir = tempfile.mkdtemp(prefix="livchat-bench-data-")
    os.environ.update(LIVCHAT_DATA_DIR=data_dir, LIVCHAT_WEBHOOK_ALLOW_PRIVATE="1")  # the receiver is local
    from livchat.core import crypto
    from livchat.core.settings import reset_settings_cache

    reset_settings_cache()
    crypto.reset_crypto_cache()
    proc, receiver = _start_receiver()
    try:
        rows = asyncio.run(_bench(receiver))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    return {"title": f"Webhooks: outbox → dispatcher → local receiver ({THROUGHPUT_EVENTS} queued; "
                     f"{RATE}/s for {SECONDS:.0f} s; {os.cpu_count()} CPUs, load average "
                     f"{os.getloadavg()[0]:.1f} at the end)", "rows": rows,
            "targets": {"deliveries_per_s": TARGET_DELIVERIES_PER_S, "p99_ms_at_rate": TARGET_P99_MS,
                        "rate_per_s": RATE}}
