"""Start-up time of the production server: process start to /api/health and to the first page.

Runs twice: a cold start (no .web build) and a warm one, like `make run` the first and later times
(a fresh clone also pays for `pip install`, which this does not time). Targets: the first page
within 180 s cold and 30 s warm. Holds .web-build.lock, as the browser tests do, while it rebuilds.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _measure(label: str, target_s: float) -> dict[str, object]:
    port = _free_port()
    data = tempfile.mkdtemp(prefix="livchat-bench-")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "REFLEX_USE_NPM": "1",
           "REFLEX_TELEMETRY_ENABLED": "false", "LIVCHAT_DATA_DIR": data}
    env.pop("DATABASE_URL", None)
    started = time.perf_counter()
    subprocess.run([str(bin_dir / "livchat"), "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    migrated = time.perf_counter()
    proc = subprocess.Popen(
        [str(bin_dir / "reflex"), "run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    health_at = page_at = None
    try:
        while time.perf_counter() - started < 600:
            try:
                if health_at is None and httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                    health_at = time.perf_counter()
                if health_at is not None and httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                    page_at = time.perf_counter()
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)

    def seconds(at: float | None) -> float | None:  # None (JSON null) when it never answered
        return None if at is None else round(at - started, 2)

    page_s = seconds(page_at)
    return {
        "run": label,
        "migrate_s": round(migrated - started, 2),
        "health_s": seconds(health_at),
        "first_page_s": page_s,
        "target_s": target_s,
        "met": page_s is not None and page_s <= target_s,
    }


def run() -> dict[str, object]:
    with open(ROOT / ".web-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.rmtree(ROOT / ".web", ignore_errors=True)  # cold: the frontend is built from scratch
        rows = [_measure("cold (.web removed)", 180.0), _measure("warm", 30.0)]
    return {"title": "Start-up: `reflex run --env prod` until it answers", "rows": rows}
