"""WuzAPI/whatsmeow wire details: ids, JIDs, QR codes, pairing codes and event payloads
(../shared/wuzapi-contract.md §1, §4, §6)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import mimetypes
import secrets
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import qrcode

PAIRING_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"
USER_SERVER = "s.whatsapp.net"

VALID_EVENTS = frozenset(
    """Message UndecryptableMessage Receipt MediaRetry ReadReceipt GroupInfo JoinedGroup Picture
    BlocklistChange Blocklist Connected Disconnected ConnectFailure KeepAliveRestored KeepAliveTimeout
    QRTimeout LoggedOut ClientOutdated TemporaryBan StreamError StreamReplaced PairSuccess PairError QR
    QRScannedWithoutMultidevice PrivacySettings PushNameSetting UserAbout AppState AppStateSyncComplete
    HistorySync OfflineSyncCompleted OfflineSyncPreview LabelEdit LabelAssociationChat
    LabelAssociationMessage CallOffer CallAccept CallTerminate CallOfferNotice CallRelayLatency Presence
    ChatPresence IdentityChange CATRefreshError NewsletterJoin NewsletterLeave NewsletterMuteChange
    NewsletterLiveUpdate FBMessage All""".split()
)


def new_message_id() -> str:
    """whatsmeow's GenerateMessageID shape: 3EB0 + 18 uppercase hex."""
    return "3EB0" + secrets.token_hex(9).upper()


def new_pairing_code() -> str:
    chars = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def parse_jid(value: str) -> str | None:
    """WuzAPI's parseJID: one leading + dropped, bare values get @s.whatsapp.net; None if unparsable."""
    if not value:
        return None
    if value[0] == "+":
        value = value[1:]
    if "@" not in value:
        return f"{value}@{USER_SERVER}"
    user, _, server = value.partition("@")
    if not user or not server or "@" in server:
        return None
    if ":" in user and not user.split(":", 1)[1].isdigit():
        return None
    return value


def jid_user(jid: str) -> str:
    """`5511…:12@s.whatsapp.net` → `5511…`."""
    return jid.split("@", 1)[0].split(":", 1)[0]


