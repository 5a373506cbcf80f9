"""Walk every WuzAPI endpoint we use over real HTTP and compare with the contract
(../shared/wuzapi-contract.md, CURRENT): paths, both auth styles, envelope vs raw replies,
field casing, error texts and status codes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from livchat.sandbox.app import standalone_app
from livchat.sandbox.engine import Sandbox
from livchat.sandbox.testing import serve_in_thread
from tests.sandbox.conftest import ADMIN_TOKEN

ENVELOPE_OK = {"code", "data", "success"}
ENVELOPE_ERROR = {"code", "error", "success"}


@pytest.fixture
def wuz(make_sandbox) -> Iterator[tuple[httpx.Client, Sandbox]]:  # type: ignore[no-untyped-def]
    sandbox = make_sandbox(connect_wait_s=0.3)
    with serve_in_thread(standalone_app(sandbox)) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http, sandbox


def admin(sandbox: Sandbox) -> dict[str, str]:
    return {"Authorization": sandbox.config.admin_token}


def assert_ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == ENVELOPE_OK and body["code"] == status and body["success"] is True
    return body["data"]


def assert_error(response: httpx.Response, status: int, text: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body == {"code": status, "error": text, "success": False}


def new_user(http: httpx.Client, sandbox: Sandbox, token: str, **extra: Any) -> dict[str, Any]:
    reply = http.post("/admin/users", headers=admin(sandbox), json={"name": "n", "token": token, **extra})
    assert reply.status_code == 201, reply.text
    return reply.json()["data"]


def link(http: httpx.Client, token: str, phone: str = "5511900001111") -> None:
    code = http.post("/session/pairphone", headers={"token": token}, json={"Phone": phone}).json()["data"]
    assert http.post("/sandbox/control/link", json={"pairingCode": code["LinkingCode"]},
                     headers={"Authorization": ADMIN_TOKEN}).status_code == 200


def test_health_and_unknown_paths(wuz) -> None:  # type: ignore[no-untyped-def]
    http, _ = wuz
    health = http.get("/health").json()
    assert {"status", "timestamp", "uptime", "total_users", "connected_users", "logged_in_users",
            "version"} <= set(health) and health["status"] == "ok"
    for method, path in [("GET", "/nope"), ("GET", "/chat/send/text"), ("POST", "/session/status")]:
        reply = http.request(method, path, headers={"token": "x"})
        assert (reply.status_code, reply.text) == (404, "404 page not found\n")
        assert reply.headers["content-type"].startswith("text/plain")


def test_admin_routes_auth_and_raw_replies(wuz) -> None:  # type: ignore[no-untyped-def]
    http, sandbox = wuz
    for headers in ({}, {"Authorization": "Bearer " + sandbox.config.admin_token}, {"Authorization": "x"},
                    {"token": sandbox.config.admin_token}):
        assert_error(http.get("/admin/users", headers=headers), 401, "unauthorized")

    reply = http.post("/admin/users", headers=admin(sandbox),
                      json={"NAME": "Shop", "Token": "t1", "webhook": "http://h/x", "events": "Message,ReadReceipt",
                            "hmacKey": "h" * 32})
    assert reply.status_code == 201 and reply.headers["content-type"] == "application/json; charset=utf-8"
    created = reply.json()
    assert set(created) == {"code", "data", "success"} and created["code"] == 201
    data = created["data"]
    assert set(data) == {"id", "name", "token", "webhook", "expiration", "events", "osname", "proxy_config",
                         "s3_config", "hmac_key"}
    assert (data["name"], data["token"], data["events"], data["hmac_key"]) == ("Shop", "t1", "Message,ReadReceipt", True)
    user_id = data["id"]
    assert len(user_id) == 32 and int(user_id, 16) >= 0

    listed = assert_ok(http.get("/admin/users", headers=admin(sandbox)))
    assert set(listed[0]) == {"id", "name", "token", "webhook", "jid", "qrcode", "connected", "loggedIn",
                              "expiration", "proxy_url", "events", "osname", "proxy_config", "s3_config"}
    assert listed[0]["s3_config"]["access_key"] == "***"
    assert assert_ok(http.get(f"/admin/users/{user_id}", headers=admin(sandbox)))[0]["id"] == user_id

    def raw_error(reply: httpx.Response, status: int, text: str, **extra: str) -> None:
        assert reply.status_code == status
        assert reply.json() == {"code": status, "error": text, "success": False, **extra}

    raw_error(http.post("/admin/users", headers=admin(sandbox), json={"name": "n", "token": "t1"}), 409,
              "user with this token already exists")
    raw_error(http.post("/admin/users", headers=admin(sandbox), json={"name": "n", "token": "t2", "hmacKey": "s"}),
              400, "HMAC key must be at least 32 characters long")
    raw_error(http.post("/admin/users", headers=admin(sandbox), json={"name": "n", "token": "t3", "events": "Nope"}),
              400, "invalid event type", details="invalid event: Nope")
    raw_error(http.post("/admin/users", headers=admin(sandbox), content=b"{not json"), 400, "invalid request payload")
    # `events` is a CSV string: an array does not decode (Go), whatever it holds.
    raw_error(http.post("/admin/users", headers=admin(sandbox), json={"name": "n", "token": "t7", "events": ["All"]}),
              400, "invalid request payload")
    raw_error(http.post("/admin/users", headers=admin(sandbox), json={"name": 5, "token": "t8"}), 400,
              "invalid request payload")

    assert http.put(f"/admin/users/{user_id}", headers=admin(sandbox), json={"name": "New"}).json() == {
        "code": 200, "message": "user updated successfully", "success": True}
    raw_error(http.put(f"/admin/users/{user_id}", headers=admin(sandbox), json={"name": ""}), 400,
              "no fields to update")
    raw_error(http.put("/admin/users/missing", headers=admin(sandbox), json={"name": "x"}), 404, "user not found")
    raw_error(http.post("/admin/users", headers=admin(sandbox), json={"name": "n", "token": "t5", "expiration": "x"}),
              400, "invalid request payload")
    new_user(http, sandbox, "t6")
    raw_error(http.put(f"/admin/users/{user_id}", headers=admin(sandbox), json={"token": "t6"}), 409,
              "user with this token already exists")

    assert http.delete(f"/admin/users/{user_id}", headers=admin(sandbox)).json() == {
        "code": 200, "data": {"id": user_id}, "success": True, "details": "user deleted successfully"}
    raw_error(http.delete(f"/admin/users/{user_id}", headers=admin(sandbox)), 404, "user not found",
              details=f"No user found with ID: {user_id}")

    other = new_user(http, sandbox, "t4")
    http.post("/session/connect", headers={"token": "t4"}, json={"Immediate": True})
    link(http, "t4", "5511955554444")
    full = http.delete(f"/admin/users/{other['id']}/full", headers=admin(sandbox)).json()
    assert full["details"] == "user instance removed completely" and full["success"] is True
    assert full["data"]["id"] == other["id"] and full["data"]["jid"].startswith("5511955554444:")
    assert [u["token"] for u in assert_ok(http.get("/admin/users", headers=admin(sandbox)))] == ["t6"]


def test_user_auth_header_or_query_never_authorization(wuz) -> None:  # type: ignore[no-untyped-def]
    http, sandbox = wuz
    new_user(http, sandbox, "tok")
    assert assert_ok(http.get("/session/status", headers={"token": "tok"}))["token"] == "tok"
    assert assert_ok(http.get("/session/status", headers={"Token": "tok"}))["token"] == "tok"
    assert assert_ok(http.get("/session/status", params={"token": "tok"}))["token"] == "tok"
    assert_error(http.get("/session/status", headers={"Authorization": "tok"}), 401, "unauthorized")
    assert_error(http.get("/session/status", headers={"token": "nope"}), 401, "unauthorized")
    assert_error(http.get("/session/status", headers={"token": sandbox.config.admin_token}), 401, "unauthorized")


def test_session_lifecycle_texts_and_casing(wuz) -> None:  # type: ignore[no-untyped-def]
    http, sandbox = wuz
    new_user(http, sandbox, "tok", hmacKey="k" * 32)
    h = {"token": "tok"}
    status = assert_ok(http.get("/session/status", headers=h))
    assert set(status) == {"id", "name", "connected", "loggedIn", "token", "jid", "webhook", "events", "proxy_url",
                           "qrcode", "history", "proxy_config", "s3_config", "hmac_configured"}
    assert (status["connected"], status["loggedIn"], status["history"], status["hmac_configured"]) == (
        False, False, "0", True)
    for method, path in [("POST", "/session/disconnect"), ("POST", "/session/logout"), ("GET", "/session/qr")]:
        assert_error(http.request(method, path, headers=h), 500, "no session")
    assert_error(http.post("/session/pairphone", headers=h, json={"Phone": "5511"}), 500, "no session")
    for path in ("/chat/send/text", "/chat/markread", "/user/check"):
        assert_error(http.post(path, headers=h, content=b"garbage"), 500, "no session")

    assert_error(http.post("/session/connect", headers=h, content=b"{"), 400, "could not decode Payload")
    started = time.monotonic()
    data = assert_ok(http.post("/session/connect", headers=h, json={"subscribe": ["Message", "Junk"]}))
    assert time.monotonic() - started >= sandbox.config.connect_wait_s  # no Immediate: WuzAPI waits
    assert data == {"details": "Connected!", "events": "Message", "jid": "", "webhook": ""}
    assert_error(http.post("/session/connect", headers=h, json={"Immediate": True}), 500, "already connected")
    assert assert_ok(http.get("/session/qr", headers=h))["QRCode"].startswith("data:image/png;base64,")
    assert_error(http.post("/session/pairphone", headers=h, json={}), 400, "missing Phone in Payload")
    assert_error(http.post("/session/pairphone", headers=h, json={"Phone": "0123456789"}), 400,
                 "international phone number required (must not start with 0)")
    assert_error(http.post("/chat/send/text", headers=h, json={"Phone": "5511912345678", "Body": "x"}), 500,
                 "error sending message: the store doesn't contain a device JID")
    assert_error(http.post("/chat/send/image", headers=h,
                           json={"Phone": "5511912345678", "Image": "data:image/png;base64,AA=="}), 500,
                 "Error sending message: the store doesn't contain a device JID")

    link(http, "tok")
    status = assert_ok(http.get("/session/status", headers=h))
    assert status["connected"] and status["loggedIn"] and status["jid"].startswith("5511900001111:")
    assert status["qrcode"] == ""
    assert_error(http.get("/session/qr", headers=h), 500, "already logged in")
    assert_error(http.post("/session/pairphone", headers=h, json={"phone": "5511900001111"}), 400, "already paired")

    assert assert_ok(http.post("/session/disconnect", headers=h)) == {"Details": "Disconnected"}
    status = assert_ok(http.get("/session/status", headers=h))
    assert (status["connected"], status["loggedIn"], status["events"]) == (False, False, "")
    assert status["jid"].startswith("5511900001111:")  # the pairing is kept
    data = assert_ok(http.post("/session/connect", headers=h, json={"Subscribe": ["All"], "Immediate": True}))
    assert data["jid"].startswith("5511900001111:") and data["events"] == "All"
    assert assert_ok(http.post("/session/logout", headers=h)) == {"Details": "Logged out"}
    assert_error(http.post("/session/logout", headers=h), 500, "no session")
    data = assert_ok(http.post("/session/connect", headers=h, json={"Immediate": True}))
    assert data["events"] == ""  # an empty Subscribe clears the events (CURRENT, not LEGACY's All)
    assert_error(http.post("/session/logout", headers=h), 500, "could not logout as it was not logged in")


def test_chat_and_user_routes(wuz) -> None:  # type: ignore[no-untyped-def]
    http, sandbox = wuz
    new_user(http, sandbox, "tok")
    h = {"token": "tok"}
    http.post("/session/connect", headers=h, json={"Immediate": True})
    link(http, "tok")

    sent = assert_ok(http.post("/chat/send/text", headers=h, json={"phone": "5511912345678", "BODY": "hi"}))
    assert set(sent) == {"Details", "Timestamp", "Id"} and sent["Details"] == "Sent"
    assert isinstance(sent["Timestamp"], int) and len(sent["Id"]) == 22 and sent["Id"].startswith("3EB0")
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("text", {"Body": "x"}, 400, "missing Phone in Payload"),
        ("text", {"Phone": "5511912345678"}, 400, "missing Body in Payload"),
        ("text", {"Phone": "@s.whatsapp.net", "Body": "x"}, 400, "could not parse Phone"),
        ("text", {"Phone": "5511912345678", "Body": "x", "ContextInfo": {"StanzaID": "A"}}, 400,
         "missing Participant in ContextInfo"),
        ("text", {"Phone": "5511912345678", "Body": "x", "ContextInfo": {"Participant": "p@s.whatsapp.net"}}, 400,
         "missing StanzaID in ContextInfo"),
        ("image", {"Phone": "5511912345678"}, 400, "missing Image in Payload"),
        ("image", {"Phone": "5511912345678", "Image": "AAAA"}, 400,
         'Image data should start with "data:image/png;base64,"'),
        ("image", {"Phone": "5511912345678", "Image": "data:image/png;base64,@@@"}, 400,
         "could not decode base64 encoded data from payload"),
        ("audio", {"Phone": "5511912345678"}, 400, "missing Audio in Payload"),
        ("video", {"Phone": "5511912345678"}, 400, "missing Video in Payload"),
        ("document", {"Phone": "5511912345678"}, 400, "missing Document in Payload"),
        ("document", {"Phone": "5511912345678", "Document": "data:application/pdf;base64,AA=="}, 400,
         "missing FileName in Payload"),
        ("location", {"Phone": "5511912345678", "Longitude": 1.5}, 400, "missing Latitude in Payload"),
        ("location", {"Phone": "5511912345678", "Latitude": 1.5}, 400, "missing Longitude in Payload"),
        ("location", {"Phone": "5511912345678", "Latitude": "north", "Longitude": 1.5}, 400,
         "could not decode Payload"),
    ]
    for kind, body, status, text in cases:
        assert_error(http.post(f"/chat/send/{kind}", headers=h, json=body), status, text)
    assert_error(http.post("/chat/send/text", headers=h, content=b"[1]"), 400, "could not decode Payload")
    reply = assert_ok(http.post("/chat/send/text", headers=h,
                                json={"Phone": "+5511912345678", "Body": "re", "Id": "3EB0000000000000000001",
                                      "ContextInfo": {"StanzaID": sent["Id"], "Participant": "5511912345678@s.whatsapp.net"}}))
    assert reply["Id"] == "3EB0000000000000000001"

    assert assert_ok(http.post("/chat/markread", headers=h, json={"Id": [sent["Id"]], "Chat": "5511912345678"})) == {
        "Details": "Message(s) marked as read"}
    assert_error(http.post("/chat/markread", headers=h, json={"ChatPhone": "5511912345678"}), 400,
                 "missing Id in Payload")
    users = assert_ok(http.post("/user/check", headers=h, json={"Phone": ["+5511912345678"]}))["Users"]
    assert users == [{"Query": "+5511912345678", "IsInWhatsapp": True, "JID": "5511912345678@s.whatsapp.net",
                      "VerifiedName": ""}]
    assert_error(http.post("/user/check", headers=h, json={}), 400, "missing Phone in Payload")


def test_webhook_and_hmac_config(wuz) -> None:  # type: ignore[no-untyped-def]
    http, sandbox = wuz
    new_user(http, sandbox, "tok")
    h = {"token": "tok"}
    assert assert_ok(http.get("/webhook", headers=h)) == {"webhook": "", "subscribe": [""]}
    assert assert_ok(http.post("/webhook", headers=h, json={"webhookURL": "http://x/h"})) == {"webhook": "http://x/h"}
    assert assert_ok(http.post("/webhook", headers=h, json={"webhookurl": "http://x/h", "events": ["Message", "QR"]}))
    assert assert_ok(http.get("/webhook", headers=h)) == {"webhook": "http://x/h", "subscribe": ["Message", "QR"]}
    assert_error(http.post("/webhook", headers=h, content=b"nope"), 400, "could not decode payload")
    assert assert_ok(http.put("/webhook", headers=h, json={"webhook": "http://y/h", "events": ["All"],
                                                           "active": True})) == {
        "webhook": "http://y/h", "events": ["All"], "active": True}
    assert assert_ok(http.put("/webhook", headers=h, json={"webhook": "http://z/h", "events": ["All"]}))[
        "active"] is False
    assert assert_ok(http.get("/webhook", headers=h)) == {"webhook": "", "subscribe": [""]}  # missing active clears
    assert assert_ok(http.delete("/webhook", headers=h)) == {"Details": "Webhook and events deleted successfully"}

    def raw(reply: httpx.Response) -> Any:
        assert reply.status_code == 200 and reply.headers["content-type"] == "application/json; charset=utf-8"
        return reply.json()

    assert raw(http.get("/session/hmac/config", headers=h)) == {"hmac_key": ""}
    assert raw(http.post("/session/hmac/config", headers=h, json={"hmac_key": "k" * 32})) == {
        "Details": "HMAC configuration saved successfully"}
    assert raw(http.get("/session/hmac/config", headers=h)) == {"hmac_key": "***"}
    assert_error(http.post("/session/hmac/config", headers=h, json={"hmac_key": "short"}), 400,
                 "HMAC key must be at least 32 characters long")
    assert_error(http.post("/session/hmac/config", headers=h, content=b"{"), 400, "could not decode payload")
    assert raw(http.delete("/session/hmac/config", headers=h)) == {"Details": "HMAC configuration deleted successfully"}
    assert raw(http.get("/session/hmac/config", headers=h)) == {"hmac_key": ""}
    http.post("/session/hmac/config", headers=h, json={"hmac_key": "s" * 40})
    stored = sandbox.user_by_token("tok")
    assert stored is not None and "s" * 40 not in stored.hmac_key  # encrypted at rest


def test_plain_delete_removes_only_the_row_and_the_live_session_stays(wuz, receiver) -> None:  # type: ignore[no-untyped-def]
    http, sandbox = wuz
    user = new_user(http, sandbox, "tok", webhook=receiver.url, events="Message")
    h = {"token": "tok"}
    http.post("/session/connect", headers=h, json={"Subscribe": ["Message"], "Immediate": True})
    link(http, "tok", "5511944440000")
    assert http.delete(f"/admin/users/{user['id']}", headers=admin(sandbox)).status_code == 200

    assert assert_ok(http.get("/admin/users", headers=admin(sandbox))) == []
    assert assert_ok(http.get(f"/admin/users/{user['id']}", headers=admin(sandbox))) == []
    assert http.delete(f"/admin/users/{user['id']}/full", headers=admin(sandbox)).status_code == 404
    # WuzAPI keeps the client (and its cached token) running until a restart.
    status = assert_ok(http.get("/session/status", headers=h))
    assert status["connected"] and status["loggedIn"]
    assert assert_ok(http.post("/chat/send/text", headers=h, json={"Phone": "5511912345678", "Body": "still"}))
    control = {"Authorization": sandbox.config.admin_token}
    http.post("/sandbox/control/inbound", headers=control,
              json={"token": "tok", "from": "5511912345678", "text": "still here"}).raise_for_status()
    assert b"still+here" in receiver.wait_for(1)[0].body  # form-encoded
    assert http.get("/health").json()["total_users"] == 0

    restarted = type(sandbox)(sandbox.config)  # a new process on the same file: the session is gone
    assert restarted.user_by_token("tok") is None and restarted.sessions() == []
    restarted.store.close()


def test_webhook_config_drops_unknown_event_names(wuz) -> None:  # type: ignore[no-untyped-def]
    http, sandbox = wuz
    new_user(http, sandbox, "tok")
    h = {"token": "tok"}
    assert_ok(http.post("/webhook", headers=h, json={"webhookurl": "http://x/h", "events": ["Message", "Bogus"]}))
    assert assert_ok(http.get("/webhook", headers=h)) == {"webhook": "http://x/h", "subscribe": ["Message"]}
    assert_ok(http.post("/webhook", headers=h, json={"webhookurl": "http://x/h", "events": ["Nope"]}))
    assert assert_ok(http.get("/webhook", headers=h)) == {"webhook": "http://x/h", "subscribe": [""]}
    updated = assert_ok(http.put("/webhook", headers=h, json={"webhook": "http://y/h", "events": ["QR", "Junk"],
                                                              "active": True}))
    assert updated == {"webhook": "http://y/h", "events": ["QR"], "active": True}
    assert assert_ok(http.get("/webhook", headers=h)) == {"webhook": "http://y/h", "subscribe": ["QR"]}
    # No events given: only the URL changes.
    assert_ok(http.put("/webhook", headers=h, json={"webhook": "http://z/h", "active": True}))
    assert assert_ok(http.get("/webhook", headers=h)) == {"webhook": "http://z/h", "subscribe": ["QR"]}


def test_media_data_urls_follow_each_handlers_rules(wuz) -> None:  # type: ignore[no-untyped-def]
    http, sandbox = wuz
    new_user(http, sandbox, "tok")
    h = {"token": "tok"}
    http.post("/session/connect", headers=h, json={"Immediate": True})
    link(http, "tok")
    to = {"Phone": "5511912345678"}
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("image", {"Image": "AAAA"}, 'Image data should start with "data:image/png;base64,"'),
        ("image", {"Image": "data:image/png;base64,@@@"}, "could not decode base64 encoded data from payload"),
        ("audio", {"Audio": "data:video/mp4;base64,AAAA"}, "audio must be base64 (data:audio/) or valid HTTP URL"),
        ("audio", {"Audio": "ftp://host/a.ogg"}, "audio must be base64 (data:audio/) or valid HTTP URL"),
        ("audio", {"Audio": "data:audio/ogg;base64,***"}, "could not decode base64 encoded data"),
        ("video", {"Video": "clip.mp4"}, 'data should start with "data:mime/type;base64,"'),
        ("video", {"Video": "data:video/mp4;base64,%%%"}, "could not decode base64 encoded data from payload"),
        ("document", {"Document": "JVBERi0=", "FileName": "a.pdf"},
         'document data should start with "data:" or be a valid HTTP URL'),
        ("document", {"Document": "data:application/pdf;base64,!", "FileName": "a.pdf"},
         "could not decode base64 encoded data from payload"),
    ]
    for kind, body, text in cases:
        assert_error(http.post(f"/chat/send/{kind}", headers=h, json={**to, **body}), 400, text)
    # What each accepts: any data: type for a document or a video, percent-encoded data URLs too.
    accepted = [
        ("document", {"Document": "data:text/plain,hello%20world", "FileName": "a.txt"}, 11),
        ("video", {"Video": "data:application/octet-stream;base64,AAECAw=="}, 4),
        ("audio", {"Audio": "data:audio/ogg;codecs=opus;base64,T2dnUw=="}, 4),
        ("image", {"Image": "data:image/jpeg;base64," + "A" * 400}, 300),
    ]
    for kind, body, size in accepted:
        sent = assert_ok(http.post(f"/chat/send/{kind}", headers=h, json={**to, **body}))
        stored = sandbox.store.message(sent["Id"], "out")
        assert stored is not None and stored.content["size"] == size, kind  # decoded bytes, not the URL's length
