"""`/api/widget/*`: the widget client API (../shared/API.md "Widget client API").

No API key: a contact session, created here, is the credential (`X-Contact-Token`), and it
reaches only its own conversation. Limits per IP and per contact session (services/widget/
limits.py) answer 429 with Retry-After and RateLimit-* headers. The /widget page calls the same
services.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse

from livchat.api import tenancy
from livchat.api.deps import client_ip
from livchat.api.json_body import api_router
from livchat.api.ratelimit import record
from livchat.api.uploads import MULTIPART_FILE, read_upload
from livchat.core.db import db
from livchat.services.support import attachments
from livchat.services.support.conversations import checked_text
from livchat.services.widget import customization, limits, sessions, visitor
from livchat.services.widget.schemas import (
    MessagePosted,
    PublicSettings,
    SessionCreated,
    SessionIn,
    TypingIn,
    VisitorMessageIn,
    VisitorMessages,
)
from livchat.services.widget.sessions import Visitor

router = api_router(prefix="/api/widget", tags=["widget"])

_TOKEN_HEADER = Header(alias="X-Contact-Token", description="The `contactToken` of POST /api/widget/sessions.")
_NOSNIFF = {"X-Content-Type-Options": "nosniff"}


async def contact_principal(request: Request,
                            x_contact_token: Annotated[str | None, _TOKEN_HEADER] = None) -> Visitor:
    """The visitor a contact token names; 401 `invalid_contact_token` or `contact_session_expired`."""
    async with db.session() as session:
        return await sessions.resolve(session, x_contact_token)


contact_principal.contact_auth = True  # type: ignore[attr-defined]  # tests/accounts/test_tenant_isolation.py
VisitorAuth = Annotated[Visitor, Depends(contact_principal)]


def _ip(request: Request) -> str | None:
    return client_ip(request)


def attachment_response(file: attachments.AttachmentFile) -> FileResponse:
    """Images inline, anything else as a download; never sniffed, never run as a document."""
    return FileResponse(
        file.path, media_type=file.content_type, filename=file.filename,
        content_disposition_type="inline" if file.is_image else "attachment",
        headers={**_NOSNIFF, "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'self'",
                 "Cache-Control": "private, max-age=3600", "ETag": f'"{file.sha256}"'})


@router.get("/settings", response_model=PublicSettings, summary="The organization's widget: greeting, suggestions, "
            "colours, logo, position, language", openapi_extra=tenancy.PUBLIC,
            responses={404: {"description": "`organization_not_found`: unknown or malformed organization id"}})
async def get_settings(request: Request, organization_id: Annotated[str, Query(
        alias="organizationId", max_length=200, description="The `data-organization-id` of the embed snippet.")]
) -> dict[str, Any]:
    record(request, await limits.read(None, _ip(request)))
    async with db.session() as session:
        return (await customization.public_settings(session, organization_id)).wire()


@router.post("/sessions", status_code=201, response_model=SessionCreated, openapi_extra=tenancy.PUBLIC,
             summary="Start a contact session (the contact form): valid 24 h",
             responses={404: {"description": "`organization_not_found`"},
                        422: {"description": "`invalid_contact_name`, `invalid_contact_email`, `validation_error`"},
                        429: {"description": "`rate_limited`: sessions per IP"}})
async def create_session(request: Request, body: SessionIn) -> JSONResponse:
    # Checks first: a bad form spends no limit.
    sessions.checked_name(body.name)
    sessions.checked_email(body.email)
    async with db.session() as session:
        await sessions.organization_widget(session, body.organization_id)
        record(request, await limits.session_creation(_ip(request)))
        created = await sessions.create_session(
            session, body.organization_id, body.name, body.email, body.metadata, ip=_ip(request),
            user_agent=request.headers.get("user-agent"), previous_token=body.previous_contact_token)
    out = SessionCreated(contact_session_id=created.row.id, contact_token=created.token,
                         expires_at=created.row.expires_at)
    return JSONResponse(out.wire(), status_code=201)


@router.post("/messages", status_code=201, response_model=MessagePosted,
             summary="Send the visitor's message; opens a conversation when none is open",
             responses={401: {"description": "`invalid_contact_token` or `contact_session_expired`"},
                        422: {"description": "`message_empty`, `message_too_long`, `nul_character`, "
                                             "`invalid_unicode`, `validation_error`"},
                        429: {"description": "`rate_limited`: messages per contact session or per IP"}})
async def post_message(request: Request, contact: VisitorAuth, body: VisitorMessageIn) -> JSONResponse:
    checked_text(body.text)  # a refused text spends no limit
    record(request, await limits.message(contact.contact_session_id, _ip(request)))
    async with db.session() as session:
        posted = await visitor.send_message(session, contact, body.text)
    return JSONResponse(posted.wire(), status_code=201)


@router.get("/messages", response_model=VisitorMessages,
            summary="The visitor's conversation: messages after `after` (or the latest), oldest first",
            responses={401: {"description": "`invalid_contact_token` or `contact_session_expired`"},
                       422: {"description": "`invalid_after`"}})
async def get_messages(request: Request, contact: VisitorAuth,
                       after: Annotated[str | None, Query(max_length=100, description="A message id: only newer "
                                                                                      "messages.")] = None,
                       limit: Annotated[int, Query(ge=1, le=100)] = 100) -> dict[str, Any]:
    record(request, await limits.read(contact.contact_session_id, _ip(request)))
    async with db.session() as session:
        return (await visitor.messages(session, contact, after, limit)).wire()


@router.post("/attachments", status_code=201, response_model=MessagePosted, openapi_extra=MULTIPART_FILE,
             summary="Send a file (image or PDF, up to 10 MB) as `file` of a multipart/form-data body, with an "
                     "optional `text`",
             responses={401: {"description": "`invalid_contact_token` or `contact_session_expired`"},
                        413: {"description": "`attachment_too_large`: nothing is stored"},
                        415: {"description": "`unsupported_attachment_type`, or `attachment_type_mismatch` (a PDF "
                                             "renamed .png): nothing is stored"},
                        422: {"description": "`file_required`, `empty_attachment`, `message_too_long`"},
                        429: {"description": "`rate_limited`: files per contact session or per IP"}})
async def post_attachment(request: Request, contact: VisitorAuth) -> JSONResponse:
    upload = await read_upload(request, attachments.MAX_ATTACHMENT_BYTES, attachments.AttachmentTooLarge)
    checked = attachments.check(upload.filename, upload.data)  # refused files spend no limit
    checked_text(upload.text, allow_empty=True)
    record(request, await limits.attachment(contact.contact_session_id, _ip(request)))
    async with db.session() as session:
        posted = await visitor.send_attachment(session, contact, checked, upload.text)
    return JSONResponse(posted.wire(), status_code=201)


async def optional_contact(request: Request,
                           x_contact_token: Annotated[str | None, _TOKEN_HEADER] = None) -> Visitor | None:
    """The contact session when a token is sent (else a signed link must authorize the request)."""
    if x_contact_token is None:
        return None
    return await contact_principal(request, x_contact_token)


optional_contact.contact_auth = True  # type: ignore[attr-defined]


@router.get("/attachments/{attachment_id}", response_class=FileResponse,
            openapi_extra={"x-contact-token-optional": True},
            summary="A file of the visitor's conversation: with X-Contact-Token, or a signed link (`expires` and "
                    "`signature`, as message `attachments[].url` gives it)",
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/gif": {}, "image/webp": {},
                                         "application/pdf": {}}},
                       404: {"description": "`attachment_not_found`: not this visitor's, or the link expired"}})
async def get_attachment(request: Request, attachment_id: str,
                         contact: Annotated[Visitor | None, Depends(optional_contact)] = None,
                         expires: Annotated[str | None, Query(max_length=20)] = None,
                         signature: Annotated[str | None, Query(max_length=100)] = None) -> FileResponse:
    record(request, await limits.read(contact.contact_session_id if contact else None, _ip(request)))
    async with db.session() as session:
        if contact is not None:
            found = await visitor.open_attachment(session, contact, attachment_id)
        else:
            found = await attachments.open_signed(session, attachment_id, expires, signature)
    return attachment_response(found)


@router.post("/seen", status_code=204, summary="The visitor has seen every reply (their unread count goes to 0)")
async def seen(request: Request, contact: VisitorAuth) -> Response:
    record(request, await limits.signal(contact.contact_session_id))
    async with db.session() as session:
        await visitor.mark_seen(session, contact)
    return Response(status_code=204)


@router.post("/typing", status_code=204, summary="The visitor is typing (true) or stopped (false); shown to "
             "operators for a few seconds")
async def typing(request: Request, contact: VisitorAuth, body: TypingIn) -> Response:
    record(request, await limits.signal(contact.contact_session_id))
    async with db.session() as session:
        await visitor.set_typing(session, contact, body.typing)
    return Response(status_code=204)


@router.get("/logo/{organization_id}", response_class=FileResponse, openapi_extra=tenancy.PUBLIC,
            summary="The organization's widget logo (public: every visitor sees it)",
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}},
                       404: {"description": "`logo_not_found` or `organization_not_found`"}})
async def logo(request: Request, organization_id: str) -> Response:
    record(request, await limits.read(None, _ip(request)))
    async with db.session() as session:
        found = await customization.open_logo(session, organization_id)
    etag = f'"{found.etag}"'
    headers = {**_NOSNIFF, "ETag": etag, "Cache-Control": "public, max-age=86400",
               "Content-Security-Policy": "default-src 'none'; sandbox"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return FileResponse(found.path, media_type=found.content_type, headers=headers)


def install(app: FastAPI) -> None:
    app.include_router(router)
