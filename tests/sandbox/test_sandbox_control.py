"""The control API the simulated phone uses: the admin token it requires, its answers, its
errors, and the events it causes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from livchat.sandbox.app import standalone_app
from livchat.sandbox.engine import Sandbox
from livchat.sandbox.testing import serve_in_thread


@pytest.fixture
def served(make_sandbox, receiver) -> Iterator[tuple[httpx.Client, Sandbox]]:  # type: ignore[no-untyped-def]
    sandbox = make_sandbox(webhook_format="json")
    with serve_in_thread(standalone_app(sandbox)) as base, httpx.Client(base_url=base) as http:
        http.post("/admin/users", headers={"Authorization": sandbox.config.admin_token},
                  json={"name": "shop", "token": "tok", "webhook": receiver.url, "events": "All"})
        http.headers["Authorization"] = sandbox.config.admin_token  # the control API's credential
        yield http, sandbox


def test_control_api_needs_the_admin_token(served) -> None:  # type: ignore[no-untyped-def]
    http, sandbox = served
    http.post("/session/connect", headers={"token": "tok"}, json={"Subscribe": ["All"], "Immediate": True})
    waiting = http.get("/sandbox/control/sessions").json()["sessions"][0]
    calls = [("GET", "/sandbox/control/sessions", None), ("POST", "/sandbox/control/link", {"qr": waiting["qr"]}),
             ("GET", "/sandbox/control/outbox", None), ("POST", "/sandbox/control/inbound", {"token": "tok"}),
             ("GET", "/sandbox/control/webhook-errors", None)]
    for credential in (None, "", "Bearer " + sandbox.config.admin_token, "tok", sandbox.config.admin_token + "x"):
        headers = {} if credential is None else {"Authorization": credential}
        for method, path, body in calls:
            with httpx.Client(base_url=str(http.base_url)) as anonymous:
                reply = anonymous.request(method, path, json=body, headers=headers)
            assert (reply.status_code, reply.json()) == (401, {"error": "unauthorized", "code": "unauthorized"}), path
    assert http.get("/sandbox/control/sessions").json()["sessions"][0]["state"] == "waiting"  # nothing linked


def test_control_errors_are_clear_and_change_nothing(served) -> None:  # type: ignore[no-untyped-def]
    http, _sandbox = served
    cases = [
        ("POST", "/sandbox/control/link", {}, 400, "Give a QR payload or a pairing code."),
        ("POST", "/sandbox/control/link", {"qr": "2@nope"}, 404, "No session is waiting for this code (it may have rotated)."),
        ("POST", "/sandbox/control/inbound", {"token": "nope", "from": "5511912345678", "text": "x"}, 404,
         "No such session."),
        ("POST", "/sandbox/control/inbound", {"token": "tok", "from": "5511912345678", "text": "x"}, 409,
         "This session is not linked and online."),
        ("POST", "/sandbox/control/receipt", {"messageId": "3EB0X", "state": "Seen"}, 400,
         "The receipt state must be Delivered or Read."),
        ("POST", "/sandbox/control/receipt", {"messageId": "3EB0X", "state": "Read"}, 404, "No sent message has this id."),
        ("POST", "/sandbox/control/disconnect", {"token": "tok"}, 409, "This session is not connected."),
        ("POST", "/sandbox/control/reconnect", {"token": "tok"}, 409, "This session is not offline: nothing to reconnect."),
        ("POST", "/sandbox/control/logout", {"token": "tok"}, 409, "This session is not linked and online."),
    ]
    for method, path, body, status, text in cases:
        reply = http.request(method, path, json=body)
        assert (reply.status_code, reply.json()["error"]) == (status, text), path
    assert http.post("/sandbox/control/link", content=b"{").status_code == 400
    assert http.get("/sandbox/control/outbox", params={"token": "nope"}).status_code == 404
    assert [s["state"] for s in http.get("/sandbox/control/sessions").json()["sessions"]] == ["disconnected"]


def test_phone_session_from_link_to_logout(served, receiver) -> None:  # type: ignore[no-untyped-def]
    http, _sandbox = served
    h = {"token": "tok"}
    http.post("/session/connect", headers=h, json={"Subscribe": ["All"], "Immediate": True})
    session = http.get("/sandbox/control/sessions").json()["sessions"][0]
    assert (session["state"], session["connected"], session["loggedIn"], session["pairingCode"]) == (
        "waiting", True, False, "")
    assert "token" not in session  # the control listing does not hand out user tokens
    bad_phone = http.post("/sandbox/control/link", json={"qr": session["qr"], "phone": "12"})
    assert bad_phone.status_code == 400
    linked = http.post("/sandbox/control/link", json={"qr": session["qr"]}).json()["session"]
    assert linked["state"] == "linked" and 8 <= len(linked["phone"]) <= 15

    bad = http.post("/sandbox/control/inbound", json={"id": session["id"], "from": "12", "text": "x"})
    assert bad.status_code == 400
    media = http.post("/sandbox/control/inbound", json={"id": session["id"], "from": "5511912345678",
                                                         "type": "image", "base64": "not base64!"})
    assert (media.status_code, media.json()) == (400, {"error": "The media is not valid base64.", "code": "bad_base64"})

    sent = http.post("/chat/send/text", headers=h, json={"Phone": "5511912345678", "Body": "one"}).json()["data"]
    outbox = http.get("/sandbox/control/outbox", params={"id": session["id"]}).json()["messages"]
    assert outbox == [{"id": sent["Id"], "to": "5511912345678", "type": "text", "text": "one",
                       "timestamp": sent["Timestamp"], "status": "sent"}]
    http.post("/sandbox/control/receipt", json={"messageId": sent["Id"], "state": "Read"})
    http.post("/sandbox/control/receipt", json={"messageId": sent["Id"], "state": "Delivered"})
    assert http.get("/sandbox/control/outbox", params={"token": "tok"}).json()["messages"][0]["status"] == "read"

    after = http.post("/sandbox/control/logout", json={"token": "tok"}).json()["session"]
    assert (after["state"], after["jid"]) == ("disconnected", "")
    status = http.get("/session/status", headers=h).json()["data"]
    assert (status["connected"], status["loggedIn"], status["jid"]) == (False, False, "")
    assert http.post("/session/logout", headers=h).json()["error"] == "no session"  # the client is gone
    received = receiver.wait_until(lambda got: any(b'"LoggedOut"' in r.body for r in got))
    logged_out = json.loads(received[-1].body)
    # whatsmeow reports the phone removing the device as ConnectFailureReason 401.
    assert logged_out["type"] == "LoggedOut" and logged_out["event"] == {"OnConnect": False, "Reason": 401}


def test_phone_side_drop_keeps_the_client_not_connected_until_it_reconnects(served, receiver) -> None:  # type: ignore[no-untyped-def]
    http, _sandbox = served
    h = {"token": "tok"}
    http.post("/session/connect", headers=h, json={"Subscribe": ["All"], "Immediate": True})
    qr = http.get("/sandbox/control/sessions").json()["sessions"][0]["qr"]
    http.post("/sandbox/control/link", json={"qr": qr, "phone": "5511933332222"}).raise_for_status()

    offline = http.post("/sandbox/control/disconnect", json={"token": "tok"}).json()["session"]
    assert (offline["state"], offline["connected"], offline["loggedIn"]) == ("offline", False, False)
    status = http.get("/session/status", headers=h).json()["data"]
    assert (status["connected"], status["loggedIn"]) == (False, False) and status["jid"].startswith("5511933332222:")
    # The client is still there: WuzAPI's "not connected" answers, not "no session".
    errors = [
        (http.post("/chat/send/text", headers=h, json={"Phone": "5511912345678", "Body": "x"}),
         "error sending message: websocket not connected"),
        (http.get("/session/qr", headers=h), "not connected"),
        (http.post("/session/disconnect", headers=h), "cannot disconnect because it is not logged in"),
        (http.post("/session/logout", headers=h), "could not disconnect as it was not connected"),
    ]
    for reply, text in errors:
        assert (reply.status_code, reply.json()["error"]) == (500, text)

    back = http.post("/sandbox/control/reconnect", json={"token": "tok"}).json()["session"]
    assert (back["state"], back["loggedIn"]) == ("linked", True)
    assert http.post("/chat/send/text", headers=h, json={"Phone": "5511912345678", "Body": "back"}).status_code == 200
    received = receiver.wait_until(lambda got: [json.loads(r.body)["type"] for r in got].count("Connected") == 2)
    assert [json.loads(r.body)["type"] for r in received][-3:] == ["Connected", "Disconnected", "Connected"]


async def test_a_delivery_that_fails_every_attempt_is_kept_and_listed(make_sandbox, receiver) -> None:  # type: ignore[no-untyped-def]
    receiver.fail_first = 1000
    sandbox = make_sandbox(retry_count=3)
    user = sandbox.create_user({"name": "shop", "token": "tok", "webhook": receiver.url, "events": "QR"})
    other = sandbox.create_user({"name": "quiet", "token": "tok2"})
    sandbox.connect(user, ["QR"])
    await sandbox.webhooks.drain()
    assert receiver.attempts == 3
    with serve_in_thread(standalone_app(sandbox)) as base, httpx.Client(base_url=base) as http:
        http.headers["Authorization"] = sandbox.config.admin_token
        errors = http.get("/sandbox/control/webhook-errors", params={"token": "tok"}).json()["errors"]
        assert http.get("/sandbox/control/webhook-errors", params={"id": other.id}).json()["errors"] == []
        assert http.get("/sandbox/control/webhook-errors").json()["errors"] == errors
    [failed] = errors
    assert (failed["userId"], failed["url"], failed["type"], failed["attempts"], failed["lastError"]) == (
        user.id, receiver.url, "QR", 3, "HTTP 500")
    assert "jsonData=" in failed["body"] and "QR" in failed["body"]


def test_inbound_by_phone_reaches_every_device_linked_to_the_number(served, receiver) -> None:  # type: ignore[no-untyped-def]
    http, sandbox = served
    http.post("/admin/users", headers={"Authorization": sandbox.config.admin_token},
              json={"name": "desk", "token": "tok2", "webhook": receiver.url, "events": "All"})
    for token in ("tok", "tok2"):  # two devices (two WuzAPI users) link the same phone
        http.post("/session/connect", headers={"token": token}, json={"Subscribe": ["All"], "Immediate": True})
        waiting = next(s for s in http.get("/sandbox/control/sessions").json()["sessions"] if s["state"] == "waiting")
        http.post("/sandbox/control/link", json={"qr": waiting["qr"], "phone": "5511977776666"}).raise_for_status()

    sent = http.post("/sandbox/control/inbound", json={"phone": "+55 11 97777-6666", "from": "5511912345678",
                                                        "text": "to every device"})
    assert sent.status_code == 200 and sent.json()["sessions"] == 2
    got = receiver.wait_until(lambda got: sum(b"to every device" in r.body for r in got) == 2)
    ids = {json.loads(r.body)["event"]["Info"]["ID"] for r in got if b"to every device" in r.body}
    assert ids == {sent.json()["id"]}  # one message, the same id on each device
    assert http.post("/sandbox/control/inbound", json={"phone": "5511900000000", "from": "5511912345678",
                                                        "text": "x"}).status_code == 404
