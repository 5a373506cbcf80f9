"""The control API tests, the bench and operators use to play the phone (JSON under
/sandbox/control). It sees every session, so it takes the sandbox admin token in the raw
`Authorization` header, exactly like WuzAPI's /admin routes; anything else is a 401. (The
/sandbox page does not use it: its state calls the sandbox in Python, scoped to the viewer.)

Every route is a thin call into the `Sandbox` methods.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from livchat.core.crypto import constant_time_equals
from livchat.sandbox.engine import ControlError, Sandbox

AUTH_HEADER = "authorization"


def build_control_routes(sandbox: Sandbox) -> list[Route]:
    def route(path: str, method: str, handler: Callable[[dict[str, Any]], Awaitable[Any] | Any]) -> Route:
        async def endpoint(request: Request) -> Response:
            given = request.headers.get(AUTH_HEADER, "")
            if not given or not constant_time_equals(given, sandbox.config.admin_token):
                return JSONResponse({"error": "unauthorized", "code": "unauthorized"}, status_code=401)
            body: dict[str, Any] = dict(request.query_params)
            if method == "POST":
                try:
                    posted = json.loads(await request.body() or b"{}")
                except ValueError:
                    return JSONResponse({"error": "body must be JSON"}, status_code=400)
                if not isinstance(posted, dict):
                    return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
                body.update(posted)
            try:
                return JSONResponse(handler(body))
            except ControlError as exc:
                return JSONResponse({"error": exc.text, "code": exc.key}, status_code=exc.status)

        return Route(path, endpoint, methods=[method])

    def session_of(body: dict[str, Any]):  # type: ignore[no-untyped-def]
        return sandbox.find_session(token=str(body.get("token") or ""), session_id=str(body.get("id") or ""),
                                    phone=str(body.get("phone") or ""))

    def sessions(body: dict[str, Any]) -> Any:
        return {"sessions": [s.as_json() for s in sandbox.sessions()]}

    def link(body: dict[str, Any]) -> Any:
        view = sandbox.link(qr=str(body.get("qr") or ""), pairing_code=str(body.get("pairingCode") or ""),
                            phone=str(body.get("phone") or ""))
        return {"session": view.as_json()}

    def inbound(body: dict[str, Any]) -> Any:
        by_phone = not body.get("token") and not body.get("id") and body.get("phone")
        targets = sandbox.linked_sessions_of(str(body["phone"])) if by_phone else [session_of(body)]
        message_id = ""
        for user in targets:  # one message, the same id, on every device linked to the number
            message_id = write(user, body, message_id)
        return {"id": message_id, "sessions": len(targets)}

    def write(user: Any, body: dict[str, Any], message_id: str) -> str:
        return sandbox.inbound(
            user, message_id=message_id, sender=str(body.get("from") or ""),
            text=str(body.get("text") or body.get("caption") or ""),
            push_name=str(body.get("pushName") or ""), media_type=str(body.get("type") or "").replace("text", ""),
            media_base64=str(body.get("base64") or ""), mime_type=str(body.get("mimeType") or ""),
            file_name=str(body.get("fileName") or ""), reply_to=str(body.get("replyTo") or ""),
        )

    def receipt(body: dict[str, Any]) -> Any:
        sandbox.receipt(str(body.get("messageId") or ""), str(body.get("state") or ""))
        return {"ok": True}

    def outbox(body: dict[str, Any]) -> Any:
        return {"messages": [m.as_json() for m in sandbox.outbox(session_of(body))]}

    def disconnect(body: dict[str, Any]) -> Any:
        return {"session": sandbox.phone_disconnect(session_of(body)).as_json()}

    def reconnect(body: dict[str, Any]) -> Any:
        return {"session": sandbox.phone_reconnect(session_of(body)).as_json()}

    def logout(body: dict[str, Any]) -> Any:
        return {"session": sandbox.phone_logout(session_of(body)).as_json()}

    def webhook_errors(body: dict[str, Any]) -> Any:
        """Deliveries that failed every attempt (WuzAPI's webhook_errors queue), newest first."""
        user = session_of(body) if body.get("token") or body.get("id") else None
        return {"errors": [{"userId": e.user_id, "url": e.url, "type": e.event_type, "body": e.body,
                            "attempts": e.attempts, "lastError": e.last_error, "failedAt": e.failed_at}
                           for e in sandbox.webhook_errors(user)]}

    return [
        route("/sessions", "GET", sessions),
        route("/link", "POST", link),
        route("/inbound", "POST", inbound),
        route("/receipt", "POST", receipt),
        route("/outbox", "GET", outbox),
        route("/disconnect", "POST", disconnect),
        route("/reconnect", "POST", reconnect),
        route("/logout", "POST", logout),
        route("/webhook-errors", "GET", webhook_errors),
    ]
