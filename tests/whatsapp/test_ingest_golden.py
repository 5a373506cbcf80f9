"""Golden WuzAPI webhook bodies, written by hand from the contract (../shared/wuzapi-contract.md
§6: whatsmeow's JSON shapes, Go's encodings) — not with the sandbox's encoder, so a mistake the
sandbox and our ingest share cannot pass unnoticed. Both transports: the default form body
(`instanceName`, `jsonData`, `userID`, keys sorted) and WEBHOOK_FORMAT=json (the inner map with
`userID`/`instanceName` at the top level); signed as WuzAPI signs, over the exact bytes."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
from sqlmodel import select

from livchat.core.db import db
from livchat.models.whatsapp import Message
from livchat.services.whatsapp import media
from tests.factories import make_org, sent_message
from tests.whatsapp.test_ingest_hooks import KEY, add_instance

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00golden"

# whatsmeow's events.Message as WuzAPI marshals it: Info (types.MessageInfo), Message (waE2E proto
# field names), the flags, RawMessage. Timestamps in the server's TZ (-03:00 here).
TEXT = """{"event":{"Info":{"Chat":"5511912345678@s.whatsapp.net","Sender":"5511912345678@s.whatsapp.net",\
"IsFromMe":false,"IsGroup":false,"AddressingMode":"","SenderAlt":"","RecipientAlt":"","BroadcastListOwner":"",\
"BroadcastRecipients":null,"ID":"3EB0C0FFEE0000000000A1","ServerID":0,"Type":"text","PushName":"Ana Souza",\
"Timestamp":"2025-05-08T16:40:01-03:00","Category":"","Multicast":false,"MediaType":"","Edit":"",\
"VerifiedName":null,"DeviceSentMeta":null},"Message":{"conversation":"Olá, tudo bem? 100% & ok"},\
"IsEphemeral":false,"IsViewOnce":false,"IsViewOnceV2":false,"IsViewOnceV2Extension":false,\
"IsDocumentWithCaption":false,"IsLottieSticker":false,"IsBotInvoke":false,"IsEdit":false,"SourceWebMsg":null,\
"UnavailableRequestID":"","RetryCount":0,"NewsletterMeta":null,"RawMessage":{"conversation":"Olá, tudo bem? 100% & ok"}},\
"type":"Message"}"""

REPLY_FROM_LID = """{"event":{"Info":{"Chat":"123456789012345@lid","Sender":"123456789012345@lid",\
"IsFromMe":false,"IsGroup":false,"AddressingMode":"lid","SenderAlt":"5521998765432@s.whatsapp.net",\
"RecipientAlt":"","ID":"3EB0C0FFEE0000000000B2","Type":"text","PushName":"Bia",\
"Timestamp":"2025-05-08T16:41:00-03:00","Category":"","MediaType":"","Edit":"","VerifiedName":null,\
"DeviceSentMeta":null},"Message":{"extendedTextMessage":{"text":"sim, pode enviar",\
"contextInfo":{"stanzaID":"3EB0OURMESSAGE00000001","participant":"5511988887777@s.whatsapp.net",\
"quotedMessage":{"conversation":"Posso enviar o boleto?"}}}},"IsEphemeral":false,"IsViewOnce":false,\
"IsEdit":false,"SourceWebMsg":null,"RetryCount":0,"RawMessage":{}},"instanceName":"Shop","type":"Message",\
"userID":"%USER%"}"""

IMAGE = """{"base64":"%B64%","event":{"Info":{"Chat":"5511912345678@s.whatsapp.net",\
"Sender":"5511912345678@s.whatsapp.net","IsFromMe":false,"IsGroup":false,"ID":"3EB0C0FFEE0000000000C3",\
"Type":"media","PushName":"Ana Souza","Timestamp":"2025-05-08T16:42:30-03:00","Category":"","MediaType":"image",\
"Edit":"","VerifiedName":null,"DeviceSentMeta":null},"Message":{"imageMessage":{\
"URL":"https://mmg.whatsapp.net/v/t62.7118-24/1.enc","mimetype":"image/jpeg","caption":"o produto",\
"fileSHA256":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=","fileLength":%LEN%,\
"mediaKey":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","fileEncSHA256":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",\
"directPath":"/v/t62.7118-24/1.enc","mediaKeyTimestamp":1746733350,"JPEGThumbnail":"/9j/4AAQ"}},\
"IsEphemeral":false,"IsViewOnce":false,"IsEdit":false,"RawMessage":{}},"fileName":"3EB0C0FFEE0000000000C3.jpg",\
"instanceName":"Shop","mimeType":"image/jpeg","type":"Message","userID":"%USER%"}"""

TYPED_ON_THE_PHONE = """{"event":{"Info":{"Chat":"5511912345678@s.whatsapp.net",\
"Sender":"5511988887777:12@s.whatsapp.net","IsFromMe":true,"IsGroup":false,"ID":"3EB0C0FFEE0000000000D4",\
"Type":"text","PushName":"","Timestamp":"2025-05-08T16:43:00-03:00","Category":"","MediaType":"","Edit":""},\
"Message":{"conversation":"respondi pelo celular"},"IsEdit":false,"RawMessage":{}},"type":"Message"}"""

RECEIPT = """{"event":{"Chat":"5511912345678@s.whatsapp.net","Sender":"5511912345678@s.whatsapp.net",\
"IsFromMe":false,"IsGroup":false,"AddressingMode":"","SenderAlt":"","RecipientAlt":"","BroadcastListOwner":"",\
"BroadcastRecipients":null,"MessageIDs":["3EB0OURMESSAGE00000001"],"Timestamp":"2025-05-08T16:44:00-03:00",\
"Type":"%TYPE%","MessageSender":""},"state":"%STATE%","type":"ReadReceipt"}"""


def form_body(json_data: str, user_id: str, instance_name: str = "Shop") -> bytes:
    """Go's url.Values{...}.Encode(): keys sorted, values query-escaped (space as '+')."""
    return (f"instanceName={quote_plus(instance_name)}&jsonData={quote_plus(json_data)}"
            f"&userID={quote_plus(user_id)}").encode()


def headers(body: bytes, content_type: str) -> dict[str, str]:
    return {"Content-Type": content_type,
            "x-hmac-signature": hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()}


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


async def deliver(api: httpx.AsyncClient, instance_id: str, body: bytes, content_type: str) -> dict[str, Any]:
    response = await api.post(f"/api/hooks/wuzapi/{instance_id}", content=body, headers=headers(body, content_type))
    assert response.status_code == 200, response.text
    return response.json()


async def row(instance_id: str, wamid: str) -> Message:
    async with db.session() as s:
        return (await s.exec(select(Message).where(Message.instance_id == instance_id,
                                                   Message.whatsapp_message_id == wamid))).one()


async def test_golden_messages_in_both_formats_store_what_whatsapp_sent(api, session) -> None:
    org = await make_org(session)
    instance = await add_instance(session, org)
    user = instance.wuzapi_user_id or ""

    assert (await deliver(api, instance.id, form_body(TEXT, user), FORM))["stored"] is True
    text = await row(instance.id, "3EB0C0FFEE0000000000A1")
    assert (text.direction, text.type, text.text, text.push_name, text.phone) == (
        "inbound", "text", "Olá, tudo bem? 100% & ok", "Ana Souza", "5511912345678")
    assert text.sent_at == datetime(2025, 5, 8, 19, 40, 1, tzinfo=UTC)  # -03:00 read as such

    reply = REPLY_FROM_LID.replace("%USER%", user).encode()
    assert (await deliver(api, instance.id, reply, JSON))["stored"] is True
    lid = await row(instance.id, "3EB0C0FFEE0000000000B2")
    assert (lid.text, lid.reply_to, lid.phone, lid.chat_jid) == (
        "sim, pode enviar", "3EB0OURMESSAGE00000001", "5521998765432", "123456789012345@lid")

    image = (IMAGE.replace("%USER%", user).replace("%B64%", base64.b64encode(JPEG).decode())
             .replace("%LEN%", str(len(JPEG)))).encode()
    assert (await deliver(api, instance.id, image, JSON))["stored"] is True
    picture = await row(instance.id, "3EB0C0FFEE0000000000C3")
    assert (picture.type, picture.caption, picture.media_mime, picture.media_size) == (
        "image", "o produto", "image/jpeg", len(JPEG))
    assert media.media_path(org, picture.id).read_bytes() == JPEG

    assert (await deliver(api, instance.id, form_body(TYPED_ON_THE_PHONE, user), FORM))["stored"] is True
    mine = await row(instance.id, "3EB0C0FFEE0000000000D4")
    assert (mine.direction, mine.status, mine.phone, mine.push_name) == (
        "outbound", "sent", "5511912345678", None)


@pytest.mark.parametrize("content_type", [FORM, JSON])
async def test_golden_receipts_move_our_message_to_delivered_then_read(api, session, content_type: str) -> None:
    org = await make_org(session)
    instance = await add_instance(session, org)
    ours = sent_message(instance, "3EB0OURMESSAGE00000001", text="boleto")
    session.add(ours)
    await session.commit()
    for state, kind, expected in [("Delivered", "", "delivered"), ("Read", "read", "read"),
                                  ("ReadSelf", "read-self", "read")]:
        inner = RECEIPT.replace("%STATE%", state).replace("%TYPE%", kind)
        if content_type == FORM:
            body = form_body(inner, instance.wuzapi_user_id or "")
        else:  # the inner map plus userID and instanceName, still one compact JSON object
            body = (inner[:-1] + f',"instanceName":"Shop","userID":"{instance.wuzapi_user_id}"}}').encode()
        await deliver(api, instance.id, body, content_type)
        assert (await row(instance.id, "3EB0OURMESSAGE00000001")).status == expected, state
