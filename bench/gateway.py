"""Sends per second through `WuzapiClient.send_text` against the standalone sandbox process
(`livchat sandbox`), with a linked session: 1 and 50 concurrent senders, p50/p99 latency.
Each row is bounded: 2,000 sends or 20 s, whichever comes first."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from livchat.integrations.wuzapi import WuzapiClient

MAX_SENDS = 2_000
MAX_SECONDS = 20.0
ADMIN = "bench-admin-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_sandbox(data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "WUZAPI_ADMIN_TOKEN": ADMIN, "LIVCHAT_DATA_DIR": data_dir}
    env.pop("WUZAPI_URL", None)
    proc = subprocess.Popen([str(Path(sys.executable).parent / "livchat"), "sandbox", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # readiness of another process
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("sandbox did not start")


async def _measure(client: WuzapiClient, token: str, concurrency: int) -> dict[str, object]:
    # Open the pool's connections first: the figures are for steady state, not TCP set-up.
    await asyncio.gather(*(client.send_text(token, "5511912345678", "warm-up") for _ in range(concurrency)))
    latencies: list[float] = []
    sent = 0
    started = time.perf_counter()
    stop_at = started + MAX_SECONDS

    async def worker() -> None:
        nonlocal sent
        while sent < MAX_SENDS and time.perf_counter() < stop_at:
            sent += 1
            t0 = time.perf_counter()
            await client.send_text(token, "5511912345678", f"bench {sent}")
            latencies.append((time.perf_counter() - t0) * 1000)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "concurrency": concurrency,
        "sends": len(latencies),
        "seconds": round(elapsed, 2),
        "sends_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
    }


async def _bench(base: str) -> list[dict[str, object]]:
    async with WuzapiClient(base, ADMIN) as client, \
            httpx.AsyncClient(base_url=base, headers={"Authorization": ADMIN}) as control:  # control API auth
        await client.create_user("bench", "bench-token")
        await client.connect("bench-token", [])
        session = (await control.get("/sandbox/control/sessions")).json()["sessions"][0]
        (await control.post("/sandbox/control/link", json={"qr": session["qr"]})).raise_for_status()
        return [await _measure(client, "bench-token", c) for c in (1, 50)]


def run() -> dict[str, object]:
    data_dir = tempfile.mkdtemp(prefix="livchat-bench-gateway-")
    proc, base = _start_sandbox(data_dir)
    try:
        rows = asyncio.run(_bench(base))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"title": f"Gateway: WuzapiClient.send_text against `livchat sandbox` (≤{MAX_SENDS} sends or "
                     f"{MAX_SECONDS:.0f} s per row)", "rows": rows}
