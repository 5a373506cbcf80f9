"""`/api/inbox/*`: what the dashboard needs over plain HTTP, with the browser session cookie (not
part of the public API): the inbox sending a file, and the widget page uploading its logo, since
uploads never go through Reflex's `/_upload`. Only our own pages may post here (Sec-Fetch-Site /
Origin), so another site cannot make a signed-in operator's browser send files.

Files are read with the same cap as everywhere (api/uploads.py); the answer is the message as the
inbox shows it (attachment URLs are signed links, usable in `<img src>`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from livchat.api.accounts import _from_our_pages
from livchat.api.json_body import api_router
from livchat.api.problems import ApiError
from livchat.api.uploads import read_upload
from livchat.core.db import db
from livchat.services.accounts import auth
from livchat.services.actors import Actor
from livchat.services.support import attachments, conversations, inbox
from livchat.services.widget import customization

router = api_router(prefix="/api/inbox", include_in_schema=False)


async def member_principal(request: Request) -> Actor:
    """The signed-in member of the session cookie, in the session's active organization."""
    if not _from_our_pages(request):
        raise ApiError(403, "cross_site_request", "Only LivChat's own pages may do this.")
    async with db.session() as session:
        found = await auth.resolve_session(session, request.cookies.get(auth.SESSION_COOKIE))
        membership = await auth.active_membership(session, found[0]) if found else None
        await session.commit()  # last seen
    if found is None or membership is None:
        raise ApiError(401, "unauthorized", "Sign in to the dashboard first.")
    return Actor.for_member(membership.organization.id, found[1].id, membership.role)


member_principal.member_auth = True  # type: ignore[attr-defined]  # tests/accounts/test_tenant_isolation.py
Member = Annotated[Actor, Depends(member_principal)]


@router.post("/conversations/{conversation_id}/attachments", status_code=201)
async def send_file(request: Request, actor: Member, conversation_id: str) -> JSONResponse:
    """An operator's reply with a file (`file`, optional `text`, multipart/form-data)."""
    actor.require("work_inbox")
    async with db.session() as session:
        await inbox.get_conversation(session, actor, conversation_id)  # 404 before reading the upload
    upload = await read_upload(request, attachments.MAX_ATTACHMENT_BYTES, attachments.AttachmentTooLarge)
    checked = attachments.check(upload.filename, upload.data)
    async with db.session() as session:
        message = await conversations.reply(session, actor, conversation_id, upload.text, checked, links="signed")
    return JSONResponse(message.wire(), status_code=201)


@router.post("/widget/logo")
async def upload_logo(request: Request, actor: Member) -> JSONResponse:
    """The widget's logo (`file`, multipart/form-data): admins and owners (the service checks)."""
    actor.require("manage_widget")  # before reading the upload
    upload = await read_upload(request, customization.MAX_LOGO_BYTES, customization.LogoTooLarge)
    async with db.session() as session:
        found = await customization.upload_logo(session, actor, upload.data)
    return JSONResponse(found.wire())


def install(app: FastAPI) -> None:
    app.include_router(router)
