"""Async client for WuzAPI's HTTP API (../shared/wuzapi-contract.md, CURRENT version).

One pooled aiohttp session per client (per base URL and event loop). User routes authenticate with
the `token` header, admin routes with the raw `Authorization` header. aiohttp, not httpx as for our
other outbound calls: every send goes through here, often 50 at once, and measured against the
sandbox with 50 in flight httpx cost 4.1 ms of CPU per request (its pool scans every connection on
each request), aiohttp 0.12 ms (issue 15). Errors become typed exceptions; sends are never
retried. Transport failures say what they mean for a send: `NotSent` (connect/pool phase:
nothing reached WuzAPI) or `OutcomeUnknown` (`GatewayTimeout`, `ConnectionLost`: the request
was written, the message may have gone out — the caller decides, with the message id).
"""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass, field
from typing import Any

import aiohttp

DEFAULT_TIMEOUT_SECONDS = 15.0  # waiting for a pooled connection, and for each read of the answer
DEFAULT_CONNECT_SECONDS = 5.0
# Connecting with Immediate=false makes WuzAPI sleep 10 s: always send true.
SUBSCRIBE_ALL = ["All"]


# --- errors -------------------------------------------------------------------------------

class WuzapiError(Exception):
    """Any failure talking to WuzAPI. `status` and `message` are what it answered, if anything."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Unauthorized(WuzapiError):
    """Bad user token or admin token (401)."""


class NoSession(WuzapiError):
    """No client for this user: never connected, or disconnected (500 `no session`)."""


class NotConnected(WuzapiError):
    """The socket is down, or the device is not paired (`not connected`, unpaired send)."""


class AlreadyConnected(WuzapiError):
    """`POST /session/connect` while the socket is up (500 `already connected`)."""


class AlreadyLoggedIn(WuzapiError):
    """QR asked for a session that is already paired (500 `already logged in`)."""


class AlreadyPaired(WuzapiError):
    """Pairing code asked for a paired session (400 `already paired`)."""


class BadPhone(WuzapiError):
    """WuzAPI could not parse the phone or JID (400 `could not parse Phone`)."""


class BadRequest(WuzapiError):
    """Any other 4xx: missing field, undecodable payload, invalid event, …"""


class SendRejected(BadRequest):
    """A send WuzAPI refused as invalid (4xx), e.g. `failed to fetch image from url: …`: not sent."""


class NotFound(WuzapiError):
    """Admin: no such user (404)."""


class GatewayUnavailable(WuzapiError):
    """WuzAPI answered something we cannot use: a 5xx without a known meaning, or a non-JSON reply."""


class NotSent(GatewayUnavailable):
    """The request never reached WuzAPI (connection refused, DNS failure, connect or pool timeout):
    nothing happened there, so even a send may be retried."""


class OutcomeUnknown(WuzapiError):
    """The request was written (or partly) but no answer came back: a send may or may not have gone
    out. Never retry it blindly; match it later by its message id."""


class GatewayTimeout(OutcomeUnknown):
    """No answer in time after the request was sent (read or write timeout)."""


class ConnectionLost(OutcomeUnknown):
    """The connection broke after the request was sent (read/write error, closed without a reply)."""


# aiohttp's errors by what they say about the request: never sent (no connection: refused, DNS,
# connect timeout, no pooled connection free in time, a URL it cannot use), or maybe processed.
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.InvalidURL)
_TIMED_OUT = (aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError, TimeoutError)


_ERROR_TEXTS: list[tuple[str, type[WuzapiError]]] = [
    ("unauthorized", Unauthorized),
    ("no session", NoSession),
    ("already connected", AlreadyConnected),
    ("already logged in", AlreadyLoggedIn),
    ("already paired", AlreadyPaired),
    ("could not parse phone", BadPhone),
    ("not connected", NotConnected),
    ("doesn't contain a device jid", NotConnected),
    ("not logged in", NotConnected),
    ("user not found", NotFound),
]


def _error_for(status: int, text: str) -> WuzapiError:
    lowered = text.lower()
    for needle, cls in _ERROR_TEXTS:
        if needle in lowered:
            return cls(text, status)
    if status == 401:
        return Unauthorized(text, status)
    if status == 404:
        return NotFound(text, status)
    if 400 <= status < 500:
        return BadRequest(text, status)
    return GatewayUnavailable(text or f"HTTP {status}", status)


# --- results ------------------------------------------------------------------------------

@dataclass(frozen=True)
class WuzapiUser:
    id: str
    name: str
    token: str
    webhook: str = ""
    jid: str = ""
    connected: bool = False
    logged_in: bool = False
    events: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class SessionStatus:
    connected: bool
    logged_in: bool
    jid: str = ""
    name: str = ""
    webhook: str = ""
    events: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class SendResult:
    message_id: str
    timestamp: int  # unix seconds (LEGACY servers answer RFC 3339; converted)


@dataclass(frozen=True)
class PhoneCheck:
    query: str
    is_in_whatsapp: bool
    jid: str
    verified_name: str = ""


# --- client -------------------------------------------------------------------------------

def _compact_json(value: Any) -> str:
    # ASCII with \u escapes: any Python string encodes, a lone surrogate included.
    return jsonlib.dumps(value, separators=(",", ":"), allow_nan=False)


class WuzapiClient:
    def __init__(
        self,
        base_url: str,
        admin_token: str = "",
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        connect_timeout: float = DEFAULT_CONNECT_SECONDS,
        pool_timeout: float | None = None,
        max_connections: int = 100,
    ) -> None:
        """`timeout`: for each read of an answer (and, unless `pool_timeout` says otherwise, for a
        free pooled connection); `connect_timeout`: for opening a connection."""
        self.base_url = base_url.rstrip("/")
        self.admin_token = admin_token
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout if pool_timeout is None else pool_timeout,
            sock_connect=connect_timeout, sock_read=timeout)
        self._max_connections = max_connections
        self._http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        # Opened on first use, inside the event loop its connections belong to.
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(
                timeout=self._timeout, connector=aiohttp.TCPConnector(limit=self._max_connections),
                json_serialize=_compact_json, auto_decompress=True, raise_for_status=False)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def __aenter__(self) -> WuzapiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport --

    async def _request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        admin: bool = False,
        json: Any = None,
        enveloped: bool = True,
    ) -> Any:
        headers = {}
        if admin:
            headers["Authorization"] = self.admin_token
        if token is not None:
            headers["token"] = token
        try:
            async with self._session().request(method, self.base_url + path, headers=headers, json=json) as response:
                status, raw = response.status, await response.read()
        except _NOT_SENT as exc:
            raise NotSent(f"WuzAPI unreachable ({type(exc).__name__}); {method} {path} was not sent") from exc
        except _TIMED_OUT as exc:
            raise GatewayTimeout(f"WuzAPI did not answer {method} {path} in time; the outcome is unknown") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise ConnectionLost(f"the connection to WuzAPI broke ({type(exc).__name__}) after {method} {path} "
                                 "was sent; the outcome is unknown") from exc
        try:
            body = jsonlib.loads(raw)
        except ValueError:
            if status >= 400:
                raise _error_for(status, raw.decode("utf-8", "replace").strip()) from None
            raise GatewayUnavailable(f"WuzAPI sent a non-JSON reply to {method} {path}", status) from None
        if status >= 400 or (isinstance(body, dict) and body.get("success") is False):
            message = (body.get("error") or body.get("message") or "") if isinstance(body, dict) else ""
            raise _error_for(status, str(message))
        if not enveloped:
            return body
        if isinstance(body, dict) and "data" in body:
            return body["data"]
        if isinstance(body, dict) and body.get("code", 200) >= 400:
            raise GatewayUnavailable(f"WuzAPI answered code {body.get('code')} without data", body.get("code"))
        return body

    # -- admin --

    async def list_users(self) -> list[WuzapiUser]:
        data = await self._request("GET", "/admin/users", admin=True)
        return [_user(item) for item in data or []]

    async def get_user(self, user_id: str) -> WuzapiUser:
        data = await self._request("GET", f"/admin/users/{user_id}", admin=True)
        if not data:
            raise NotFound("user not found", 404)
        return _user(data[0] if isinstance(data, list) else data)

    async def create_user(
        self,
        name: str,
        token: str,
        *,
        webhook: str = "",
        events: list[str] | None = None,
        hmac_key: str | None = None,
    ) -> WuzapiUser:
        payload: dict[str, Any] = {"name": name, "token": token, "webhook": webhook,
                                   "events": ",".join(events or SUBSCRIBE_ALL)}
        if hmac_key:
            payload["hmacKey"] = hmac_key
        body = await self._request("POST", "/admin/users", admin=True, json=payload, enveloped=False)
        data = body.get("data", body) if isinstance(body, dict) else {}
        return WuzapiUser(id=str(data.get("id", "")), name=data.get("name", name), token=data.get("token", token),
                          webhook=data.get("webhook", webhook), events=data.get("events", ""), raw=data)

    async def update_user(self, user_id: str, **fields: Any) -> None:
        await self._request("PUT", f"/admin/users/{user_id}", admin=True, json=fields, enveloped=False)

    async def delete_user(self, user_id: str) -> None:
        await self._request("DELETE", f"/admin/users/{user_id}", admin=True, enveloped=False)

    async def delete_user_full(self, user_id: str) -> None:
        """Logs out, disconnects and removes the user with its files."""
        await self._request("DELETE", f"/admin/users/{user_id}/full", admin=True, enveloped=False)

    # -- session --

    async def connect(self, token: str, events: list[str] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = await self._request(
            "POST", "/session/connect", token=token,
            json={"Subscribe": events or SUBSCRIBE_ALL, "Immediate": True},
        )
        return data

    async def disconnect(self, token: str) -> None:
        await self._request("POST", "/session/disconnect", token=token)

    async def logout(self, token: str) -> None:
        await self._request("POST", "/session/logout", token=token)

    async def status(self, token: str) -> SessionStatus:
        data = await self._request("GET", "/session/status", token=token)
        # CURRENT uses lowercase keys; LEGACY answered {"Connected","LoggedIn"}.
        return SessionStatus(
            connected=bool(data.get("connected", data.get("Connected", False))),
            logged_in=bool(data.get("loggedIn", data.get("LoggedIn", False))),
            jid=data.get("jid", "") or "",
            name=data.get("name", "") or "",
            webhook=data.get("webhook", "") or "",
            events=data.get("events", "") or "",
            raw=data,
        )

    async def qr(self, token: str) -> str:
        """`data:image/png;base64,…`, or "" before the first code."""
        data = await self._request("GET", "/session/qr", token=token)
        return data.get("QRCode", "") or ""

    async def pair_phone(self, token: str, phone: str) -> str:
        data = await self._request("POST", "/session/pairphone", token=token, json={"Phone": phone})
        code: str = data.get("LinkingCode", "")
        return code

    async def set_hmac_key(self, token: str, key: str) -> None:
        await self._request("POST", "/session/hmac/config", token=token, json={"hmac_key": key}, enveloped=False)

    async def hmac_configured(self, token: str) -> bool:
        body = await self._request("GET", "/session/hmac/config", token=token, enveloped=False)
        return bool(body.get("hmac_key")) if isinstance(body, dict) else False

    async def delete_hmac_key(self, token: str) -> None:
        await self._request("DELETE", "/session/hmac/config", token=token, enveloped=False)

    # -- webhook --

    async def set_webhook(self, token: str, url: str, events: list[str] | None = None) -> None:
        payload: dict[str, Any] = {"webhookurl": url}
        if events is not None:
            payload["events"] = events
        await self._request("POST", "/webhook", token=token, json=payload)

    async def get_webhook(self, token: str) -> tuple[str, list[str]]:
        data = await self._request("GET", "/webhook", token=token)
        return data.get("webhook", ""), [e for e in data.get("subscribe", []) if e]

    async def delete_webhook(self, token: str) -> None:
        await self._request("DELETE", "/webhook", token=token)

    # -- chat --

    async def _send(self, token: str, kind: str, payload: dict[str, Any]) -> SendResult:
        try:
            data = await self._request("POST", f"/chat/send/{kind}", token=token, json=payload)
        except BadRequest as exc:  # refused as invalid: a client error, nothing was sent
            raise SendRejected(exc.message, exc.status) from exc
        return SendResult(message_id=str(data.get("Id", "")), timestamp=_unix(data.get("Timestamp")))

    async def send_text(self, token: str, phone: str, body: str, *, message_id: str | None = None,
                        reply_to: str | None = None, reply_participant: str | None = None) -> SendResult:
        payload: dict[str, Any] = {"Phone": phone, "Body": body}
        if message_id:
            payload["Id"] = message_id
        if reply_to:
            payload["ContextInfo"] = {"StanzaID": reply_to, "Participant": reply_participant or f"{phone}@s.whatsapp.net"}
        return await self._send(token, "text", payload)

    async def send_image(self, token: str, phone: str, image: str, *, caption: str = "",
                         mime_type: str | None = None, message_id: str | None = None) -> SendResult:
        """`image` is a `data:image/…;base64,` URL or an http(s) URL."""
        return await self._send(token, "image", _media("Image", phone, image, caption, mime_type, message_id))

    async def send_audio(self, token: str, phone: str, audio: str, *, ptt: bool = True,
                         mime_type: str | None = None, message_id: str | None = None) -> SendResult:
        payload = {"Phone": phone, "Audio": audio, "ptt": ptt}
        if mime_type:
            payload["mimetype"] = mime_type
        if message_id:
            payload["Id"] = message_id
        return await self._send(token, "audio", payload)

    async def send_video(self, token: str, phone: str, video: str, *, caption: str = "",
                         mime_type: str | None = None, message_id: str | None = None) -> SendResult:
        return await self._send(token, "video", _media("Video", phone, video, caption, mime_type, message_id))

    async def send_document(self, token: str, phone: str, document: str, file_name: str, *, caption: str = "",
                            mime_type: str | None = None, message_id: str | None = None) -> SendResult:
        payload = _media("Document", phone, document, caption, mime_type, message_id)
        payload["FileName"] = file_name
        return await self._send(token, "document", payload)

    async def send_location(self, token: str, phone: str, latitude: float, longitude: float, *,
                            name: str = "", message_id: str | None = None) -> SendResult:
        payload: dict[str, Any] = {"Phone": phone, "Latitude": latitude, "Longitude": longitude}
        if name:
            payload["Name"] = name
        if message_id:
            payload["Id"] = message_id
        return await self._send(token, "location", payload)

    async def mark_read(self, token: str, message_ids: list[str], chat_phone: str, sender_phone: str | None = None) -> None:
        payload: dict[str, Any] = {"Id": message_ids, "ChatPhone": chat_phone}
        if sender_phone:
            payload["SenderPhone"] = sender_phone
        await self._request("POST", "/chat/markread", token=token, json=payload)

    # -- user --

    async def check_phones(self, token: str, phones: list[str]) -> list[PhoneCheck]:
        data = await self._request("POST", "/user/check", token=token, json={"Phone": phones})
        return [
            PhoneCheck(query=u.get("Query", ""), is_in_whatsapp=bool(u.get("IsInWhatsapp")),
                       jid=u.get("JID", ""), verified_name=u.get("VerifiedName", "") or "")
            for u in data.get("Users", [])
        ]


def _media(field_name: str, phone: str, value: str, caption: str, mime_type: str | None,
           message_id: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"Phone": phone, field_name: value}
    if caption:
        payload["Caption"] = caption
    if mime_type:
        payload["MimeType"] = mime_type
    if message_id:
        payload["Id"] = message_id
    return payload


def _user(item: dict[str, Any]) -> WuzapiUser:
    return WuzapiUser(
        id=str(item.get("id", "")), name=item.get("name", ""), token=item.get("token", ""),
        webhook=item.get("webhook", "") or "", jid=item.get("jid", "") or "",
        connected=bool(item.get("connected")), logged_in=bool(item.get("loggedIn")),
        events=item.get("events", "") or "", raw=item,
    )


def _unix(value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value:
        from datetime import datetime

        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return 0
    return 0
