"""Two app processes behind one address (`livchat scale`, `make run-scale`), as a deployment on
several machines runs: one PostgreSQL database, Redis for Reflex's tabs and live pushes, and the
stored files and knowledge base on S3 (moto's server here).

`livchat scale` builds the frontend once (into a web directory of this test's own, so the browser
tests' build is left alone), starts two processes and balances PUBLIC_URL's port over them. A
visitor's socket goes through the balancer; operators' replies are posted straight to each process
in turn, so whichever holds the socket, one reply comes from the other process; a file uploaded
through one is found through the other.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
import psycopg
import pytest
import redis
from moto.server import ThreadedMotoServer

from bench.widget_load import Tab, Visitor
from tests.polling import eventually, eventually_sync

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("LIVCHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LIVCHAT_TEST_SCALE_REDIS_URL", "redis://127.0.0.1:6379/12")
START_TIMEOUT_S = 600  # a frontend build from scratch (npm install included) on a busy machine


def _free_ports(count: int) -> list[int]:
    """`count` consecutive free ports on 127.0.0.1."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        taken = []
        try:
            for port in range(first, first + count):
                held = socket.socket()
                taken.append(held)
                held.bind(("127.0.0.1", port))
            return list(range(first, first + count))
        except OSError:
            continue
        finally:
            for held in taken:
                held.close()


