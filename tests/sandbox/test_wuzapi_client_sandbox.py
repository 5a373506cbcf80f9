"""WuzapiClient against the sandbox over real HTTP: served in-process (the standalone app and the
app's own /sandbox/wuzapi mount) and as a separate `livchat sandbox` process."""

from __future__ import annotations

import base64
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from livchat.integrations import wuzapi
from livchat.integrations.wuzapi import WuzapiClient
from livchat.sandbox import protocol
from livchat.sandbox.app import standalone_app
from livchat.sandbox.config import gateway_endpoint, sandbox_admin_token
from livchat.sandbox.testing import serve_in_thread
from tests.polling import eventually_sync

MESSAGE_ID = re.compile(r"^3EB0[0-9A-F]{18}$")
PNG_DATA_URL = "data:image/png;base64,"
TINY_PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")).decode()


async def exercise_client(base_url: str, control_url: str, admin_token: str, media: str) -> None:
    """Every client call the services use, with the answers the contract promises."""
    token = f"tok-{os.urandom(6).hex()}"
    async with WuzapiClient(base_url, admin_token) as client, \
            httpx.AsyncClient(base_url=control_url, headers={"Authorization": admin_token}) as control:
        created = await client.create_user("shop", token, webhook="", hmac_key="k" * 40)
        assert re.fullmatch(r"[0-9a-f]{32}", created.id)
        assert created.token == token and created.events == "All"
        assert created.raw["hmac_key"] is True
        assert token in {u.token for u in await client.list_users()}
        await client.update_user(created.id, name="renamed")
        assert (await client.get_user(created.id)).name == "renamed"

        status = await client.status(token)
        assert (status.connected, status.logged_in) == (False, False)
        with pytest.raises(wuzapi.NoSession):
            await client.qr(token)

        connected = await client.connect(token, ["Message", "ReadReceipt", "Bogus"])
        assert connected == {"details": "Connected!", "events": "Message,ReadReceipt", "jid": "", "webhook": ""}
        with pytest.raises(wuzapi.AlreadyConnected):
            await client.connect(token)
        status = await client.status(token)
        assert (status.connected, status.logged_in) == (True, False)

        qr = await client.qr(token)
        assert qr.startswith(PNG_DATA_URL)
        assert base64.b64decode(qr[len(PNG_DATA_URL):])[:8] == b"\x89PNG\r\n\x1a\n"
        session = next(s for s in (await control.get("/sessions")).json()["sessions"] if s["id"] == created.id)
        assert session["state"] == "waiting"
        assert protocol.qr_data_url(session["qr"]) == qr  # the image encodes the payload the phone scans

        code = await client.pair_phone(token, "+55 11 98888-7777")
        assert re.fullmatch(r"[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}", code)
        with pytest.raises(wuzapi.NotConnected):  # not paired yet
            await client.send_text(token, "5511912345678", "too early")

        linked = (await control.post("/link", json={"pairingCode": code})).json()["session"]
        assert linked["state"] == "linked" and linked["phone"] == "5511988887777"
        status = await client.status(token)
        assert status.logged_in and status.jid.startswith("5511988887777:")
        with pytest.raises(wuzapi.AlreadyLoggedIn):
            await client.qr(token)
        with pytest.raises(wuzapi.AlreadyPaired):
            await client.pair_phone(token, "5511988887777")

        sent = [
            await client.send_text(token, "+5511912345678", "hello, olá 👋"),  # sent as JSON \u escapes
            await client.send_image(token, "5511912345678", f"data:image/png;base64,{TINY_PNG}", caption="pic"),
            await client.send_audio(token, "5511912345678", "data:audio/ogg;base64,T2dnUw=="),
            await client.send_video(token, "5511912345678", media + "/clip.mp4", caption="clip"),
            await client.send_document(token, "5511912345678", "data:application/pdf;base64,JVBERi0=", "a.pdf"),
            await client.send_location(token, "5511912345678", -23.5, -46.6, name="SP"),
            await client.send_text(token, "5511912345678", "mine", message_id="3EB0AAAAAAAAAAAAAAAAAA"),
        ]
        assert all(MESSAGE_ID.match(s.message_id) for s in sent)
        assert sent[-1].message_id == "3EB0AAAAAAAAAAAAAAAAAA"
        assert all(abs(s.timestamp - time.time()) < 3600 for s in sent)
        outbox = (await control.get("/outbox", params={"token": token})).json()["messages"]
        assert [m["id"] for m in outbox] == [s.message_id for s in reversed(sent)]
        assert [m["type"] for m in reversed(outbox)] == ["text", "image", "audio", "video", "document",
                                                        "location", "text"]
        assert outbox[-1] == {**outbox[-1], "to": "5511912345678", "text": "hello, olá 👋", "status": "sent"}
        with pytest.raises(wuzapi.BadPhone):
            await client.send_text(token, "@s.whatsapp.net", "x")

        checks = await client.check_phones(token, ["5511912345678", "123"])
        assert [(c.query, c.is_in_whatsapp, c.jid) for c in checks] == [
            ("5511912345678", True, "5511912345678@s.whatsapp.net"), ("123", False, "123@s.whatsapp.net")]
        await client.mark_read(token, [sent[0].message_id], "5511912345678")

        assert await client.hmac_configured(token)
        await client.delete_hmac_key(token)
        assert not await client.hmac_configured(token)
        await client.set_hmac_key(token, "n" * 32)
        assert await client.hmac_configured(token)
        with pytest.raises(wuzapi.BadRequest, match="at least 32"):
            await client.set_hmac_key(token, "short")

        await client.set_webhook(token, "http://127.0.0.1:9/hook", ["Message"])
        assert await client.get_webhook(token) == ("http://127.0.0.1:9/hook", ["Message"])
        await client.delete_webhook(token)
        assert await client.get_webhook(token) == ("", [])

        with pytest.raises(wuzapi.Unauthorized):
            await client.status("not-a-token")
        async with WuzapiClient(base_url, "wrong-admin") as intruder:
            with pytest.raises(wuzapi.Unauthorized):
                await intruder.list_users()

        await client.logout(token)
        status = await client.status(token)
        assert (status.connected, status.logged_in, status.jid) == (False, False, "")
        with pytest.raises(wuzapi.NoSession):
            await client.disconnect(token)
        await client.connect(token)
        await client.disconnect(token)
        assert not (await client.status(token)).connected

        await client.delete_user_full(created.id)
        with pytest.raises(wuzapi.NotFound):
            await client.get_user(created.id)
        with pytest.raises(wuzapi.NotFound):
            await client.delete_user(created.id)


