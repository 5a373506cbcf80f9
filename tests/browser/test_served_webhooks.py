"""The served production app end to end over HTTP: an API key from the CLI, an instance linked on
the in-process sandbox, an inbound message arriving as a signed webhook at a local receiver —
which proves the lifespan dispatcher, the signed ingest and the outbox run in the real process."""

from __future__ import annotations

import json
import queue
import random
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

pytestmark = pytest.mark.browser
WAIT_S = 30


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(Path(sys.executable).parent / "livchat"), *args], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout.strip()


def _receiver() -> tuple[ThreadingHTTPServer, queue.Queue[dict[str, Any]]]:
    received: queue.Queue[dict[str, Any]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.put({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def test_inbound_message_reaches_a_customer_webhook_signed(live_app: str, live_env: dict[str, str]) -> None:
    org = f"Served {random.randrange(10**6)}"
    _cli(live_env, "create-user", f"owner{random.randrange(10**6)}@example.com", "--password", "long-password",
         "--org", org)
    key = _cli(live_env, "create-api-key", "--org", org)
    auth = {"Authorization": f"Bearer {key}"}
    # The sandbox control API takes the sandbox admin token (the served app wrote it to its data dir).
    control = {"Authorization": (Path(live_env["LIVCHAT_DATA_DIR"]) / "sandbox-admin.token").read_text().strip()}
    server, received = _receiver()
    with httpx.Client(base_url=live_app, headers=auth, timeout=20) as api:
        instance = api.post("/api/v1/instances", json={"name": "Served"}).json()
        assert api.get(f"/api/v1/instances/{instance['id']}/qr").status_code == 200
        waiting = next(s for s in api.get("/sandbox/control/sessions", headers=control).json()["sessions"]
                       if s["name"] == instance["id"])
        phone = "55119" + str(random.randrange(10_000_000, 99_999_999))
        assert api.post("/sandbox/control/link", headers=control, json={"qr": waiting["qr"], "phone": phone}).status_code == 200

        hook = api.put(f"/api/v1/instances/{instance['id']}/webhook",
                       json={"url": f"http://127.0.0.1:{server.server_port}/hook", "events": ["message.received"]})
        assert hook.status_code == 200, hook.text
        secret = hook.json()["secret"]

        assert api.post("/sandbox/control/inbound", headers=control,
                        json={"phone": phone, "from": "5511912345678", "text": "Is my order ready?"}).status_code == 200
        delivery = received.get(timeout=WAIT_S)  # bounded wait for the dispatcher's POST
        server.shutdown()

        event = Webhook(secret).verify(delivery["body"], delivery["headers"])  # raises if the signature is wrong
        assert event["type"] == "message.received" and event["instanceId"] == instance["id"]
        assert event["data"]["text"] == "Is my order ready?" and event["data"]["phone"] == "5511912345678"
        assert delivery["headers"]["webhook-id"] == event["id"]
        log = api.get(f"/api/v1/instances/{instance['id']}/webhook/deliveries").json()["data"]
        assert log[0]["eventId"] == event["id"]
        assert json.loads(delivery["body"])["id"] == event["id"]
