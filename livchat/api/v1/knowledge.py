"""`/api/v1/knowledge…` (API.md "Knowledge base"): upload files, import pages, list, delete, search.

The upload's body is read as a stream with a running byte count and parsed as it arrives (file
data spools to disk past 1 MB): past the size limit it is answered 413 at once, whatever
Content-Length said (or did not say), so a huge upload never sits in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from livchat.api.deps import ApiKeyPrincipal
from livchat.api.problems import ApiError, error_response
from livchat.api.v1.auth import Caller
from livchat.api.v1.common import Cursor, Limit
from livchat.core.settings import get_settings
from livchat.services.actors import Actor
from livchat.services.knowledge import files, search
from livchat.services.knowledge.errors import FileTooLarge
from livchat.services.knowledge.schemas import (
    DEFAULT_SEARCH_LIMIT,
    MAX_SEARCH_LIMIT,
    KnowledgeFileOut,
    KnowledgeFilePage,
    KnowledgeUrlIn,
    SearchResults,
)

router = APIRouter(tags=["knowledge"])

FIELD = "file"
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file, at most
_UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": [FIELD],
    "properties": {FIELD: {"type": "string", "format": "binary",
                           "description": "PDF, Word (.docx), text, Markdown or HTML; the type is read from "
                                          "the bytes."}}}}}}
_REFUSALS = {
    413: {"description": "`file_too_large`: over the size limit (20 MB by default) or too much text; nothing stored"},
    415: {"description": "`unsupported_file_type`: not PDF, .docx, text, Markdown or HTML; nothing stored"},
    422: {"description": "`unreadable_file`: damaged, password-protected, empty, or a scanned PDF without "
                         "text; nothing stored. `validation_error`: no `file` field"},
}


def actor_of(caller: ApiKeyPrincipal) -> Actor:
    return Actor.for_api_key(caller.organization.id, caller.key.id)


async def _capped(request: Request, limit: int) -> AsyncIterator[bytes]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise files.too_large()
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise files.too_large()
        yield chunk


async def _uploaded_file(request: Request) -> tuple[str | None, str | None, bytes]:
    """(name, declared type, bytes) of the `file` field, read under the size cap."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise ApiError(422, "validation_error", f"Send multipart/form-data with the file in a field named `{FIELD}`.")
    limit = get_settings().knowledge_max_file_bytes
    parser = MultiPartParser(request.headers, _capped(request, limit + MULTIPART_OVERHEAD), max_files=1,
                             max_fields=4)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ApiError(400, "bad_request", f"The multipart body could not be read: {exc.message}") from None
    try:
        upload = form.get(FIELD)
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "validation_error", f"Send the file in a multipart field named `{FIELD}`.")
        if upload.size is not None and upload.size > limit:
            raise files.too_large()
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise files.too_large()
        return upload.filename, upload.content_type, data
    finally:
        await form.close()


@router.post("/knowledge/files", status_code=202, response_model=KnowledgeFileOut,
             summary="Upload a file to the knowledge base; it is indexed in the background",
             description="Answers at once with the file, `processing`; follow it with `GET /knowledge/files/{id}` "
                         "until `ready` (or `failed`, with `error`). A file that cannot be used is refused "
                         "before anything is stored.",
             responses=_REFUSALS, openapi_extra={"requestBody": _UPLOAD_BODY})
async def upload_file(caller: Caller, request: Request) -> Response:
    try:
        filename, content_type, data = await _uploaded_file(request)
    except (ApiError, FileTooLarge) as exc:
        # Answered before the rest of the body is read: close the connection rather than drain it.
        response = error_response(exc)
        response.headers["Connection"] = "close"
        return response
    out = await files.upload_file(actor_of(caller), filename, data, content_type)
    return JSONResponse(out.wire(), status_code=202)


@router.post("/knowledge/urls", status_code=202, response_model=KnowledgeFileOut,
             summary="Import one web page (or file) by URL",
             description="Fetched once, now, through the same guard as webhooks (public addresses only, "
                         "redirects included) and the same size limit as uploads; then indexed like an upload.",
             responses={**_REFUSALS, 422: {"description": "`unsafe_url`, `url_unreachable` (with the reason), "
                                                          "`unreadable_file`; nothing stored"}})
async def import_url(caller: Caller, body: KnowledgeUrlIn) -> Response:
    out = await files.import_url(actor_of(caller), body.url)
    return JSONResponse(out.wire(), status_code=202)


@router.get("/knowledge/files", response_model=KnowledgeFilePage, summary="List the knowledge base's files, newest first")
async def list_files(caller: Caller, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    rows, next_cursor = await files.list_files(actor_of(caller), limit=limit, cursor=cursor)
    return {"data": [r.wire() for r in rows], "nextCursor": next_cursor}


@router.get("/knowledge/files/{file_id}", response_model=KnowledgeFileOut,
            summary="One file, with its ingestion status and progress")
async def get_file(caller: Caller, file_id: str) -> dict[str, Any]:
    return (await files.get_file(actor_of(caller), file_id)).wire()


@router.delete("/knowledge/files/{file_id}", status_code=204, summary="Delete a file and its passages")
async def delete_file(caller: Caller, file_id: str) -> Response:
    await files.delete_file(actor_of(caller), file_id)
    return Response(status_code=204)


@router.get("/knowledge/search", response_model=SearchResults,
            summary="Hybrid search (meaning and words, accents ignored) of the knowledge base")
async def search_knowledge(
    caller: Caller,
    q: Annotated[str, Query(min_length=1, max_length=search.MAX_QUERY_CHARS, description="What to look for.",
                            examples=["how do I return a product?"])],
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_LIMIT, description="How many passages (max 20).")]
    = DEFAULT_SEARCH_LIMIT,
) -> dict[str, Any]:
    hits = await search.search(actor_of(caller), q, limit)
    return {"data": [h.model_dump(mode="json", by_alias=True) for h in hits]}