def go_time(unix: float) -> str:
    """RFC 3339 like Go's time.Time JSON (UTC here)."""
    return datetime.fromtimestamp(int(unix), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- QR codes -----------------------------------------------------------------------------

def qr_payload(seed: str, index: int) -> str:
    """The string a phone scans: whatsmeow's `ref,noiseKey,identityKey,advSecret` shape. It is
    derived from (seed, index), so rotation needs no stored state and survives a restart."""
    parts = [hmac.new(seed.encode(), f"{label}:{index}".encode(), hashlib.sha256).digest()
             for label in ("ref", "noise", "identity", "adv")]
    ref = "2@" + base64.b64encode(parts[0] + parts[0][:12]).decode()
    return ",".join([ref, *(base64.b64encode(p).decode() for p in parts[1:])])


@lru_cache(maxsize=256)
def qr_data_url(payload: str) -> str:
    image = qrcode.make(payload, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


# --- events (whatsmeow JSON shapes) --------------------------------------------------------

def connected_event() -> dict[str, Any]:
    return {"type": "Connected", "event": {}}


def disconnected_event() -> dict[str, Any]:
    return {"type": "Disconnected", "event": {}}


# whatsmeow's ConnectFailureReason when the phone removes the linked device (events.LoggedOut).
LOGGED_OUT_REASON = 401


def logged_out_event(*, on_connect: bool = False) -> dict[str, Any]:
    return {"type": "LoggedOut", "event": {"OnConnect": on_connect, "Reason": LOGGED_OUT_REASON}}


def qr_event(data_url: str) -> dict[str, Any]:
    return {"type": "QR", "event": "code", "qrCodeBase64": data_url}


def pair_success_event(jid: str, lid: str) -> dict[str, Any]:
    return {"type": "PairSuccess", "event": {"ID": jid, "LID": lid, "BusinessName": "", "Platform": "android"}}


def read_receipt_event(*, chat: str, message_ids: list[str], state: str, unix: float) -> dict[str, Any]:
    return {
        "type": "ReadReceipt",
        "state": state,
        "event": {
            "Chat": chat, "Sender": chat, "IsFromMe": False, "IsGroup": False, "AddressingMode": "",
            "SenderAlt": "", "RecipientAlt": "", "BroadcastListOwner": "", "BroadcastRecipients": None,
            "MessageIDs": message_ids, "Timestamp": go_time(unix),
            "Type": "read" if state == "Read" else "", "MessageSender": "",
        },
    }


MEDIA_KINDS = {"image": "imageMessage", "document": "documentMessage", "audio": "audioMessage"}


def message_event(
    *,
    message_id: str,
    sender: str,
    push_name: str,
    unix: float,
    text: str = "",
    reply_to: str = "",
    media_kind: str = "",
    media: bytes = b"",
    mime_type: str = "",
    file_name: str = "",
) -> dict[str, Any]:
    """An inbound Message event from `sender` (a JID) to the linked number."""
    body: dict[str, Any]
    if media_kind:
        body = {MEDIA_KINDS[media_kind]: _media_message(media_kind, media, mime_type, text, file_name, unix)}
    elif reply_to or "://" in text:
        context = {"stanzaID": reply_to, "participant": sender} if reply_to else {}
        body = {"extendedTextMessage": {"text": text, "contextInfo": context} if context else {"text": text}}
    else:
        body = {"conversation": text}
    event: dict[str, Any] = {
        "type": "Message",
        "event": {
            "Info": {
                "Chat": sender, "Sender": sender, "IsFromMe": False, "IsGroup": False, "AddressingMode": "",
                "SenderAlt": "", "RecipientAlt": "", "BroadcastListOwner": "", "BroadcastRecipients": None,
                "ID": message_id, "ServerID": 0, "Type": "media" if media_kind else "text",
                "PushName": push_name, "Timestamp": go_time(unix), "Category": "", "Multicast": False,
                "MediaType": media_kind if media_kind != "audio" else "ptt", "Edit": "",
                "VerifiedName": None, "DeviceSentMeta": None,
            },
            "Message": body,
            "IsEphemeral": False, "IsViewOnce": False, "IsViewOnceV2": False, "IsViewOnceV2Extension": False,
            "IsDocumentWithCaption": False, "IsLottieSticker": False, "IsBotInvoke": False, "IsEdit": False,
            "SourceWebMsg": None, "UnavailableRequestID": "", "RetryCount": 0, "NewsletterMeta": None,
            "RawMessage": body,
        },
    }
    if media_kind:
        extension = mimetypes.guess_extension(mime_type.split(";")[0].strip()) or ""
        event["base64"] = base64.b64encode(media).decode()
        event["mimeType"] = mime_type
        event["fileName"] = f"{message_id}{extension}"
    return event


def _media_message(kind: str, data: bytes, mime_type: str, caption: str, file_name: str,
                   unix: float) -> dict[str, Any]:
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    fields: dict[str, Any] = {
        "URL": f"https://mmg.whatsapp.net/v/t62.7118-24/{secrets.token_hex(8)}.enc",
        "mimetype": mime_type, "fileSHA256": digest, "fileLength": len(data),
        "mediaKey": base64.b64encode(secrets.token_bytes(32)).decode(),
        "fileEncSHA256": base64.b64encode(secrets.token_bytes(32)).decode(),
        "directPath": f"/v/t62.7118-24/{secrets.token_hex(8)}.enc", "mediaKeyTimestamp": int(unix),
    }
    if kind == "audio":
        fields.update(seconds=max(1, len(data) // 4000), PTT=True)
    else:
        fields["caption"] = caption
    if kind == "document":
        fields.update(fileName=file_name, title=file_name)
    return fields
