"""Reading a `multipart/form-data` upload with a hard size cap.

Starlette's `request.form()` spools any size to disk; here the body is read with a cap first
(Content-Length when given, then the bytes as they arrive, chunked bodies included), so an
oversized upload is refused (413) before it is parsed or stored anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile

from livchat.api.problems import ApiError

MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and a caption field
# The body of an upload route, for OpenAPI (the route reads it itself, so FastAPI cannot say).
MULTIPART_FILE = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary", "description": "An image (PNG, JPEG, GIF, WebP) "
                                                                                 "or a PDF, up to 10 MB."},
                   "text": {"type": "string", "description": "An optional message sent with it."}}}}}}}


@dataclass(frozen=True)
class Upload:
    filename: str | None
    data: bytes
    text: str


async def read_upload(request: Request, max_bytes: int, too_large: Callable[[], Exception]) -> Upload:
    """The `file` part (and an optional `text` part) of a multipart body of at most `max_bytes`
    of file. Raises `too_large()` past the cap, 422 `file_required` without a file part."""
    limit = max_bytes + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large()
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise ApiError(422, "file_required", "Send the file as the `file` field of a multipart/form-data body.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)
    request._body = b"".join(chunks)  # Starlette re-reads a cached body: form() parses these bytes
    try:
        form = await request.form(max_files=1, max_fields=4, max_part_size=64 * 1024)
    except Exception as exc:  # a malformed body (no boundary, truncated part) is the client's
        raise ApiError(400, "invalid_multipart", "The multipart/form-data body could not be read.") from exc
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise ApiError(422, "file_required", "Send the file as the `file` field of a multipart/form-data body.")
        data = await file.read()
        if len(data) > max_bytes:
            raise too_large()
        text = form.get("text")
        return Upload(filename=file.filename, data=data, text=text if isinstance(text, str) else "")
    finally:
        await form.close()