async def test_client_against_standalone_app_in_thread(make_sandbox, media_server: str) -> None:  # type: ignore[no-untyped-def]
    sandbox = make_sandbox()
    with serve_in_thread(standalone_app(sandbox)) as base:
        await exercise_client(base, base + "/sandbox/control", sandbox.config.admin_token, media_server)


async def test_client_against_the_apps_in_process_mount(media_server: str) -> None:
    """The FastAPI app (as Reflex serves it) mounts the sandbox when WUZAPI_URL is unset, and
    `gateway_endpoint()` names it with the admin token kept in data_dir."""
    from livchat.api.app import create_api
    from livchat.core.settings import get_settings

    base_url, admin_token = gateway_endpoint()
    assert base_url == get_settings().public_url.rstrip("/") + "/sandbox/wuzapi"
    assert admin_token == sandbox_admin_token()
    if not get_settings().wuzapi_admin_token:  # generated once, readable by its owner only
        token_file = get_settings().data_dir / "sandbox-admin.token"
        assert token_file.read_text() == admin_token and token_file.stat().st_mode & 0o777 == 0o600
    with serve_in_thread(create_api()) as root:
        await exercise_client(root + "/sandbox/wuzapi", root + "/sandbox/control", admin_token, media_server)
        async with httpx.AsyncClient(base_url=root) as http:
            missing = await http.get("/sandbox/wuzapi/no/such/route")
            assert (missing.status_code, missing.text) == (404, "404 page not found\n")


PROCESS_ADMIN_TOKEN = "process-admin-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[str]:
    """`livchat sandbox --port N` as its own process; yields its base URL once /health answers."""
    port = _free_port()
    env = {**os.environ, "WUZAPI_ADMIN_TOKEN": PROCESS_ADMIN_TOKEN, "LIVCHAT_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "livchat"), "sandbox", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        def healthy() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"sandbox did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
            return httpx.get(base + "/health", timeout=1).status_code == 200

        eventually_sync(healthy, timeout=30, every=0.05, what="the sandbox's start", ignoring=(httpx.TransportError,))
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    assert (tmp_path / "sandbox.db").exists()


async def test_client_against_standalone_process(sandbox_process: str, media_server: str) -> None:
    await exercise_client(sandbox_process, sandbox_process + "/sandbox/control", PROCESS_ADMIN_TOKEN, media_server)
    health = httpx.get(sandbox_process + "/health").json()
    assert health["status"] == "ok" and health["total_users"] == 0
