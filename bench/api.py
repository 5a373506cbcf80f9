"""REST API sends/s: `POST /api/v1/instances/{id}/messages` through the whole stack (API key,
rate limits, validation, message row, WuzAPI client) against the standalone sandbox, with the
bare sandbox (WuzapiClient straight to it) measured in the same run as the reference.

The plan's limits must not be what is measured: the API process runs with LIVCHAT_PLAN_LIMITS
lifting the scale plan's sends per second and API requests per minute (a setting, not a code
change). A 429 is counted apart, never as a send. Three setups: SQLite and PostgreSQL with one
worker (the embedded defaults: Reflex serves one backend worker without Redis), and PostgreSQL
with Redis and the workers Reflex starts when Redis is configured. Each setup also measures its
floor: `GET /api/v1/organization` (the same key check, one small query, a JSON answer).

Targets (issue 15), printed next to the rows they judge: ≥ 500 sends/s per worker at 50 concurrent,
and ≤ 2 ms of the API's CPU per send (per-worker rate is not judged for the multi-worker setup,
whose workers share this machine's cores with the client and the sandbox).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path

import aiohttp
import httpx
import psycopg

from bench.gateway import ADMIN, _free_port, _start_sandbox
from bench.gateway import _bench as bare_sandbox_rows

MAX_SENDS = 2_000
MAX_SECONDS = 20.0
INSTANCES = 20
CONCURRENCY = (1, 50)
TARGET_SENDS_PER_S = 500  # per worker, at 50 concurrent
TARGET_CPU_MS_PER_SEND = 2.0
# Limits far above what the machine can push, so they never cap the measurement.
BENCH_PLAN_LIMITS = {"scale": {"instances": INSTANCES, "sends_per_second": 1_000_000, "api_per_minute": 100_000_000}}
BIN = Path(sys.executable).parent


def reflex_backend_workers() -> int:
    """What `reflex run --env prod` starts: one Granian worker, or with Redis configured
    min(2 × cores + 1, 8) (reflex.utils.processes.get_num_workers)."""
    return min((os.cpu_count() or 1) * 2 + 1, 8)


def _start_api(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        # Served the way `reflex run --env prod` serves the backend: by Granian.
        [str(BIN / "python"), "-m", "granian", "--interface", "asgi", "--factory", "livchat.api.app:create_api",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log",
         "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # readiness of another process
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("API did not start")


def _organization(env: dict[str, str]) -> str:
    subprocess.run([str(BIN / "livchat"), "create-user", "bench@example.com", "--password", "long-password",
                    "--org", "Bench"], env=env, check=True, capture_output=True)
    code = ("import asyncio\nfrom sqlmodel import update\nfrom livchat.core.db import db\n"
            "from livchat.models import Organization\n"
            "async def main():\n    async with db.session() as s:\n"
            "        await s.exec(update(Organization).values(plan='scale'))\n        await s.commit()\n"
            "asyncio.run(main())\n")
    subprocess.run([str(BIN / "python"), "-c", code], env=env, check=True)
    return subprocess.run([str(BIN / "livchat"), "create-api-key", "--org", "Bench"], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


async def _linked_instances(api: httpx.AsyncClient, control: httpx.AsyncClient) -> list[str]:
    ids = []
    for n in range(INSTANCES):
        instance = (await api.post("/api/v1/instances", json={"name": f"bench {n}"})).json()
        (await api.get(f"/api/v1/instances/{instance['id']}/qr")).raise_for_status()
        sessions = (await control.get("/sandbox/control/sessions")).json()["sessions"]
        waiting = next(s for s in sessions if s["name"] == instance["id"])
        (await control.post("/sandbox/control/link", json={"qr": waiting["qr"]})).raise_for_status()
        ids.append(instance["id"])
    return ids


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the API: Granian's process and its workers (Linux /proc)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone meanwhile
                continue
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime + stime
    family = {pid}
    for _ in range(3):  # Granian's workers and their children
        family |= {p for p, (ppid, _) in stats.items() if ppid in family}
    return sum(stats[p][1] for p in family if p in stats) / os.sysconf("SC_CLK_TCK")


async def _measure(api: aiohttp.ClientSession, ids: list[str], concurrency: int, api_pid: int,
                   *, floor: bool = False) -> dict[str, object]:
    """Sends; or, with `floor`, `GET /api/v1/organization` — the same key check, one small query
    and a JSON answer: what any authenticated request costs before a send does its own work."""
    targets = cycle(ids)
    body = {"to": "+55 11 91234-5678", "type": "text", "text": "bench"}
    latencies: list[float] = []
    refused: dict[int, int] = {}  # status → count: 429s (limits) apart from anything else

    async def send() -> None:
        t0 = time.perf_counter()
        request = (api.get("/api/v1/organization") if floor
                   else api.post(f"/api/v1/instances/{next(targets)}/messages", json=body))
        async with request as response:
            await response.read()
        if response.status == (200 if floor else 201):
            latencies.append((time.perf_counter() - t0) * 1000)
        else:
            refused[response.status] = refused.get(response.status, 0) + 1

    await asyncio.gather(*(send() for _ in range(concurrency)))  # warm the connection pool
    latencies.clear()
    refused.clear()
    cpu_before = _cpu_seconds(api_pid)
    started = time.perf_counter()
    stop_at = started + MAX_SECONDS

    async def worker() -> None:
        while len(latencies) + sum(refused.values()) < MAX_SENDS and time.perf_counter() < stop_at:
            await send()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds(api_pid) - cpu_before
    if not latencies:
        raise RuntimeError(f"no send succeeded at concurrency {concurrency}: {refused}")
    ordered = sorted(latencies)
    return {"concurrency": concurrency, "sends": len(ordered), "429s": refused.pop(429, 0),
            "other_errors": sum(refused.values()), "seconds": round(elapsed, 2),
            "sends_per_s": round(len(ordered) / elapsed, 1), "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            # What one send costs the API processes; 1000 / this is what one core could serve.
            "api_cpu_ms_per_send": round(1000 * cpu / len(ordered), 2)}


def load_client(base_url: str, key: str) -> aiohttp.ClientSession:
    """The load's client: aiohttp, whose CPU per request stays ~0.1 ms with 50 in flight (httpx's
    grows to ~4 ms and, on two cores, would take the CPU the API is measured on)."""
    return aiohttp.ClientSession(base_url=base_url, headers={"Authorization": f"Bearer {key}"},
                                 timeout=aiohttp.ClientTimeout(total=30),
                                 connector=aiohttp.TCPConnector(limit=100))


async def _bench(api_url: str, sandbox_url: str, key: str, api_pid: int) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=api_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as setup, \
            httpx.AsyncClient(base_url=sandbox_url, headers={"Authorization": ADMIN}) as control:  # control API auth
        ids = await _linked_instances(setup, control)
    async with load_client(api_url, key) as api:
        sends = [await _measure(api, ids, c, api_pid) for c in CONCURRENCY]
        floors = [{**await _measure(api, ids, c, api_pid, floor=True), "floor": True} for c in CONCURRENCY]
        return sends + floors


PG_ADMIN = os.environ.get("LIVCHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _one_setup(label: str, database_url: str, *, redis_url: str = "",
               workers: int = 1) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    data_dir = tempfile.mkdtemp(prefix="livchat-bench-api-")
    sandbox, sandbox_url = _start_sandbox(os.path.join(data_dir, "sandbox"))
    api_port = _free_port()
    env = {**os.environ, "LIVCHAT_DATA_DIR": data_dir, "WUZAPI_URL": sandbox_url, "WUZAPI_ADMIN_TOKEN": ADMIN,
           "PUBLIC_URL": f"http://127.0.0.1:{api_port}", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "LIVCHAT_PLAN_LIMITS": json.dumps(BENCH_PLAN_LIMITS)}
    api = None
    try:
        subprocess.run([str(BIN / "livchat"), "migrate"], env=env, check=True, capture_output=True)
        # The reference first, on the same sandbox process: it links the sandbox's first session.
        reference = [{"path": f"bare sandbox ({label} run)", **row}
                     for row in asyncio.run(bare_sandbox_rows(sandbox_url))]
        key = _organization(env)
        api = _start_api(env, api_port, workers)
        rows = [{"path": f"API GET /organization ({label}; floor)" if row.pop("floor", False) else f"API ({label})",
                 **row} for row in asyncio.run(_bench(f"http://127.0.0.1:{api_port}", sandbox_url, key, api.pid))]
    finally:
        for proc in (api, sandbox):
            if proc is not None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
        shutil.rmtree(data_dir, ignore_errors=True)
    for row in rows:
        bare = next(r for r in reference if r["concurrency"] == row["concurrency"])
        row["vs_bare_%"] = round(100 * float(row["sends_per_s"]) / float(bare["sends_per_s"]), 1)
    return rows, reference


def _with_targets(row: dict[str, object]) -> dict[str, object]:
    """The targets printed next to the figures they judge (they apply to the API's send rows)."""
    path = str(row["path"])
    if not path.startswith("API"):
        return {**row, "429s": "", "other_errors": "", "api_cpu_ms_per_send": "", "vs_bare_%": "",
                "target": "(reference: the ceiling)"}
    if "floor" in path:
        return {**row, "target": "(reference: the floor)"}
    cpu_met = float(row["api_cpu_ms_per_send"]) <= TARGET_CPU_MS_PER_SEND
    verdict = f"≤ {TARGET_CPU_MS_PER_SEND} ms CPU: {'met' if cpu_met else 'MISSED'}"
    if row["concurrency"] == max(CONCURRENCY) and "workers" not in path:
        rate_met = float(row["sends_per_s"]) >= TARGET_SENDS_PER_S
        verdict = f"≥ {TARGET_SENDS_PER_S}/s: {'met' if rate_met else 'MISSED'}; {verdict}"
    return {**row, "target": verdict}


BENCH_REDIS = os.environ.get("LIVCHAT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def _postgres(label: str, **setup: object) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS livchat_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE livchat_bench")
    try:
        return _one_setup(label, PG_ADMIN.rsplit("/", 1)[0] + "/livchat_bench", **setup)  # type: ignore[arg-type]
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS livchat_bench WITH (FORCE)")


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(BENCH_REDIS).flushdb()  # a database of the bench's own (index 13)


def run() -> dict[str, object]:
    load = os.getloadavg()[0]  # the machine is shared: say how busy it was
    rows, reference = _one_setup("SQLite", "")
    pg_rows, pg_reference = _postgres("PostgreSQL")
    # Production-shaped: with Redis configured, Reflex serves the backend with several workers
    # (limits then shared in Redis); the same API code, only the setup differs.
    workers = reflex_backend_workers()
    _flush_redis()
    try:
        multi_rows, multi_reference = _postgres(f"PostgreSQL + Redis, {workers} workers", redis_url=BENCH_REDIS,
                                                workers=workers)
    finally:
        _flush_redis()
    columns = ["path", "concurrency", "sends", "429s", "other_errors", "seconds", "sends_per_s", "p50_ms", "p99_ms",
               "api_cpu_ms_per_send", "vs_bare_%", "target"]
    table = [{c: _with_targets(r).get(c, "") for c in columns} for r in rows + reference + pg_rows + pg_reference
             + multi_rows + multi_reference]
    return {"title": (f"API sends (≤{MAX_SENDS} sends or {MAX_SECONDS:.0f} s per row; plan limits lifted by "
                      f"LIVCHAT_PLAN_LIMITS) vs the bare sandbox; load average at start {load:.1f} on "
                      f"{os.cpu_count()} cores"),
            "targets": {"api_sends_per_s_per_worker": TARGET_SENDS_PER_S, "api_cpu_ms_per_send": TARGET_CPU_MS_PER_SEND},
            "rows": table}