@dataclass
class Scaled:
    url: str  # the balancer: PUBLIC_URL
    processes: list[str]
    env: dict[str, str]
    log: Path

    def cli(self, *args: str) -> str:
        done = subprocess.run([str(Path(sys.executable).parent / "livchat"), *args], env=self.env, cwd=ROOT,
                              check=True, capture_output=True, text=True, timeout=120)
        return done.stdout + done.stderr

    def events(self) -> list[dict[str, object]]:
        found = []
        for line in self.log.read_text().splitlines():
            if line.startswith('{"event": "scale.'):
                found.append(json.loads(line))
        return found


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    data = tmp_path_factory.mktemp("scale")
    database = f"livchat_scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    redis.Redis.from_url(REDIS_URL).flushdb()
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3.start()
    s3_host, s3_port = s3.get_host_and_port()
    bucket = f"livchat-scale-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=f"http://{s3_host}:{s3_port}", region_name="us-east-1",
                 aws_access_key_id="test-key", aws_secret_access_key="test-secret").create_bucket(Bucket=bucket)

    balancer, first, second = _free_ports(3)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "LIVCHAT_ENV_FILE": "",
           "LIVCHAT_DATA_DIR": str(data), "REFLEX_WEB_WORKDIR": str(data / ".web"), "REFLEX_USE_NPM": "1",
           "REFLEX_TELEMETRY_ENABLED": "false", "GRANIAN_WORKERS": "1",
           "DATABASE_URL": PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}", "REDIS_URL": REDIS_URL,
           "PUBLIC_URL": f"http://localhost:{balancer}", "LIVCHAT_STORAGE": "s3",
           "S3_ENDPOINT_URL": f"http://{s3_host}:{s3_port}", "S3_BUCKET": bucket, "S3_REGION": "us-east-1",
           "S3_ACCESS_KEY_ID": "test-key", "S3_SECRET_ACCESS_KEY": "test-secret", "LIVCHAT_EMBEDDER": "hashed",
           "LIVCHAT_AGENT": "off", "TRUSTED_PROXY_HOPS": "1"}
    log = data / "scale.log"
    found = Scaled(f"http://localhost:{balancer}", [f"http://127.0.0.1:{first}", f"http://127.0.0.1:{second}"], env, log)
    found.cli("migrate")
    with open(log, "w") as out:  # the child keeps its own descriptor
        proc = subprocess.Popen([str(bin_dir / "livchat"), "scale", "--processes", "2", "--first-port", str(first)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def ready() -> bool:
            assert proc.poll() is None, log.read_text()[-4000:]
            return any(e["event"] == "scale.ready" for e in found.events())
        eventually_sync(ready, timeout=START_TIMEOUT_S, every=1.0)
        yield found
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        s3.stop()
        redis.Redis.from_url(REDIS_URL).flushdb()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def test_both_processes_serve_the_app_built_once_behind_the_balancer(scaled: Scaled) -> None:
    for base in [scaled.url, *scaled.processes]:
        page = httpx.get(f"{base}/sign-in", timeout=30, follow_redirects=True)
        assert page.status_code == 200 and "<html" in page.text.lower(), (base, page.status_code)
        assert httpx.get(f"{base}/api/health", timeout=30).json()["db"] is True
    # The build's socket address is PUBLIC_URL, the balancer's: a page from either process comes back to it.
    env_json = json.loads((Path(scaled.env["REFLEX_WEB_WORKDIR"]) / "env.json").read_text())
    assert env_json["EVENT"] == scaled.url.replace("http://", "ws://") + "/_event"
    # Compiled once, by the build (Reflex's progress line): the processes serve it as it is. Each
    # compiling again at start purged the shared web directory under the other (3 here, then).
    assert scaled.log.read_text().count("Compiling:") == 1


async def test_a_visitor_behind_the_balancer_gets_replies_posted_through_either_process(scaled: Scaled) -> None:
    said = scaled.cli("create-user", "scale@example.com", "--password", "long-password", "--org", "Scale")
    organization_id = "org_" + said.rsplit("(org_", 1)[1].split(")", 1)[0]
    operator = {"Authorization": f"Bearer {scaled.cli('create-api-key', '--org', 'Scale').strip().splitlines()[-1]}"}

    async with httpx.AsyncClient(timeout=30) as http:
        created = await http.post(f"{scaled.url}/api/widget/sessions", headers={"X-Forwarded-For": "10.78.0.1"}, json={
            "organizationId": organization_id, "name": "Ana", "email": "ana@example.com"})
        assert created.status_code == 201, created.text
        visitor = Visitor(0, "10.78.0.1", "Do you ship to Recife?")
        tab = Tab(scaled.url, organization_id, None, [], visitor)
        await tab.open(created.json()["contactToken"])
        listener = asyncio.create_task(tab.listen())
        try:
            await asyncio.wait_for(visitor.chat_ready.wait(), timeout=30)
            visitor.sent_at = asyncio.get_running_loop().time()
            await tab.emit("send", {"form_data": {"text": visitor.text}})
            await asyncio.wait_for(visitor.echoed.wait(), timeout=30)
            listed = await eventually(lambda: http.get(f"{scaled.processes[1]}/api/v1/conversations", headers=operator),
                                      lambda r: r.status_code == 200 and len(r.json()["data"]) == 1)
            conversation_id = listed.json()["data"][0]["id"]
            for n, process in enumerate(scaled.processes):
                text = f"Yes — reply {n} through process {n}."
                reply = await http.post(f"{process}/api/v1/conversations/{conversation_id}/messages",
                                        headers=operator, json={"text": text})
                assert reply.status_code == 201, reply.text
                # Live, on the visitor's socket, whichever process holds it.
                await eventually(lambda: tab.texts, lambda texts, text=text: text in texts, timeout=15)
        finally:
            listener.cancel()
            await tab.ws.close()


async def test_a_file_uploaded_through_one_process_is_found_through_the_other(scaled: Scaled) -> None:
    scaled.cli("create-user", "kb@example.com", "--password", "long-password", "--org", "Scale KB")
    operator = {"Authorization": f"Bearer {scaled.cli('create-api-key', '--org', 'Scale KB').strip().splitlines()[-1]}"}
    first, second = scaled.processes
    async with httpx.AsyncClient(timeout=30) as http:
        uploaded = await http.post(f"{first}/api/v1/knowledge/files", headers=operator, files={
            "file": ("entrega.md", "# Entrega\n\nEntregamos em Recife em até 3 dias úteis.\n".encode(), "text/markdown")})
        assert uploaded.status_code == 202, uploaded.text
        file_id = uploaded.json()["id"]
        await eventually(lambda: http.get(f"{second}/api/v1/knowledge/files/{file_id}", headers=operator),
                         lambda r: r.json()["status"] == "ready", timeout=60)
        found = await eventually(
            lambda: http.get(f"{second}/api/v1/knowledge/search", headers=operator, params={"q": "entrega Recife"}),
            lambda r: r.status_code == 200 and [h["fileId"] for h in r.json()["data"]][:1] == [file_id], timeout=30)
        assert found.json()["data"][0]["filename"] == "entrega.md"
