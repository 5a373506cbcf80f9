"""Webhook delivery to a local receiver: form and JSON bodies shaped like WuzAPI's, HMAC
verifiable with plain hmac over the raw body, event filtering, and the retry schedule."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qs

import httpx

from livchat.sandbox.app import standalone_app
from livchat.sandbox.engine import Sandbox
from livchat.sandbox.store import User
from livchat.sandbox.testing import serve_in_thread

HMAC_KEY = "a-webhook-signing-key-of-32-chars!!"


def signed(received: Any, key: str = HMAC_KEY) -> bool:
    expected = hmac.new(key.encode(), received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received.headers.get("x-hmac-signature", ""))


def form_event(received: Any) -> dict[str, Any]:
    assert received.headers["content-type"] == "application/x-www-form-urlencoded"
    fields = parse_qs(received.body.decode(), strict_parsing=True)
    assert list(fields) == ["instanceName", "jsonData", "userID"]  # Go encodes keys sorted
    return {**json.loads(fields["jsonData"][0]), "_user": fields["userID"][0], "_name": fields["instanceName"][0]}


def new_linked_user(sandbox: Sandbox, webhook: str, events: str = "All", key: str = HMAC_KEY) -> User:
    user = sandbox.create_user({"name": "shop", "token": "tok", "webhook": webhook, "events": events, "hmackey": key})
    user = sandbox.connect(user, events.split(","))
    sandbox.link(qr=sandbox.view(user).qr, phone="5511988887777")
    linked = sandbox.user(user.id)
    assert linked is not None and sandbox.is_logged_in(linked)
    return linked


def test_form_deliveries_over_http_in_order_and_signed(make_sandbox, receiver) -> None:  # type: ignore[no-untyped-def]
    sandbox = make_sandbox()
    with serve_in_thread(standalone_app(sandbox)) as base, httpx.Client(base_url=base) as http:
        admin = {"Authorization": sandbox.config.admin_token}  # /admin and the control API
        user_id = http.post("/admin/users", headers=admin, json={
            "name": "Shop", "token": "tok", "webhook": receiver.url, "events": "All", "hmacKey": HMAC_KEY,
        }).json()["data"]["id"]
        http.post("/session/connect", headers={"token": "tok"}, json={"Subscribe": ["All"], "Immediate": True})
        qr = http.get("/session/qr", headers={"token": "tok"}).json()["data"]["QRCode"]
        payload = http.get("/sandbox/control/sessions", headers=admin).json()["sessions"][0]["qr"]
        http.post("/sandbox/control/link", headers=admin,
                  json={"qr": payload, "phone": "5511988887777"}).raise_for_status()
        inbound = http.post("/sandbox/control/inbound", headers=admin,
                            json={"phone": "5511988887777", "from": "5511912345678", "text": "hello"}).json()
        sent = http.post("/chat/send/text", headers={"token": "tok"},
                         json={"Phone": "5511912345678", "Body": "hi"}).json()["data"]
        for state in ("Delivered", "Read"):
            http.post("/sandbox/control/receipt", headers=admin,
                      json={"messageId": sent["Id"], "state": state}).raise_for_status()
        http.post("/sandbox/control/disconnect", headers=admin, json={"token": "tok"}).raise_for_status()
        received = receiver.wait_for(7)

    assert all(signed(r) for r in received)
    events = [form_event(r) for r in received]
    assert [e["type"] for e in events] == ["QR", "PairSuccess", "Connected", "Message", "ReadReceipt", "ReadReceipt",
                                           "Disconnected"]
    assert all((e["_user"], e["_name"]) == (user_id, "Shop") for e in events)
    assert events[0] == {**events[0], "event": "code", "qrCodeBase64": qr}
    pair = events[1]["event"]
    assert pair["ID"].startswith("5511988887777:") and pair["ID"].endswith("@s.whatsapp.net")
    assert pair["LID"].endswith("@lid")
    assert events[2]["event"] == {}
    message = events[3]["event"]
    assert message["Message"] == {"conversation": "hello"} and message["RawMessage"] == message["Message"]
    info = message["Info"]
    assert (info["ID"], info["Chat"], info["Sender"], info["IsFromMe"], info["IsGroup"], info["Type"]) == (
        inbound["id"], "5511912345678@s.whatsapp.net", "5511912345678@s.whatsapp.net", False, False, "text")
    assert info["Timestamp"].endswith("Z") and "T" in info["Timestamp"]
    delivered, read = events[4], events[5]
    assert (delivered["state"], delivered["event"]["Type"], delivered["event"]["MessageIDs"]) == (
        "Delivered", "", [sent["Id"]])
    assert (read["state"], read["event"]["Type"], read["event"]["Chat"]) == (
        "Read", "read", "5511912345678@s.whatsapp.net")
    outbox = sandbox.outbox(sandbox.find_session(token="tok"))
    assert outbox[0].status == "read"


async def test_json_format_media_and_filtering(make_sandbox, receiver) -> None:  # type: ignore[no-untyped-def]
    sandbox = make_sandbox(webhook_format="json")
    user = new_linked_user(sandbox, receiver.url, events="Message")
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAIAAAUAAeIhvDMAAAAASUVORK5CYII=")
    image_id = sandbox.inbound(user, sender="+55 11 91234-5678", media_type="image",
                               media_base64=base64.b64encode(png).decode(), mime_type="image/png", text="look")
    doc_id = sandbox.inbound(user, sender="5511912345678", media_type="document",
                             media_base64="data:application/pdf;base64," + base64.b64encode(b"%PDF-1.4").decode(),
                             mime_type="application/pdf", file_name="invoice.pdf")
    audio_id = sandbox.inbound(user, sender="5511912345678", media_type="audio", media_base64="T2dnUw==")
    link_id = sandbox.inbound(user, sender="5511912345678", text="see https://example.com")
    sandbox.phone_disconnect(user)  # Disconnected is not subscribed: filtered out
    await sandbox.webhooks.drain()

    received = receiver.requests
    assert len(received) == 4 and all(signed(r) for r in received)
    assert all(r.headers["content-type"] == "application/json" for r in received)
    bodies = [json.loads(r.body) for r in received]
    assert [b["type"] for b in bodies] == ["Message"] * 4  # QR, PairSuccess, Connected, Disconnected filtered
    assert all(b["userID"] == user.id and b["instanceName"] == "shop" for b in bodies)
    assert received[0].body == json.dumps(bodies[0], sort_keys=True, separators=(",", ":")).encode()

    image, document, audio, link = bodies
    assert image["base64"] == base64.b64encode(png).decode() and image["mimeType"] == "image/png"
    assert image["fileName"] == f"{image_id}.png"
    assert image["event"]["Info"]["Type"] == "media" and image["event"]["Info"]["MediaType"] == "image"
    image_message = image["event"]["Message"]["imageMessage"]
    assert (image_message["mimetype"], image_message["caption"], image_message["fileLength"]) == (
        "image/png", "look", len(png))
    assert image_message["fileSHA256"] == base64.b64encode(hashlib.sha256(png).digest()).decode()
    assert document["event"]["Message"]["documentMessage"]["fileName"] == "invoice.pdf"
    assert base64.b64decode(document["base64"]) == b"%PDF-1.4" and document["fileName"] == f"{doc_id}.pdf"
    assert audio["event"]["Message"]["audioMessage"]["PTT"] is True
    assert audio["mimeType"].startswith("audio/ogg") and audio["fileName"].startswith(audio_id)
    assert link["event"]["Message"] == {"extendedTextMessage": {"text": "see https://example.com"}}
    assert link["event"]["Info"]["ID"] == link_id


async def test_no_key_means_no_signature_and_no_webhook_means_no_delivery(make_sandbox, receiver) -> None:  # type: ignore[no-untyped-def]
    sandbox = make_sandbox()
    user = new_linked_user(sandbox, receiver.url, key="")
    silent = sandbox.create_user({"name": "quiet", "token": "tok2", "events": "All"})
    sandbox.connect(silent, ["All"])
    await sandbox.webhooks.drain()
    assert [form_event(r)["type"] for r in receiver.requests] == ["QR", "PairSuccess", "Connected"]
    assert all("x-hmac-signature" not in r.headers for r in receiver.requests)
    assert all(form_event(r)["_user"] == user.id for r in receiver.requests)


async def test_retries_until_the_receiver_accepts(make_sandbox, receiver) -> None:  # type: ignore[no-untyped-def]
    receiver.fail_first = 2
    sandbox = make_sandbox()
    user = sandbox.create_user({"name": "shop", "token": "tok", "webhook": receiver.url, "events": "QR"})
    sandbox.connect(user, ["QR"])
    await sandbox.webhooks.drain()
    assert receiver.attempts == 3
    assert [form_event(r)["type"] for r in receiver.requests] == ["QR"]


async def test_gives_up_after_five_attempts_with_doubling_waits(make_sandbox, receiver) -> None:  # type: ignore[no-untyped-def]
    receiver.fail_first = 1000
    sandbox = make_sandbox(retry_delay_s=0.05)
    user = sandbox.create_user({"name": "shop", "token": "tok", "webhook": receiver.url, "events": "QR"})
    sandbox.connect(user, ["QR"])
    await sandbox.webhooks.drain()
    assert receiver.attempts == 5 and receiver.requests == []
    gaps = [later - earlier for earlier, later in zip(receiver.attempt_times, receiver.attempt_times[1:], strict=False)]
    # WuzAPI waits 30/60/120/240 s; here the base delay is 0.05 s, so at least 0.05/0.1/0.2/0.4 s.
    assert all(gap >= expected for gap, expected in zip(gaps, [0.05, 0.1, 0.2, 0.4], strict=True)), gaps
