"""Several app processes behind one address: `livchat scale` (`make run-scale`).

What a deployment on several machines does, on one: the frontend is built once (its websocket
address is PUBLIC_URL, the address in front of every process), each process serves that build and
the backend on its own port, and a TCP balancer on PUBLIC_URL's port hands every new connection to
the next process. No stickiness is needed: Reflex's socket is websocket-only (one connection for a
tab's life), and with REDIS_URL every process reads a tab's state from Redis and relays pushes to
the process holding its socket. The processes share the database (PostgreSQL), Redis and, with
LIVCHAT_STORAGE=s3, the stored files and the knowledge base's LanceDB tables.

On several machines, a real load balancer (any that passes websockets) takes the balancer's place
and each machine runs one process: `python -m livchat.scale serve PORT` after the same build.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import uvloop

from livchat.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]  # where rxconfig.py is: Reflex runs from there
START_TIMEOUT_S = 300
_PIPE_CHUNK = 64 * 1024


def problems(settings: Settings) -> list[str]:
    """What keeps processes from sharing one app; empty when they can."""
    found = []
    if not settings.redis_url:
        found.append("REDIS_URL is not set: each process would keep its own tabs and live pushes")
    if not settings.resolved_database_url.startswith("postgresql"):
        found.append("DATABASE_URL is not PostgreSQL: processes on several machines cannot share SQLite")
    return found


def build_frontend(public_url: str) -> None:
    """Reflex's production build, once, with its websocket at PUBLIC_URL (the balancer)."""
    subprocess.run([_bin("reflex"), "export", "--frontend-only", "--no-zip", "--env", "prod"],
                   cwd=ROOT, env={**os.environ, "REFLEX_API_URL": public_url}, check=True)


def serve(port: int, host: str = "0.0.0.0") -> None:
    """One process: the backend (Granian) with the built frontend mounted, on `port`."""
    prepare_serving()
    os.chdir(ROOT)
    from reflex.utils import exec as reflex_exec  # only here: the rest of livchat never imports Reflex's runner

    reflex_exec.run_backend_prod(host, port, mount_frontend_compiled_app=True)


def prepare_serving() -> None:
    """Production mode, and no compile: the processes serve the one build as it is. Compiling at
    start, each purged and rewrote the shared `.web` while the other read it (a process died on a
    file the other had just removed). Set through Reflex's own variables: it reads its internal
    ones under other names (`__REFLEX_SKIP_COMPILE`), so a plain REFLEX_SKIP_COMPILE did nothing."""
    from reflex_base.environment import environment

    os.environ["REFLEX_ENV_MODE"] = "prod"
    environment.REFLEX_SKIP_COMPILE.set(True)


class Balancer:
    """Round-robin TCP balancer: each new connection goes to the next backend that accepts it."""

    def __init__(self, backends: Sequence[tuple[str, int]]) -> None:
        self.backends = list(backends)
        self.connections: Counter[int] = Counter()  # per backend port, for the log and tests
        self._turn = itertools.cycle(range(len(self.backends)))

    async def handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream = None
        for _ in self.backends:  # a backend that refuses (restarting, down) is passed over
            host, port = self.backends[next(self._turn)]
            with contextlib.suppress(OSError):
                upstream = await asyncio.open_connection(host, port)
                self.connections[port] += 1
                break
        if upstream is None:
            client_writer.close()
            return
        backend_reader, backend_writer = upstream
        try:
            await asyncio.gather(_pipe(client_reader, backend_writer), _pipe(backend_reader, client_writer))
        finally:
            client_writer.close()
            backend_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction until its end; a broken side closes the other, which ends the reverse copy."""
    try:
        while chunk := await reader.read(_PIPE_CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # half-close: the other direction may still be talking
    except (ConnectionError, OSError):
        writer.close()


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _wait_healthy(processes: dict[int, subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    for port, process in processes.items():
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the process on port {port} exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"the process on port {port} did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.5)  # polling a child's start-up, not synchronising a test


def run(settings: Settings, count: int, first_backend_port: int, build: bool = True) -> int:
    """Build, start `count` processes on consecutive ports, balance PUBLIC_URL's port over them
    until SIGINT/SIGTERM, then stop them."""
    if found := problems(settings):
        for problem in found:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    public = urlsplit(settings.public_url)
    listen_port = public.port or (443 if public.scheme == "https" else 80)
    ports = [first_backend_port + n for n in range(count)]
    if listen_port in ports:
        print(f"error: the processes' ports {ports} include PUBLIC_URL's port {listen_port}", file=sys.stderr)
        return 2
    # SIGTERM during the build or the start-up still stops the processes started so far (finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if build:
        build_frontend(settings.public_url)
    processes: dict[int, subprocess.Popen[bytes]] = {}
    try:
        for port in ports:
            processes[port] = subprocess.Popen([sys.executable, "-m", "livchat.scale", "serve", str(port)],
                                               cwd=ROOT, start_new_session=True)
        _wait_healthy(processes)
        uvloop.run(_balance(listen_port, ports))  # every byte to every process passes here
    finally:
        for process in processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    return 0


async def _balance(listen_port: int, ports: list[int]) -> None:
    balancer = Balancer([("127.0.0.1", port) for port in ports])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = await asyncio.start_server(balancer.handle, "0.0.0.0", listen_port, reuse_address=True, backlog=1024)
    print(json.dumps({"event": "scale.ready", "port": listen_port, "processes": ports}), flush=True)
    async with server:
        await stop.wait()
    print(json.dumps({"event": "scale.stopped", "connections": dict(balancer.connections)}), flush=True)


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(int(sys.argv[2]))
