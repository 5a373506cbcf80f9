"""`POST /api/knowledge/files`: the dashboard's knowledge-base upload, with the browser session cookie
(not part of the public API; that is `POST /api/v1/knowledge/files` with a key). Uploads never go
through Reflex's `/_upload`, which anyone may call and which serves what it stores.

The role is checked before the body is read, so a member's upload costs us nothing; the body is
read with the size cap of api/uploads.py. A refused file answers with the problem's `code` plus
the precise `reason` (`knowledge.reasons.<reason>`), so the page says why in the reader's language.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from livchat.api.inbox import Member
from livchat.api.json_body import api_router
from livchat.api.problems import problem_response
from livchat.api.uploads import read_upload
from livchat.core.settings import get_settings
from livchat.services.knowledge import files
from livchat.services.knowledge.errors import KnowledgeError

router = api_router(prefix="/api/knowledge", include_in_schema=False)


@router.post("/files", status_code=202)
async def upload_file(request: Request, actor: Member) -> JSONResponse:
    """One file (`file`, multipart/form-data): 202 with the file (KnowledgeFileOut), ingestion follows."""
    actor.require("manage_knowledge")  # before reading up to the size limit; the service checks again
    try:
        upload = await read_upload(request, get_settings().knowledge_max_file_bytes, files.too_large)
        out = await files.upload_file(actor, upload.filename, upload.data)
    except KnowledgeError as exc:
        return problem_response(exc.status, exc.code, exc.detail, extra={"reason": exc.reason})
    return JSONResponse(out.wire(), status_code=202)


def install(app: FastAPI) -> None:
    app.include_router(router)
