"""The control API the simulated phone uses: its answers, its errors, and the events it causes."""

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
        yield http, sandbox


def test_control_errors_are_clear_and_change_nothing(served) -> None:  # type: ignore[no-untyped-def]
    http, sandbox = served
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
        ("POST", "/sandbox/control/logout", {"token": "tok"}, 409, "This session is not linked and online."),
    ]
    for method, path, body, status, text in cases:
        reply = http.request(method, path, json=body)
        assert (reply.status_code, reply.json()["error"]) == (status, text), path
    assert http.post("/sandbox/control/link", content=b"{").status_code == 400
    assert http.get("/sandbox/control/outbox", params={"token": "nope"}).status_code == 404
    assert [s["state"] for s in http.get("/sandbox/control/sessions").json()["sessions"]] == ["disconnected"]


def test_phone_session_from_link_to_logout(served, receiver) -> None:  # type: ignore[no-untyped-def]
    http, sandbox = served
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
    received = receiver.wait_until(lambda got: any(b'"LoggedOut"' in r.body for r in got))
    logged_out = json.loads(received[-1].body)
    assert logged_out["type"] == "LoggedOut" and logged_out["event"] == {"OnConnect": False, "Reason": 0}
