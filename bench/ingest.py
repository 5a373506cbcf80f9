"""Inbound events/s: WuzAPI `Message` webhooks, signed as WuzAPI signs them, posted to
`POST /api/hooks/wuzapi/{instance_id}` → stored message rows, usage counted, a webhook delivery
queued for each (one endpoint subscribed to `message.received` per instance): the inbound path up
to its commit. The API served here (`create_api`) runs no dispatcher, so the deliveries stay
queued; posting them is bench/webhooks.py's measure.

Run with 1 and 50 concurrent posters against one API worker (Granian, as Reflex serves it) on
SQLite and on PostgreSQL; each row is bounded (≤ MAX_EVENTS events or MAX_SECONDS). The reference
in the same run: the receiver's own rate for plain HTTP posts from the same client (what the client
and loopback allow). Target (issue 15): ≥ 500 events/s per worker.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from itertools import cycle

import aiohttp
import httpx
import psycopg

from bench.api import BENCH_PLAN_LIMITS, BIN, PG_ADMIN, _cpu_seconds, _linked_instances, _organization, _start_api
from bench.gateway import ADMIN, _free_port, _start_sandbox
from bench.webhook_receiver import Receiver

MAX_EVENTS = 3_000
MAX_SECONDS = 20.0
CONCURRENCY = (1, 50)
TARGET_EVENTS_PER_S = 500

_KEYS = """
import asyncio, json
from sqlmodel import select
from livchat.core.db import db
from livchat.models import Instance
from livchat.services.whatsapp.instances import hmac_key
async def main():
    async with db.session() as s:
        print(json.dumps({i.id: hmac_key(i) for i in (await s.exec(select(Instance))).all()}))
