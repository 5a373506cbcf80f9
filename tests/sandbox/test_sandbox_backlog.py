"""The sandbox answers 200 to an inbound message before its webhook leaves: what it accepted must
survive a kill -9 and be delivered by the next process (WuzAPI keeps no such promise; a dependable
simulator must, or the app's soak tests measure the simulator's losses)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from tests.polling import eventually_sync

ADMIN = "backlog-admin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    port = _free_port()
    env = {**os.environ, "LIVCHAT_DATA_DIR": str(tmp_path), "SANDBOX_DB_PATH": str(tmp_path / "sandbox.db"),
           "WUZAPI_ADMIN_TOKEN": ADMIN, "WEBHOOK_RETRY_DELAY_SECONDS": "60", "SANDBOX_CONNECT_WAIT_SECONDS": "0.05"}
    started: list[subprocess.Popen[bytes]] = []

    def start() -> tuple[str, subprocess.Popen[bytes]]:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "livchat"), "sandbox", "--port", str(port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        started.append(proc)
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            assert proc.poll() is None, "the sandbox process exited"
            return httpx.get(base + "/health", timeout=1).status_code == 200

        eventually_sync(healthy, timeout=30, every=0.05, what="the sandbox's start", ignoring=(httpx.TransportError,))
        return base, proc

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)


def _messages(received: list) -> list[str]:  # type: ignore[type-arg]
    texts = []
    for request in received:
        event = json.loads(parse_qs(request.body.decode())["jsonData"][0])
        if event.get("type") == "Message":
            texts.append(event["event"]["Message"]["conversation"])
    return texts


def test_accepted_inbound_messages_survive_a_kill_9(start_sandbox, receiver) -> None:  # type: ignore[no-untyped-def]
    receiver.fail_first = 10**9  # the app is down: every attempt fails, the next one is 60 s away
    base, first_process = start_sandbox()
    admin = {"Authorization": ADMIN}
    with httpx.Client(base_url=base, timeout=10) as http:
        http.post("/admin/users", headers=admin, json={"name": "shop", "token": "tok", "webhook": receiver.url,
                                                        "events": "All"}).raise_for_status()
        http.post("/session/connect", headers={"token": "tok"}, json={"Subscribe": ["All"], "Immediate": True})
        qr = http.get("/sandbox/control/sessions", headers=admin).json()["sessions"][0]["qr"]
        http.post("/sandbox/control/link", headers=admin, json={"qr": qr, "phone": "5511966665555"}).raise_for_status()
        for n in range(5):
            sent = http.post("/sandbox/control/inbound", headers=admin,
                             json={"token": "tok", "from": "5511912345678", "text": f"accepted {n}"})
            assert sent.status_code == 200
    first = receiver.attempts
    assert _messages(receiver.requests) == []  # nothing delivered yet

    os.killpg(first_process.pid, signal.SIGKILL)  # no shutdown hook runs: the in-memory queue is gone
    first_process.wait(timeout=10)
    receiver.fail_first = 0  # the app is back
    start_sandbox()
    received = receiver.wait_until(lambda got: len(_messages(got)) >= 5, timeout=20)
    assert _messages(received) == [f"accepted {n}" for n in range(5)]  # all of them, in order
    assert receiver.attempts > first
