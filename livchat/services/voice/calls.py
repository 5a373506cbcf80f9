"""The widget's web calls, recorded in the visitor's conversation.

The browser starts the call itself (`@vapi-ai/web` with the organization's public key); it tells
us the Vapi call id as soon as Vapi created it (`claim`) and again when the call is over
(`record`). We never take the browser's word for anything but the id: the call is read from Vapi
(GET /call/{id}, with the private key) and must be a web call of the organization's chosen
assistant. The first contact session to name a call owns it: another session naming the same id
gets NotFound, like an id that does not exist, so a visitor can never read someone else's call.

Once Vapi says the call ended, a system message with its duration, how it ended, the summary and
the transcript goes into the visitor's conversation (once per call), where operators see it in the
inbox. Vapi fills the summary a few seconds after the end: `record` may be called again until then.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.i18n import translate
from livchat.integrations import vapi
from livchat.models import VoiceCall
from livchat.services.actors import Actor
from livchat.services.errors import NotFound
from livchat.services.support import conversations
from livchat.services.voice import connection
from livchat.services.voice.schemas import VoiceCallOut
from livchat.services.widget.sessions import Visitor

WEB_CALL = "webCall"
ENDED = "ended"
_CALL_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
RECORD_TEXT_LIMIT = conversations.MAX_TEXT_LENGTH


def _out(row: VoiceCall) -> VoiceCallOut:
    return VoiceCallOut(id=row.id, vapi_call_id=row.vapi_call_id, conversation_id=row.conversation_id,
                        status=row.status, ended_reason=row.ended_reason, duration_seconds=row.duration_seconds,
                        cost=row.cost, summary=row.summary or "", transcript=row.transcript or "",
                        recording_url=row.recording_url or "", started_at=row.started_at, ended_at=row.ended_at,
                        recorded=row.message_id is not None)


def _checked_id(call_id: Any) -> str:
    if not isinstance(call_id, str) or not _CALL_ID.match(call_id):
        raise NotFound("call_not_found")
    return call_id


async def _row(session: AsyncSession, organization_id: str, call_id: str) -> VoiceCall | None:
    return (await session.exec(select(VoiceCall).where(VoiceCall.organization_id == organization_id,
                                                       VoiceCall.vapi_call_id == call_id))).first()


async def _vapi_call(session: AsyncSession, organization_id: str, call_id: str, assistant_id: str) -> vapi.Call:
    """The call as Vapi tells it, if it is a web call of `assistant_id`; NotFound otherwise."""
    _, keys = await connection.connected_keys(session, organization_id)
    await session.commit()  # nothing held open while Vapi answers
    try:
        call: vapi.Call = await connection.call_vapi(vapi.get_call(connection.config_for(keys.private_key), call_id))
    except NotFound:
        raise NotFound("call_not_found") from None
    if call.id != call_id or call.type != WEB_CALL or not assistant_id or call.assistant_id != assistant_id:
        raise NotFound("call_not_found")
    return call


async def _claimed(session: AsyncSession, visitor: Visitor, call_id: str) -> tuple[VoiceCall | None, str]:
    """The visitor's row for the call (None when nobody claimed it yet) and the assistant it must be of."""
    row = await _row(session, visitor.organization_id, call_id)
    if row is not None and row.contact_session_id != visitor.contact_session_id:
        raise NotFound("call_not_found")
    if row is not None:
        return row, row.assistant_id
    voice = await connection.widget_voice(session, visitor.organization_id)
    if voice is None:
        raise connection.VoiceNotConnected("vapi_not_connected")
    return None, voice.assistant_id


def _apply(row: VoiceCall, call: vapi.Call) -> None:
    row.status, row.ended_reason = call.status[:40], call.ended_reason[:200]
    row.started_at, row.ended_at, row.duration_seconds = call.started_at, call.ended_at, call.duration_seconds
    row.cost, row.summary, row.transcript = call.cost, call.summary or None, call.transcript or None
    row.recording_url = call.recording_url[:2000] or None
    row.updated_at = utcnow()


