"""Inbound WuzAPI webhooks: `POST /api/hooks/wuzapi/{instance_id}`.

The body is read as a stream with a running byte count: past MAX_BODY_BYTES the request is
answered 413 at once, whatever Content-Length said (or did not say, for a chunked body). The
signature is then checked over the raw body before anything is parsed. An unknown instance gets
the same 401 as a bad signature, so the endpoint does not reveal which instance ids exist.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from livchat.api.problems import ApiError
from livchat.core.db import db
from livchat.services.whatsapp import ingest

MAX_BODY_BYTES = 160 * 1024 * 1024  # a 100 MB document, base64-encoded, inside a form field
SIGNATURE_HEADER = "x-hmac-signature"


def _too_large() -> ApiError:
    return ApiError(413, "payload_too_large", f"The event body is larger than {MAX_BODY_BYTES} bytes.")


async def read_capped(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused as soon as it grows past `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


async def wuzapi_hook(instance_id: str, request: Request) -> JSONResponse:
    body = await read_capped(request)
    async with db.session(short=True) as session:
        instance = await ingest.find_instance_ref(session, instance_id)
        if not ingest.instance_signature_valid(instance, body, request.headers.get(SIGNATURE_HEADER)):
            raise ApiError(401, "invalid_signature", "Missing or invalid x-hmac-signature.")
        assert instance is not None
        event = ingest.parse_webhook(body, request.headers.get("content-type", ""))
        result = await ingest.ingest(session, instance, event)
    return JSONResponse({"ok": True, **result.as_json()})


def install(app: FastAPI) -> None:
    app.add_api_route("/api/hooks/wuzapi/{instance_id}", wuzapi_hook, methods=["POST"], include_in_schema=False)
