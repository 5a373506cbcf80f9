"""The widget with Redis configured and two backend workers (issue 12): a visitor whose websocket is
held by one worker gets, live, an operator's reply posted through the other worker's REST API.

Two `reflex run --env prod --backend-only` processes, one Granian worker each, on their own ports,
share the database and Redis (db 14 of 127.0.0.1:6379, as `make test` provides). The visitor is
played over Reflex's real socket.io protocol (bench/widget_load.py's `Tab`, as the page does: it
hands the token to WidgetState, refreshes when the conversation feed moves). The reply's feed push
runs on the REST worker; Reflex relays the delta through Redis to the worker holding the socket.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.widget_load import Tab, Visitor
from tests.polling import eventually, eventually_sync

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("LIVCHAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
START_TIMEOUT_S = 240


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up() and not os.environ.get("CI"), reason="needs Redis on 127.0.0.1:6379")


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(Path(sys.executable).parent / "livchat"), *args], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(url of worker A, url of worker B, their environment)."""
    ports = _free_port(), _free_port()
    bin_dir = Path(sys.executable).parent
    data = tmp_path_factory.mktemp("two-workers")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "LIVCHAT_DATA_DIR": str(data),
           "LIVCHAT_ENV_FILE": "", "PUBLIC_URL": f"http://localhost:{ports[0]}", "REDIS_URL": REDIS_URL,
           "LIVCHAT_AGENT": "off", "TRUSTED_PROXY_HOPS": "1", "REFLEX_TELEMETRY_ENABLED": "false",
           "GRANIAN_WORKERS": "1"}
    env.pop("DATABASE_URL", None)
    _cli(env, "migrate")
    procs = []
    try:
        for port in ports:
            with open(data / f"worker-{port}.log", "w") as log:  # the child keeps its own descriptor
                procs.append(subprocess.Popen(
                    [str(bin_dir / "reflex"), "run", "--env", "prod", "--backend-only", "--backend-port", str(port)],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        for proc, port in zip(procs, ports, strict=True):
            def up(proc: subprocess.Popen[bytes] = proc, port: int = port) -> bool:
                assert proc.poll() is None, (data / f"worker-{port}.log").read_text()[-3000:]
                return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200
            eventually_sync(up, timeout=START_TIMEOUT_S, every=0.5, ignoring=(httpx.HTTPError,))
        yield f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}", env
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


async def test_a_reply_through_one_worker_reaches_a_visitor_on_the_other(
        two_workers: tuple[str, str, dict[str, str]]) -> None:
    worker_a, worker_b, env = two_workers
    said = _cli(env, "create-user", "two-workers@example.com", "--password", "long-password", "--org", "Two Workers")
    organization_id = "org_" + said.rsplit("(org_", 1)[1].split(")", 1)[0]
    api_key = _cli(env, "create-api-key", "--org", "Two Workers").strip().splitlines()[-1]
    operator = {"Authorization": f"Bearer {api_key}"}

    async with httpx.AsyncClient(timeout=30) as http:
        created = await http.post(f"{worker_a}/api/widget/sessions", headers={"X-Forwarded-For": "10.77.0.1"}, json={
            "organizationId": organization_id, "name": "Ana", "email": "ana@example.com"})
        assert created.status_code == 201, created.text
        visitor = Visitor(0, "10.77.0.1", "Where is my order?")
        tab = Tab(worker_a.replace("127.0.0.1", "localhost"), organization_id, None, [], visitor)
        await tab.open(created.json()["contactToken"])
        listener = asyncio.create_task(tab.listen())
        try:
            await asyncio.wait_for(visitor.chat_ready.wait(), timeout=30)
            visitor.sent_at = asyncio.get_running_loop().time()
            await tab.emit("send", {"form_data": {"text": visitor.text}})
            await asyncio.wait_for(visitor.echoed.wait(), timeout=30)

            listed = await eventually(lambda: http.get(f"{worker_b}/api/v1/conversations", headers=operator),
                                      lambda r: r.status_code == 200 and len(r.json()["data"]) == 1)
            conversation_id = listed.json()["data"][0]["id"]
            reply = await http.post(f"{worker_b}/api/v1/conversations/{conversation_id}/messages", headers=operator,
                                    json={"text": "It ships tomorrow."})
            assert reply.status_code == 201, reply.text

            # Live: the conversation feed moved to the reply — a delta only worker B's push can make —
            # reaches the socket on worker A, and the page's refresh then shows the reply.
            await eventually(lambda: visitor.feed_message, lambda last: last == reply.json()["id"], timeout=15)
            await eventually(lambda: tab.texts, lambda texts: "It ships tomorrow." in texts, timeout=15)
        finally:
            listener.cancel()
            await tab.ws.close()
