"""`/api/v1/conversations…` and `/api/v1/saved-replies…` (API.md "Support desk → Conversations").

The same services the inbox uses, acting as the API key (an admin of its organization);
replies sent here show as "API" in the inbox.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import ConfigDict, Field

from livchat.api import tenancy
from livchat.api.json_body import api_router
from livchat.api.uploads import MULTIPART_FILE, read_upload
from livchat.api.v1.auth import ApiCaller, Caller
from livchat.api.v1.common import (
    Attempt,
    CamelModel,
    Cursor,
    IdempotencyKeyHeader,
    Limit,
    idempotent,
)
from livchat.api.widget import attachment_response
from livchat.core.db import db
from livchat.services.support import attachments, conversations, inbox, saved_replies
from livchat.services.support.schemas import (
    ContactPanel,
    ConversationMessageOut,
    ConversationMessagePage,
    ConversationOut,
    ConversationPage,
    SavedReplyList,
    SavedReplyOut,
)

router = api_router(tags=["conversations"])
_CONVERSATION_404 = {404: {"description": "`conversation_not_found`: no such conversation in your organization"}}



class ReplyIn(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "Your order ships tomorrow."}]})

    text: str = Field(max_length=20_000, description="Plain text, up to 5,000 characters.")


class SavedReplyIn(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"shortcut": "shipping",
                                                               "text": "Orders ship within 2 business days."}]})

    shortcut: str = Field(max_length=100)
    text: str = Field(max_length=20_000)


class SavedReplyPatch(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "Orders ship within 1 business day."}]})

    shortcut: str | None = Field(default=None, max_length=100)
    text: str | None = Field(default=None, max_length=20_000)


@router.get("/conversations", response_model=ConversationPage, summary="Conversations, newest activity first")
async def list_conversations(
    caller: Caller, limit: Limit = 25, cursor: Cursor = None,
    status: Annotated[str | None, Query(description="unresolved | escalated | resolved")] = None,
    channel: Annotated[str | None, Query(description="widget | whatsapp")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Search contact name, email and message text.")] = None,
) -> dict[str, Any]:
    async with db.session() as session:
        page = await inbox.list_conversations(session, caller.actor, status=status, channel=channel, query=q,
                                              limit=limit, cursor=cursor)
    return page.wire()


@router.get("/conversations/{conversation_id}", response_model=ConversationOut, responses=_CONVERSATION_404,
            summary="One conversation with its contact")
async def get_conversation(caller: Caller, conversation_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return (await inbox.get_conversation(session, caller.actor, conversation_id)).wire()


@router.get("/conversations/{conversation_id}/messages", response_model=ConversationMessagePage,
            responses=_CONVERSATION_404,
            summary="Messages, oldest first: the newest page first, `cursor` for the ones before")
async def list_messages(caller: Caller, conversation_id: str, limit: Limit = 50,
                        cursor: Cursor = None) -> dict[str, Any]:
    async with db.session() as session:
        return (await inbox.list_messages(session, caller.actor, conversation_id, limit=limit, cursor=cursor)).wire()


@router.post("/conversations/{conversation_id}/messages", status_code=201, response_model=ConversationMessageOut,
             summary="An operator reply, delivered to the widget at once (shown as \"API\")",
             responses={**_CONVERSATION_404, 422: {"description": "`message_empty`, `message_too_long`, "
                                                                  "`nul_character`, `invalid_unicode`"}},
             openapi_extra={tenancy.PROBE_BODY: {"text": "hi"}})
async def reply(caller: Caller, conversation_id: str, body: ReplyIn, request: Request,
                idempotency_key: IdempotencyKeyHeader = None) -> Response:
    actor = caller.actor

    async def produce(attempt: Attempt) -> JSONResponse:
        async with db.session() as session:
            message = await conversations.reply(session, actor, conversation_id, body.text)
        return JSONResponse(message.wire(), status_code=201)

    return await idempotent(request, caller.organization.id, produce)


@router.post("/conversations/{conversation_id}/attachments", status_code=201, response_model=ConversationMessageOut,
             openapi_extra=MULTIPART_FILE,
             summary="An operator reply with a file (image or PDF, up to 10 MB): `file` and optional `text` of a "
                     "multipart/form-data body",
             responses={**_CONVERSATION_404, 413: {"description": "`attachment_too_large`: nothing is stored"},
                        415: {"description": "`unsupported_attachment_type`, `attachment_type_mismatch`: nothing is "
                                             "stored"},
                        422: {"description": "`file_required`, `empty_attachment`"}})
async def reply_with_file(caller: Caller, conversation_id: str, request: Request) -> JSONResponse:
    actor = caller.actor
    async with db.session() as session:
        await inbox.get_conversation(session, actor, conversation_id)  # 404 before reading any upload
    upload = await read_upload(request, attachments.MAX_ATTACHMENT_BYTES, attachments.AttachmentTooLarge)
    checked = attachments.check(upload.filename, upload.data)
    async with db.session() as session:
        message = await conversations.reply(session, actor, conversation_id, upload.text, checked)
    return JSONResponse(message.wire(), status_code=201)


@router.get("/conversations/{conversation_id}/attachments/{attachment_id}", response_class=FileResponse,
            summary="A file of the conversation (images inline, PDFs as downloads)",
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/gif": {}, "image/webp": {},
                                         "application/pdf": {}}},
                       404: {"description": "`attachment_not_found`"}})
async def get_attachment(caller: Caller, conversation_id: str, attachment_id: str) -> FileResponse:
    async with db.session() as session:
        found = await attachments.open_for_operator(session, caller.actor, attachment_id, conversation_id)
    return attachment_response(found)


async def _status(caller: ApiCaller, conversation_id: str, status: str) -> dict[str, Any]:
    async with db.session() as session:
        return (await conversations.set_status(session, caller.actor, conversation_id, status)).wire()


@router.post("/conversations/{conversation_id}/escalate", response_model=ConversationOut, responses=_CONVERSATION_404,
             summary="Hand the conversation to a human")
async def escalate(caller: Caller, conversation_id: str) -> dict[str, Any]:
    return await _status(caller, conversation_id, "escalated")


@router.post("/conversations/{conversation_id}/resolve", response_model=ConversationOut, responses=_CONVERSATION_404,
             summary="Mark it resolved (a new contact message reopens it)")
async def resolve(caller: Caller, conversation_id: str) -> dict[str, Any]:
    return await _status(caller, conversation_id, "resolved")


@router.post("/conversations/{conversation_id}/reopen", response_model=ConversationOut, responses=_CONVERSATION_404,
             summary="Back to unresolved")
async def reopen(caller: Caller, conversation_id: str) -> dict[str, Any]:
    return await _status(caller, conversation_id, "unresolved")


@router.post("/conversations/{conversation_id}/read", status_code=204, responses=_CONVERSATION_404,
             summary="Mark every contact message read (unreadCount to 0)")
async def mark_read(caller: Caller, conversation_id: str) -> Response:
    async with db.session() as session:
        await inbox.mark_read(session, caller.actor, conversation_id)
    return Response(status_code=204)


@router.get("/conversations/{conversation_id}/contact", response_model=ContactPanel, responses=_CONVERSATION_404,
            summary="The contact and their other conversations")
async def contact(caller: Caller, conversation_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return (await inbox.contact_panel(session, caller.actor, conversation_id)).wire()


_SAVED_REPLY_404 = {404: {"description": "`saved_reply_not_found`"}}


@router.get("/saved-replies", response_model=SavedReplyList, tags=["saved replies"],
            summary="Saved replies, by shortcut")
async def list_saved_replies(caller: Caller, prefix: Annotated[str | None, Query(
        max_length=40, description="Only shortcuts starting with this.")] = None) -> dict[str, Any]:
    async with db.session() as session:
        return (await saved_replies.list_saved_replies(session, caller.actor, prefix)).wire()


@router.post("/saved-replies", status_code=201, response_model=SavedReplyOut, tags=["saved replies"],
             summary="Save a reply under a shortcut",
             responses={409: {"description": "`saved_reply_shortcut_taken`"},
                        422: {"description": "`invalid_shortcut`, `message_empty`, `message_too_long`"}})
async def create_saved_reply(caller: Caller, body: SavedReplyIn) -> JSONResponse:
    async with db.session() as session:
        created = await saved_replies.create_saved_reply(session, caller.actor, body.shortcut, body.text)
    return JSONResponse(created.wire(), status_code=201)


@router.get("/saved-replies/{saved_reply_id}", response_model=SavedReplyOut, tags=["saved replies"],
            responses=_SAVED_REPLY_404, summary="One saved reply")
async def get_saved_reply(caller: Caller, saved_reply_id: str) -> dict[str, Any]:
    async with db.session() as session:
        return (await saved_replies.get_saved_reply(session, caller.actor, saved_reply_id)).wire()


@router.patch("/saved-replies/{saved_reply_id}", response_model=SavedReplyOut, tags=["saved replies"],
              responses={**_SAVED_REPLY_404, 409: {"description": "`saved_reply_shortcut_taken`"}},
              summary="Change its shortcut or text", openapi_extra={tenancy.PROBE_BODY: {"text": "changed"}})
async def update_saved_reply(caller: Caller, saved_reply_id: str, body: SavedReplyPatch) -> dict[str, Any]:
    async with db.session() as session:
        return (await saved_replies.update_saved_reply(session, caller.actor, saved_reply_id,
                                                       shortcut=body.shortcut, text=body.text)).wire()


@router.delete("/saved-replies/{saved_reply_id}", status_code=204, tags=["saved replies"], responses=_SAVED_REPLY_404,
               summary="Delete it")
async def delete_saved_reply(caller: Caller, saved_reply_id: str) -> Response:
    async with db.session() as session:
        await saved_replies.delete_saved_reply(session, caller.actor, saved_reply_id)
    return Response(status_code=204)
