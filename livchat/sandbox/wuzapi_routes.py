"""WuzAPI's HTTP surface (CURRENT, ../shared/wuzapi-contract.md): the same paths, auth,
envelope, raw replies, error texts and status codes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from livchat.core.crypto import constant_time_equals
from livchat.sandbox import media, protocol
from livchat.sandbox.engine import GatewayError, Sandbox
from livchat.sandbox.store import User

Handler = Callable[[Request, User], Awaitable[Response]]


class _BadPayload(Exception):
    pass


def ok(data: Any, status: int = 200) -> Response:
    return JSONResponse({"code": status, "data": data, "success": True}, status_code=status)


def error(status: int, text: str) -> Response:
    return JSONResponse({"code": status, "error": text, "success": False}, status_code=status)


def raw(body: Any, status: int = 200) -> Response:
    """`respondWithJSON`: no envelope."""
    return Response(json.dumps(body, separators=(",", ":"), ensure_ascii=False), status_code=status,
                    media_type="application/json; charset=utf-8")


def not_found(request: Request, exc: Exception) -> Response:
    """gorilla/mux's reply to an unmatched path or method."""
    return Response("404 page not found\n", status_code=404, media_type="text/plain; charset=utf-8")


async def payload(request: Request) -> dict[str, Any]:
    """The JSON body with top-level keys lowercased: Go's decoder matches names case-insensitively."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise _BadPayload from None
    if not isinstance(body, dict):
        raise _BadPayload
    return {str(k).lower(): v for k, v in body.items()}


def build_routes(sandbox: Sandbox) -> list[Route]:
    def user_route(path: str, method: str, handler: Handler, bad_payload: str = "could not decode Payload") -> Route:
        async def endpoint(request: Request) -> Response:
            token = request.headers.get("token") or request.query_params.get("token", "")
            user = sandbox.user_by_token(token)
            if user is None:
                return error(401, "unauthorized")
            try:
                return await handler(request, user)
            except GatewayError as exc:
                return error(exc.status, exc.text)
            except _BadPayload:
                return error(400, bad_payload)

        return Route(path, endpoint, methods=[method])

    def admin_route(path: str, method: str, handler: Callable[[Request], Awaitable[Response]]) -> Route:
        async def endpoint(request: Request) -> Response:
            given = request.headers.get("authorization", "")
            if not given or not constant_time_equals(given, sandbox.config.admin_token):
                return error(401, "unauthorized")
            try:
                return await handler(request)
            except GatewayError as exc:
                reply: dict[str, Any] = {"code": exc.status, "error": exc.text, "success": False}
                if exc.details:
                    reply["details"] = exc.details
                return raw(reply, exc.status)
            except _BadPayload:
                return raw({"code": 400, "error": "invalid request payload", "success": False}, 400)

        return Route(path, endpoint, methods=[method])

    # -- admin --

    async def list_users(request: Request) -> Response:
        user_id = request.path_params.get("user_id")
        users = [sandbox.user(user_id)] if user_id else sandbox.users()
        return ok([admin_user_json(sandbox, u) for u in users if u is not None])

    async def create_user(request: Request) -> Response:
        user = sandbox.create_user(await payload(request))
        data = {"id": user.id, "name": user.name, "token": user.token, "webhook": user.webhook,
                "expiration": user.expiration, "events": user.events, "osname": user.osname,
                "proxy_config": _PROXY, "s3_config": _S3, "hmac_key": bool(user.hmac_key)}
        return raw({"code": 201, "data": data, "success": True}, 201)

    async def update_user(request: Request) -> Response:
        sandbox.update_user(request.path_params["user_id"], await payload(request))
        return raw({"code": 200, "message": "user updated successfully", "success": True})

    async def delete_user(request: Request) -> Response:
        user_id = request.path_params["user_id"]
        try:
            sandbox.delete_user(user_id)  # the row only: a live session stays up
        except GatewayError:
            return raw({"code": 404, "error": "user not found", "success": False,
                        "details": f"No user found with ID: {user_id}"}, 404)
        return raw({"code": 200, "data": {"id": user_id}, "success": True, "details": "user deleted successfully"})

    async def delete_user_full(request: Request) -> Response:
        user = sandbox.delete_user(request.path_params["user_id"], full=True)
        return raw({"code": 200, "data": {"id": user.id, "name": user.name, "jid": user.jid}, "success": True,
                    "details": "user instance removed completely"})

    # -- session --

    async def connect(request: Request, user: User) -> Response:
        body = await payload(request)
        subscribe = body["subscribe"] if isinstance(body.get("subscribe"), list) else []
        user = sandbox.connect(user, [str(e) for e in subscribe])
        if not body.get("immediate"):
            await asyncio.sleep(sandbox.config.connect_wait_s)  # WuzAPI waits before answering
        return ok({"details": "Connected!", "events": user.events, "jid": user.jid, "webhook": user.webhook})

    async def disconnect(request: Request, user: User) -> Response:
        sandbox.disconnect(user)
        return ok({"Details": "Disconnected"})

    async def logout(request: Request, user: User) -> Response:
        sandbox.logout(user)
        return ok({"Details": "Logged out"})

    async def status(request: Request, user: User) -> Response:
        return ok(status_json(sandbox, user))

    async def qr(request: Request, user: User) -> Response:
        return ok({"QRCode": sandbox.qr(user)})

    async def pair_phone(request: Request, user: User) -> Response:
        body = await payload(request)
        return ok({"LinkingCode": sandbox.pair_phone(user, str(body.get("phone") or ""))})

    async def hmac_set(request: Request, user: User) -> Response:
        body = await payload(request)
        sandbox.set_hmac_key(user, str(body.get("hmac_key") or ""))
        return raw({"Details": "HMAC configuration saved successfully"})

    async def hmac_get(request: Request, user: User) -> Response:
        return raw({"hmac_key": "***" if user.hmac_key else ""})

    async def hmac_delete(request: Request, user: User) -> Response:
        sandbox.delete_hmac_key(user)
        return raw({"Details": "HMAC configuration deleted successfully"})

    # -- webhook --

    async def webhook_get(request: Request, user: User) -> Response:
        return ok({"webhook": user.webhook, "subscribe": user.events.split(",")})

    async def webhook_set(request: Request, user: User) -> Response:
        body = await payload(request)
        url = str(body.get("webhookurl") or "")
        events = body.get("events") if isinstance(body.get("events"), list) else None
        sandbox.set_webhook(user, url, events)
        return ok({"webhook": url})

    async def webhook_update(request: Request, user: User) -> Response:
        body = await payload(request)
        active = bool(body.get("active"))  # missing counts as false: URL and events are cleared
        given = [str(e) for e in body.get("events") or []]
        valid = [e for e in given if e in protocol.VALID_EVENTS]  # unknown names dropped
        url = str(body.get("webhook") or "") if active else ""
        sandbox.set_webhook(user, url, (valid if active else []) if given else None)  # no events: URL only
        return ok({"webhook": url, "events": valid or None, "active": active})

    async def webhook_delete(request: Request, user: User) -> Response:
        sandbox.set_webhook(user, "", [])
        return ok({"Details": "Webhook and events deleted successfully"})

    # -- chat and user --

    def send(kind: str) -> Handler:
        async def handler(request: Request, user: User) -> Response:
            if not user.connected:  # checked before the body, as WuzAPI does
                raise GatewayError(500, "no session")
            body = await payload(request)
            size, mime = None, ""
            if media.is_url(body.get(kind)):
                sandbox.check_send(user, kind, body)  # a bad payload fails before any download
                fetched = await media.fetch(body[kind], kind, allow_private=sandbox.config.allow_private_media,
                                            timeout=sandbox.config.media_timeout_s)
                size, mime = fetched.size, fetched.mime_type
            message_id, timestamp = sandbox.send(user, kind, body, size, mime)
            return ok({"Details": "Sent", "Timestamp": timestamp, "Id": message_id})

        return handler

    async def mark_read(request: Request, user: User) -> Response:
        if not user.connected:
            raise GatewayError(500, "no session")
        sandbox.mark_read(user, await payload(request))
        return ok({"Details": "Message(s) marked as read"})

    async def check(request: Request, user: User) -> Response:
        if not user.connected:
            raise GatewayError(500, "no session")
        body = await payload(request)
        return ok({"Users": sandbox.check_phones(user, body.get("phone"))})

    async def health(request: Request) -> Response:
        return raw(sandbox.health())

    lowercase_payload = "could not decode payload"
    return [
        Route("/health", health, methods=["GET"]),
        admin_route("/admin/users", "GET", list_users),
        admin_route("/admin/users", "POST", create_user),
        admin_route("/admin/users/{user_id}", "GET", list_users),
        admin_route("/admin/users/{user_id}", "PUT", update_user),
        admin_route("/admin/users/{user_id}", "DELETE", delete_user),
        admin_route("/admin/users/{user_id}/full", "DELETE", delete_user_full),
        user_route("/session/connect", "POST", connect),
        user_route("/session/disconnect", "POST", disconnect),
        user_route("/session/logout", "POST", logout),
        user_route("/session/status", "GET", status),
        user_route("/session/qr", "GET", qr),
        user_route("/session/pairphone", "POST", pair_phone),
        user_route("/session/hmac/config", "POST", hmac_set, lowercase_payload),
        user_route("/session/hmac/config", "GET", hmac_get),
        user_route("/session/hmac/config", "DELETE", hmac_delete),
        user_route("/webhook", "GET", webhook_get),
        user_route("/webhook", "POST", webhook_set, lowercase_payload),
        user_route("/webhook", "PUT", webhook_update, lowercase_payload),
        user_route("/webhook", "DELETE", webhook_delete),
        *(user_route(f"/chat/send/{kind}", "POST", send(kind))
          for kind in ("text", "image", "audio", "video", "document", "location")),
        user_route("/chat/markread", "POST", mark_read),
        user_route("/user/check", "POST", check),
    ]


_PROXY = {"enabled": False, "proxy_url": ""}
_S3 = {"enabled": False, "endpoint": "", "region": "", "bucket": "", "access_key": "***", "path_style": False,
       "public_url": "", "media_delivery": "base64", "retention_days": 30}


def _current_qr_url(sandbox: Sandbox, user: User) -> str:
    return protocol.qr_data_url(sandbox.current_qr(user)[1]) if sandbox.is_waiting(user) else ""


def admin_user_json(sandbox: Sandbox, user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "token": user.token, "webhook": user.webhook, "jid": user.jid,
            "qrcode": _current_qr_url(sandbox, user), "connected": sandbox.is_online(user),
            "loggedIn": sandbox.is_logged_in(user), "expiration": user.expiration, "proxy_url": "",
            "events": user.events, "osname": user.osname, "proxy_config": _PROXY, "s3_config": _S3}


def status_json(sandbox: Sandbox, user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "connected": sandbox.is_online(user),
            "loggedIn": sandbox.is_logged_in(user), "token": user.token, "jid": user.jid, "webhook": user.webhook,
            "events": user.events, "proxy_url": "", "qrcode": _current_qr_url(sandbox, user),
            "history": str(user.history), "proxy_config": _PROXY, "s3_config": _S3,
            "hmac_configured": bool(user.hmac_key)}
