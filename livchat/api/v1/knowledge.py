"""`/api/v1/knowledge…` (API.md "Knowledge base"): upload files, import pages, list, delete, search.

An upload's body is read with the size cap of api/uploads.py: past the limit (LIVCHAT_KNOWLEDGE_
MAX_FILE_MB) it is answered 413 at once, whatever Content-Length said or did not say.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import JSONResponse

from livchat.api import tenancy
from livchat.api.json_body import api_router
from livchat.api.uploads import read_upload
from livchat.api.v1.auth import Caller
from livchat.api.v1.common import Cursor, Limit
from livchat.core.settings import get_settings
from livchat.services.knowledge import files, search
from livchat.services.knowledge.schemas import (
    DEFAULT_SEARCH_LIMIT,
    MAX_SEARCH_LIMIT,
    KnowledgeFileOut,
    KnowledgeFilePage,
    KnowledgeUrlIn,
    SearchResults,
)

router = api_router(tags=["knowledge"])

_UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                           "description": "PDF, Word (.docx), text, Markdown or HTML; the type is read from "
                                          "the bytes."}}}}}}
_REFUSALS = {
    413: {"description": "`file_too_large`: over the size limit (20 MB by default) or too much text; nothing stored"},
    415: {"description": "`unsupported_file_type`: not PDF, .docx, text, Markdown or HTML; nothing stored"},
    422: {"description": "`unreadable_file`: damaged, password-protected, empty, or a scanned PDF without "
                         "text; nothing stored. `file_required`: no `file` field"},
}


@router.post("/knowledge/files", status_code=202, response_model=KnowledgeFileOut,
             summary="Upload a file to the knowledge base; it is indexed in the background",
             description="Answers at once with the file, `processing`; follow it with `GET /knowledge/files/{id}` "
                         "until `ready` (or `failed`, with `error`). A file that cannot be used is refused "
                         "before anything is stored.",
             responses=_REFUSALS, openapi_extra={"requestBody": _UPLOAD_BODY})
async def upload_file(caller: Caller, request: Request) -> Response:
    caller.actor.require("manage_knowledge")  # before reading up to the size limit; the service checks again
    upload = await read_upload(request, get_settings().knowledge_max_file_bytes, files.too_large)
    out = await files.upload_file(caller.actor, upload.filename, upload.data)
    return JSONResponse(out.wire(), status_code=202)


@router.post("/knowledge/urls", status_code=202, response_model=KnowledgeFileOut,
             summary="Import one web page (or file) by URL",
             description="Fetched once, now, through the same guard as webhooks (public addresses only, "
                         "redirects included) and the same size limit as uploads; then indexed like an upload.",
             responses={**_REFUSALS, 422: {"description": "`unsafe_url`, `url_unreachable` (with the reason), "
                                                          "`unreadable_file`; nothing stored"}},
             openapi_extra={tenancy.PROBE_BODY: {"url": "https://example.com/help"}})
async def import_url(caller: Caller, body: KnowledgeUrlIn) -> Response:
    out = await files.import_url(caller.actor, body.url)
    return JSONResponse(out.wire(), status_code=202)


@router.get("/knowledge/files", response_model=KnowledgeFilePage, summary="List the knowledge base's files, newest first")
async def list_files(caller: Caller, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    rows, next_cursor = await files.list_files(caller.actor, limit=limit, cursor=cursor)
    return {"data": [r.wire() for r in rows], "nextCursor": next_cursor}


@router.get("/knowledge/files/{file_id}", response_model=KnowledgeFileOut,
            summary="One file, with its ingestion status and progress")
async def get_file(caller: Caller, file_id: str) -> dict[str, Any]:
    return (await files.get_file(caller.actor, file_id)).wire()


@router.delete("/knowledge/files/{file_id}", status_code=204, summary="Delete a file and its passages")
async def delete_file(caller: Caller, file_id: str) -> Response:
    await files.delete_file(caller.actor, file_id)
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
    hits = await search.search(caller.actor, q, limit)
    return {"data": [h.wire() for h in hits]}