async def _store(session: AsyncSession, visitor: Visitor, call_id: str, call: vapi.Call) -> VoiceCall:
    """Insert or update the visitor's row for the call (a concurrent claim by another session wins)."""
    row = await _row(session, visitor.organization_id, call_id)
    if row is None:
        row = VoiceCall(id=new_id("vcall"), organization_id=visitor.organization_id, vapi_call_id=call_id,
                        contact_session_id=visitor.contact_session_id, assistant_id=call.assistant_id)
    elif row.contact_session_id != visitor.contact_session_id:
        raise NotFound("call_not_found")
    _apply(row, call)
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise NotFound("call_not_found") from None
    return row


async def claim(session: AsyncSession, visitor: Visitor, call_id: Any) -> VoiceCallOut:
    """The browser's call has an id: check it with Vapi and make it this visitor's. Commits."""
    call_id = _checked_id(call_id)
    _, assistant_id = await _claimed(session, visitor, call_id)
    call = await _vapi_call(session, visitor.organization_id, call_id, assistant_id)
    return _out(await _store(session, visitor, call_id, call))


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}:{rest:02d}"


def record_text(row: VoiceCall, language: str) -> str:
    """The conversation's record of an ended call, in the visitor's language, within a message's size."""
    lines = [translate("voice.record.title", language),
             translate("voice.record.duration", language, duration=_duration(row.duration_seconds))]
    if row.ended_reason:
        lines.append(translate("voice.record.ended_reason", language, reason=row.ended_reason))
    if row.summary:
        lines.append(translate("voice.record.summary", language) + " " + row.summary.strip())
    text = "\n".join(lines)
    if row.transcript:
        head = "\n\n" + translate("voice.record.transcript", language) + "\n"
        room = RECORD_TEXT_LIMIT - len(text) - len(head)
        transcript = row.transcript.strip()
        if room > 20:
            text += head + (transcript if len(transcript) <= room else transcript[:room - 1] + "…")
    return text[:RECORD_TEXT_LIMIT]


async def record(session: AsyncSession, visitor: Visitor, call_id: Any) -> VoiceCallOut:
    """The browser says the call is over: read it from Vapi, keep what it says, and once Vapi reports
    it ended, put its record in the visitor's conversation (once). `recorded` is False while Vapi
    has not finished it: call again a little later. Commits."""
    call_id = _checked_id(call_id)
    _, assistant_id = await _claimed(session, visitor, call_id)
    call = await _vapi_call(session, visitor.organization_id, call_id, assistant_id)
    row = await _store(session, visitor, call_id, call)
    if row.status != ENDED or row.message_id is not None:
        return _out(row)
    metadata = {"voiceCall": {"id": row.id, "vapiCallId": row.vapi_call_id, "status": row.status,
                              "endedReason": row.ended_reason, "durationSeconds": row.duration_seconds,
                              "recordingUrl": row.recording_url or ""}}
    message = await conversations.post_contact_record(session, visitor.ref, record_text(row, visitor.language),
                                                      metadata, once=f"voice:{row.vapi_call_id}")
    row = await _row(session, visitor.organization_id, call_id) or row
    if message is not None:
        row.message_id, row.conversation_id = message.id, message.conversation_id
        session.add(row)
        await session.commit()
    return _out(row)


async def get(session: AsyncSession, actor: Actor, voice_call_id: Any) -> VoiceCallOut:
    """A recorded call of the actor's organization (NotFound for any other id)."""
    actor.require("read")
    if not isinstance(voice_call_id, str):
        raise NotFound("call_not_found")
    row = await session.get(VoiceCall, voice_call_id)
    if row is None or row.organization_id != actor.organization_id:
        raise NotFound("call_not_found")
    return _out(row)


async def of_conversation(session: AsyncSession, actor: Actor, conversation_id: str) -> list[VoiceCallOut]:
    """The calls recorded in one of the organization's conversations, oldest first."""
    actor.require("read")
    rows = (await session.exec(select(VoiceCall).where(VoiceCall.organization_id == actor.organization_id,
                                                       VoiceCall.conversation_id == conversation_id)
                               .order_by(col(VoiceCall.created_at)))).all()
    return [_out(r) for r in rows]