asyncio.run(main())
"""


def _hmac_keys(env: dict[str, str]) -> dict[str, str]:
    """Each instance's webhook HMAC key, read (and decrypted) the way the app does."""
    done = subprocess.run([str(BIN / "python"), "-c", _KEYS], env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _signed_message(instance_id: str, key: str, n: int) -> tuple[bytes, dict[str, str]]:
    from livchat.sandbox.protocol import message_event

    event = message_event(message_id=f"3EB0{uuid.uuid4().hex[:16].upper()}", sender="5511912345678@s.whatsapp.net",
                          push_name="Bench", unix=time.time(), text=f"inbound {n}")
    body = json.dumps({**event, "userID": instance_id, "instanceName": instance_id}).encode()
    signature = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    return body, {"content-type": "application/json", "x-hmac-signature": signature}


async def _measure(client: aiohttp.ClientSession, path_of: dict[str, str], keys: dict[str, str], concurrency: int,
                   api_pid: int | None) -> dict[str, object]:
    targets = cycle(sorted(keys))
    latencies: list[float] = []
    errors: dict[int, int] = {}
    counter = iter(range(10**9))

    async def post() -> None:
        instance_id = next(targets)
        body, headers = _signed_message(instance_id, keys[instance_id], next(counter))
        t0 = time.perf_counter()
        async with client.post(path_of[instance_id], data=body, headers=headers) as response:
            await response.read()
        if response.status == 200:
            latencies.append((time.perf_counter() - t0) * 1000)
        else:
            errors[response.status] = errors.get(response.status, 0) + 1

    await asyncio.gather(*(post() for _ in range(concurrency)))  # warm the connections
    latencies.clear()
    errors.clear()
    cpu_before = _cpu_seconds(api_pid) if api_pid else 0.0
    started = time.perf_counter()
    stop_at = started + MAX_SECONDS

    async def worker() -> None:
        while len(latencies) + sum(errors.values()) < MAX_EVENTS and time.perf_counter() < stop_at:
            await post()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    if not latencies:
        raise RuntimeError(f"no event accepted at concurrency {concurrency}: {errors}")
    ordered = sorted(latencies)
    row: dict[str, object] = {
        "concurrency": concurrency, "events": len(ordered), "errors": sum(errors.values()),
        "seconds": round(elapsed, 2), "events_per_s": round(len(ordered) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2)}
    if api_pid:
        row["api_cpu_ms_per_event"] = round(1000 * (_cpu_seconds(api_pid) - cpu_before) / len(ordered), 2)
    return row


async def _bench(api_url: str, sandbox_url: str, key: str, api_pid: int, env: dict[str, str],
                 receiver: Receiver) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=api_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as api, \
            httpx.AsyncClient(base_url=sandbox_url, headers={"Authorization": ADMIN}) as control:
        ids = await _linked_instances(api, control)
        for instance_id in ids:
            saved = await api.put(f"/api/v1/instances/{instance_id}/webhook",
                                  json={"url": receiver.url, "events": ["message.received"]})
            saved.raise_for_status()
    keys = {i: k for i, k in _hmac_keys(env).items() if i in ids}
    async with _load_client() as hooks:
        paths = {i: f"{api_url}/api/hooks/wuzapi/{i}" for i in keys}
        return [await _measure(hooks, paths, keys, c, api_pid) for c in CONCURRENCY]


def _load_client() -> aiohttp.ClientSession:
    """The load's client: aiohttp (as bench/api.py's), whose CPU per request stays ~0.1 ms with 50
    in flight; httpx's grows to ms and, on two cores, takes the CPU the API is measured on."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30), connector=aiohttp.TCPConnector(limit=100))


async def _reference(receiver: Receiver) -> list[dict[str, object]]:
    """The same client posting the same bodies to the bench's receiver: the client's own ceiling."""
    async with _load_client() as client:
        keys = {"inst_reference": "k"}
        return [await _measure(client, {"inst_reference": receiver.url}, keys, c, None) for c in CONCURRENCY]


def _one_setup(label: str, database_url: str) -> list[dict[str, object]]:
    data_dir = tempfile.mkdtemp(prefix="livchat-bench-ingest-")
    sandbox, sandbox_url = _start_sandbox(os.path.join(data_dir, "sandbox"))
    api_port = _free_port()
    env = {**os.environ, "LIVCHAT_DATA_DIR": data_dir, "WUZAPI_URL": sandbox_url, "WUZAPI_ADMIN_TOKEN": ADMIN,
           "PUBLIC_URL": f"http://127.0.0.1:{api_port}", "DATABASE_URL": database_url, "REDIS_URL": "",
           "LIVCHAT_WEBHOOK_ALLOW_PRIVATE": "1", "LIVCHAT_ENV_FILE": "",
           "LIVCHAT_PLAN_LIMITS": json.dumps(BENCH_PLAN_LIMITS)}
    api = None

    async def run_rows() -> list[dict[str, object]]:
        receiver = await Receiver(keep_records=False).start()
        try:
            rows = [{"path": f"ingest ({label})", **row}
                    for row in await _bench(f"http://127.0.0.1:{api_port}", sandbox_url, key, api.pid, env, receiver)]
            rows += [{"path": f"plain POST to a receiver ({label} run, reference)", **row}
                     for row in await _reference(receiver)]
            return rows
        finally:
            await receiver.stop()

    try:
        subprocess.run([str(BIN / "livchat"), "migrate"], env=env, check=True, capture_output=True)
        key = _organization(env)
        api = _start_api(env, api_port)
        return asyncio.run(run_rows())
    finally:
        for proc in (api, sandbox):
            if proc is not None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
        shutil.rmtree(data_dir, ignore_errors=True)


def run() -> dict[str, object]:
    load = os.getloadavg()[0]
    rows = _one_setup("SQLite", "")
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS livchat_bench_ingest WITH (FORCE)")
        conn.execute("CREATE DATABASE livchat_bench_ingest")
    try:
        rows += _one_setup("PostgreSQL", PG_ADMIN.rsplit("/", 1)[0] + "/livchat_bench_ingest")
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS livchat_bench_ingest WITH (FORCE)")
    for row in rows:
        reference = str(row["path"]).endswith("reference)")
        row["target"] = "(reference)" if reference else (
            f"≥ {TARGET_EVENTS_PER_S}/s: {'met' if float(row['events_per_s']) >= TARGET_EVENTS_PER_S else 'MISSED'}")
    columns = ["path", "concurrency", "events", "errors", "seconds", "events_per_s", "p50_ms", "p99_ms",
               "api_cpu_ms_per_event", "target"]
    return {"title": (f"Inbound WuzAPI events (≤{MAX_EVENTS} or {MAX_SECONDS:.0f} s per row, one API worker, "
                      f"each event stored with a webhook delivery queued); load average at start {load:.1f}"),
            "rows": [{c: r.get(c, "") for c in columns} for r in rows]}
