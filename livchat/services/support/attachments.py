"""Files sent in a conversation: images and PDFs, checked before anything is stored, kept in
private storage (services/storage.py: under data_dir, or a private bucket; never Reflex's public
upload folder), and handed out only to the conversation's contact session and its organization's
operators (as a file, or a redirect to a short-lived presigned URL).

- `check(filename, data)`: the size limit, the type sniffed from the bytes (the client's
  Content-Type is ignored), and a file name whose extension agrees with that type — a PDF
  renamed `.png` is refused. Raises before any row or file exists.
- `open_for_operator` / `open_for_contact` / `open_signed`: the file of one attachment, or
  NotFound (another organization's, another contact's, a forged or expired link all look alike).
- `signed_url(attachment_id)`: a link that works without credentials for about an hour, for
  `<img src>` in the widget and the inbox (HMAC over the id and the expiry).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import sign, verify_signature
from livchat.core.settings import get_settings
from livchat.core.storage import BadKey, Served
from livchat.models import ConversationAttachment
from livchat.models.support import Conversation
from livchat.services import storage
from livchat.services.actors import Actor
from livchat.services.errors import InvalidInput, NotFound, ServiceError
from livchat.services.support.ids import is_id

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_FILENAME_LENGTH = 120
SIGNED_PURPOSE = "conversation-attachment"
SIGNED_LINK_HOURS = 1  # links last until the end of the next full hour: stable within an hour

# The types we accept, with the extensions a file of that type may carry.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jfif"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
}


class AttachmentTooLarge(ServiceError):
    code = "attachment_too_large"
    status = 413


class UnsupportedAttachmentType(ServiceError):
    code = "unsupported_attachment_type"
    status = 415


class AttachmentTypeMismatch(UnsupportedAttachmentType):
    """The bytes are an allowed type, but the file name claims another one."""

    code = "attachment_type_mismatch"


def sniff(data: bytes) -> str | None:
    """The content type the bytes themselves declare, among the ones we accept."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    # A PDF's header may follow some junk within the first KB (readers accept that).
    if b"%PDF-" in data[:1024]:
        return "application/pdf"
    return None


def clean_filename(filename: str | None, content_type: str) -> str:
    """A display name that is safe in a header and a file system: no folders, no control or
    format characters, no quotes, at most 120 characters, ending in an extension of its type."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = re.sub(r'["<>:|?*;]', "_", name).strip().strip(".") or "file"
    stem, dot, extension = name.rpartition(".")
    extensions = EXTENSIONS[content_type]
    if not dot or f".{extension.lower()}" not in extensions:
        stem, extension = name, extensions[0].lstrip(".")
    stem = stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip() or "file"
    return f"{stem}.{extension.lower()}"


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    content_type: str
    data: bytes
    sha256: str

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def check(filename: str | None, data: bytes) -> CheckedUpload:
    """Refuse what we do not keep, before anything is stored."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentTooLarge()
    if not data:
        raise InvalidInput("empty_attachment")
    if filename is not None and ("\x00" in filename or len(filename) > 1000):
        raise InvalidInput("invalid_filename")
    content_type = sniff(data)
    if content_type is None:
        raise UnsupportedAttachmentType()
    extension = (filename or "").rpartition(".")[2].lower() if "." in (filename or "") else ""
    if extension and f".{extension}" not in EXTENSIONS[content_type]:
        known = {e for exts in EXTENSIONS.values() for e in exts}
        # A name that claims another accepted type (`.png` on a PDF) is a lie; anything else
        # (`.bin`, `.tmp`) is only a poor name and is replaced by the right extension.
        if f".{extension}" in known:
            raise AttachmentTypeMismatch()
    return CheckedUpload(filename=clean_filename(filename, content_type), content_type=content_type, data=data,
                         sha256=hashlib.sha256(data).hexdigest())


# --- storage ------------------------------------------------------------------------------------


def storage_root() -> Path:
    """Where the files are with LIVCHAT_STORAGE=local."""
    return get_settings().data_dir / storage.ATTACHMENTS


