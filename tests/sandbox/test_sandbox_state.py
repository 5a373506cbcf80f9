"""QR rotation on an injectable clock, and state that survives a restart (mid-pairing too)."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qs

import httpx
import pytest

from livchat.integrations.wuzapi import WuzapiClient
from livchat.sandbox import protocol
from livchat.sandbox.app import standalone_app
from livchat.sandbox.engine import ControlError
from livchat.sandbox.testing import serve_in_thread
from tests.polling import eventually_sync

KEY = "k" * 32


async def test_qr_rotates_on_the_configured_period(make_sandbox, receiver, clock) -> None:  # type: ignore[no-untyped-def]
    sandbox = make_sandbox(clock=clock, qr_period_s=5)
    user = sandbox.create_user({"name": "n", "token": "tok", "webhook": receiver.url, "events": "QR"})
    user = sandbox.connect(user, ["QR"])
    first = sandbox.view(user).qr
    assert first.startswith("2@") and first.count(",") == 3
    assert sandbox.qr(user) == protocol.qr_data_url(first)

    clock.advance(4.9)
    sandbox.tick()
    assert sandbox.view(user).qr == first
    clock.advance(0.1)
    sandbox.tick()
    second = sandbox.view(user).qr
    assert second != first and sandbox.qr(user) == protocol.qr_data_url(second)
    clock.advance(5)
    sandbox.tick()
    sandbox.tick()  # no rotation in between: no second event
    third = sandbox.view(user).qr
    assert len({first, second, third}) == 3

    await sandbox.webhooks.drain()
    images = [r.body for r in receiver.requests]
    assert len(images) == 3  # one QR event per code

    with pytest.raises(ControlError) as rotated:
        sandbox.link(qr=first)
    assert rotated.value.status == 404
    assert sandbox.link(qr=third).state == "linked"
    clock.advance(60)
    sandbox.tick()
    await sandbox.webhooks.drain()
    assert len(receiver.requests) == 3  # linked sessions no longer rotate


async def test_restart_mid_pairing_keeps_waiting_and_links(make_sandbox, receiver, clock) -> None:  # type: ignore[no-untyped-def]
    before = make_sandbox(clock=clock, webhook_format="json")
    with serve_in_thread(standalone_app(before)) as base:
        async with WuzapiClient(base, before.config.admin_token) as client:
            user = await client.create_user("shop", "tok", webhook=receiver.url, hmac_key=KEY)
            await client.connect("tok")
            qr_before = await client.qr("tok")
            code = await client.pair_phone("tok", "5511977776666")
    before.store.close()

    after = make_sandbox(clock=clock, webhook_format="json")  # same file, a new process's worth of state
    with serve_in_thread(standalone_app(after)) as base:
        async with WuzapiClient(base, after.config.admin_token) as client, \
                httpx.AsyncClient(base_url=base, headers={"Authorization": after.config.admin_token}) as http:
            status = await client.status("tok")
            assert (status.connected, status.logged_in) == (True, False)
            assert await client.qr("tok") == qr_before  # same code at the same moment
            sessions = (await http.get("/sandbox/control/sessions")).json()["sessions"]
            assert [(s["id"], s["state"], s["pairingCode"]) for s in sessions] == [(user.id, "waiting", code)]
            linked = await http.post("/sandbox/control/link", json={"pairingCode": code})
            assert linked.json()["session"]["phone"] == "5511977776666"
            status = await client.status("tok")
            assert status.logged_in and status.jid.startswith("5511977776666:")
            sent = await client.send_text("tok", "5511912345678", "after restart")
            received = receiver.wait_until(lambda got: any(b'"type":"Connected"' in r.body for r in got))
    types = [json.loads(r.body)["type"] for r in received]
    assert types[-2:] == ["PairSuccess", "Connected"] and set(types[:-2]) == {"QR"}
    assert all(hmac.compare_digest(r.headers["x-hmac-signature"],
                                   hmac.new(KEY.encode(), r.body, hashlib.sha256).hexdigest()) for r in received)
    after.store.close()

    again = make_sandbox(clock=clock)
    user_row = again.find_session(token="tok")
    assert again.view(user_row).state == "linked"
    assert [m.id for m in again.outbox(user_row)] == [sent.message_id]


async def test_a_code_that_just_rotated_still_links_for_a_moment(make_sandbox, clock) -> None:  # type: ignore[no-untyped-def]
    sandbox = make_sandbox(clock=clock, qr_period_s=20, qr_grace_s=5)
    first = sandbox.create_user({"name": "a", "token": "a"})
    second = sandbox.create_user({"name": "b", "token": "b"})
    first, second = sandbox.connect(first, []), sandbox.connect(second, [])
    shown_a, shown_b = sandbox.view(first).qr, sandbox.view(second).qr
    clock.advance(20.5)  # both rotated half a second ago; the phone scanned what it saw
    assert sandbox.view(first).qr != shown_a
    assert sandbox.link(qr=shown_a).id == first.id
    clock.advance(5)  # 5.5 s after the rotation: too late for the old code
    with pytest.raises(ControlError) as late:
        sandbox.link(qr=shown_b)
    assert late.value.key == "code_not_found"
    assert sandbox.link(qr=sandbox.view(sandbox.find_session(token="b")).qr).id == second.id


async def test_a_non_ascii_code_is_simply_not_found(make_sandbox, clock) -> None:  # type: ignore[no-untyped-def]
    sandbox = make_sandbox(clock=clock)
    user = sandbox.connect(sandbox.create_user({"name": "a", "token": "a"}), [])
    sandbox.pair_phone(user, "5511912345678")  # a pairing code is waiting too
    for code in ({"qr": "código-ü"}, {"pairing_code": "ÀBCD-ÉFGH"}):
        with pytest.raises(ControlError) as missing:
            sandbox.link(**code)
        assert missing.value.key == "code_not_found"


@pytest.fixture
def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_qr_rotation_runs_from_startup_without_any_request(make_sandbox, receiver, tmp_path,  # type: ignore[no-untyped-def]
                                                                 free_port: int) -> None:
    """A session left waiting in the file: after a restart its codes rotate (and are webhooked)
    although nothing but /health is ever asked of the new process."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    before = make_sandbox()
    user = before.connect(before.create_user({"name": "shop", "token": "tok", "webhook": receiver.url,
                                              "events": "QR"}), ["QR"])
    await before.webhooks.drain()
    before.store.close()
    assert len(receiver.requests) == 1  # the first code, from the connect
    env = {**os.environ, "LIVCHAT_DATA_DIR": str(tmp_path), "SANDBOX_DB_PATH": str(before.config.db_path),
           "SANDBOX_QR_PERIOD_SECONDS": "1", "WUZAPI_ADMIN_TOKEN": "startup-admin"}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "livchat"), "sandbox", "--port", str(free_port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        def healthy() -> bool:
            assert proc.poll() is None, "the sandbox process exited"
            return httpx.get(f"http://127.0.0.1:{free_port}/health", timeout=1).status_code == 200

        eventually_sync(healthy, timeout=30, every=0.05, what="the sandbox's start", ignoring=(httpx.TransportError,))
        received = receiver.wait_for(4, timeout=15)  # three more codes, from the ticker alone
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    codes = {json.loads(parse_qs(r.body.decode())["jsonData"][0])["qrCodeBase64"] for r in received}
    # The new process may first re-announce the code of the moment (it keeps no memory of events sent).
    assert len(codes) >= 3 and all(parse_qs(r.body.decode())["userID"] == [user.id] for r in received)