async def store(upload: CheckedUpload, organization_id: str, attachment_id: str) -> str:
    """Store the bytes and return the storage key (the row's `storage_key`)."""
    key = f"{organization_id}/{attachment_id}"
    await storage.storage_for(storage.ATTACHMENTS).put(key, upload.data, upload.content_type)
    return key


async def discard(storage_key: str) -> None:
    """Remove a stored file whose row never committed (best effort: we are already failing)."""
    with contextlib.suppress(Exception):
        await storage.storage_for(storage.ATTACHMENTS).delete(storage_key)


# --- serving ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentFile:
    served: Served  # a local path, or a presigned URL made only now that the caller is authorized
    filename: str
    content_type: str
    size_bytes: int
    sha256: str

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


async def _file(row: ConversationAttachment | None) -> AttachmentFile:
    if row is None:
        raise NotFound("attachment_not_found")
    try:
        served = await storage.storage_for(storage.ATTACHMENTS).serve(
            row.storage_key, content_type=row.content_type, filename=row.filename,
            inline=row.content_type.startswith("image/"))
    except (FileNotFoundError, BadKey):
        raise NotFound("attachment_not_found") from None
    return AttachmentFile(served=served, filename=row.filename, content_type=row.content_type,
                          size_bytes=row.size_bytes, sha256=row.sha256)


async def open_for_operator(session: AsyncSession, actor: Actor, attachment_id: str,
                            conversation_id: str | None = None) -> AttachmentFile:
    actor.require("read")
    if not is_id(attachment_id) or (conversation_id is not None and not is_id(conversation_id)):
        raise NotFound("attachment_not_found")
    query = select(ConversationAttachment).where(ConversationAttachment.id == attachment_id,
                                                 ConversationAttachment.organization_id == actor.organization_id)
    if conversation_id is not None:
        query = query.where(ConversationAttachment.conversation_id == conversation_id)
    return await _file((await session.exec(query)).first())


async def open_for_contact(session: AsyncSession, organization_id: str, contact_session_id: str,
                           attachment_id: str) -> AttachmentFile:
    """Only an attachment of the contact session's own conversation."""
    if not is_id(attachment_id):
        raise NotFound("attachment_not_found")
    query = (select(ConversationAttachment)
             .join(Conversation, col(Conversation.id) == ConversationAttachment.conversation_id)
             .where(ConversationAttachment.id == attachment_id,
                    ConversationAttachment.organization_id == organization_id,
                    Conversation.contact_session_id == contact_session_id))
    return await _file((await session.exec(query)).first())


def link_expiry(now: datetime | None = None) -> int:
    """The end of the next full hour (epoch seconds): a link made now lasts 1–2 hours, and every
    link made within one hour is the same string (no churn in a UI's state)."""
    now = now or datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    return int((hour + timedelta(hours=SIGNED_LINK_HOURS + 1)).timestamp())


def signed_query(attachment_id: str, now: datetime | None = None) -> str:
    expires = link_expiry(now)
    return f"expires={expires}&signature={sign(SIGNED_PURPOSE, f'{attachment_id}.{expires}')}"


def signed_url(attachment_id: str) -> str:
    base = get_settings().public_url.rstrip("/")
    return f"{base}/api/widget/attachments/{attachment_id}?{signed_query(attachment_id)}"


def api_url(conversation_id: str, attachment_id: str) -> str:
    base = get_settings().public_url.rstrip("/")
    return f"{base}/api/v1/conversations/{conversation_id}/attachments/{attachment_id}"


async def open_signed(session: AsyncSession, attachment_id: str, expires: int | str | None,
                      signature: str | None) -> AttachmentFile:
    try:
        expiry = int(expires or 0)
    except (TypeError, ValueError):
        raise NotFound("attachment_not_found") from None
    if (not is_id(attachment_id) or not signature or len(signature) > 100 or expiry < datetime.now(UTC).timestamp()
            or not verify_signature(SIGNED_PURPOSE, f"{attachment_id}.{expiry}", signature)):
        raise NotFound("attachment_not_found")
    return await _file(await session.get(ConversationAttachment, attachment_id))
