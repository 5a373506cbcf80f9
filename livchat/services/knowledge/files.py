"""The knowledge base's files: upload, import a page by URL, list, get, delete.

An upload is checked before anything is kept: its size, its kind (from its bytes), and that it
can be read at all (not damaged, not password-protected, not empty, not a scanned PDF without
text). A refused file leaves nothing behind: no stored copy, no row, no chunks. An accepted one
is stored privately, gets a `pending` row, and the ingestion workers take it from there
(ingestion.py); it answers at once with the row (API: 202).

Mutations require `manage_knowledge`, reads `read` (services/actors.py).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlmodel import select

from livchat.core.db import db
from livchat.core.events import bus
from livchat.core.ids import new_id
from livchat.core.settings import get_settings
from livchat.core.text import without_control_characters
from livchat.models.enums import FileStatus
from livchat.models.support import KnowledgeFile
from livchat.services.actors import Actor
from livchat.services.errors import NotFound
from livchat.services.knowledge import extract, ingestion, storage, store, threads
from livchat.services.knowledge.errors import FileTooLarge
from livchat.services.knowledge.events import KnowledgeFileChanged
from livchat.services.knowledge.fetch import fetch_page
from livchat.services.knowledge.schemas import KnowledgeFileOut
from livchat.services.pagination import newest_first

MAX_FILENAME = 255
FILE_ID_PREFIX = "kf"


def too_large() -> FileTooLarge:
    return FileTooLarge("too_large", limit_mb=f"{get_settings().knowledge_max_file_mb:g}")


def clean_filename(name: str | None, fallback: str = "document") -> str:
    """The last path component, without control characters, at most 255 characters."""
    base = re.split(r"[\\/]", without_control_characters(name or ""))[-1].strip()
    return (base or fallback)[:MAX_FILENAME]


def _validate(data: bytes, filename: str, declared_type: str | None) -> tuple[extract.Kind, str]:
    """(kind, title) of a readable file, or the error that refuses it. Runs in a worker thread."""
    kind = extract.sniff(data, filename, declared_type)
    if kind == "pdf":
        extract.probe(data, kind)
        return kind, ""
    return kind, extract.extract(data, kind).title  # cheap for the other kinds: read it all now


async def upload_file(actor: Actor, filename: str | None, data: bytes, declared_type: str | None = None,
                      *, source_url: str | None = None) -> KnowledgeFileOut:
    """Check, store and queue one file (see the module's docstring)."""
    actor.require("manage_knowledge")
    if len(data) > get_settings().knowledge_max_file_bytes:
        raise too_large()
    name = clean_filename(filename)
    kind, title = await threads.run_in(threads.EXTRACT, _validate, data, name, declared_type)
    if source_url is not None:
        name = clean_filename(title, fallback=name) if title else name
    return await _keep(actor, name, kind, data, source_url)


async def import_url(actor: Actor, url: str) -> KnowledgeFileOut:
    """Fetch one page (or a file) through the SSRF guard and add it like an upload; its name is
    the page's title. Refused addresses and failed fetches (422) store nothing."""
    actor.require("manage_knowledge")
    settings = get_settings()
    page = await fetch_page(url, max_bytes=settings.knowledge_max_file_bytes,
                            seconds=settings.knowledge_url_fetch_seconds)
    data = page.data
    if page.charset and not data.startswith(b"%PDF-"):
        # Kept as UTF-8, so the ingestion job (which only has the bytes) reads it the same way.
        text = extract.decode_text(data, page.charset)
        if text is not None:
            data = text.encode("utf-8")
    return await upload_file(actor, page.name, data, page.content_type, source_url=page.url)


async def _keep(actor: Actor, name: str, kind: extract.Kind, data: bytes, source_url: str | None) -> KnowledgeFileOut:
    file_id = new_id(FILE_ID_PREFIX)
    key = storage.storage_key(actor.organization_id, file_id)
    files = storage.get_storage()
    await files.put(key, data)  # first the bytes: a crash before the row leaves only an unseen file
    try:
        async with db.session() as session:
            row = KnowledgeFile(id=file_id, organization_id=actor.organization_id, filename=name,
                                content_type=extract.CONTENT_TYPES[kind], size_bytes=len(data),
                                sha256=hashlib.sha256(data).hexdigest(), storage_key=key, source_url=source_url,
                                status=FileStatus.PENDING, stage="queued", progress=0,
                                uploaded_by_user_id=actor.user_id)
            session.add(row)
            await session.commit()
    except BaseException:
        await files.delete(key)
        raise
    out = KnowledgeFileOut.of(row)
    await bus.publish(KnowledgeFileChanged(organization_id=actor.organization_id, file_id=file_id, file=out.wire()))
    ingestion.wake()
    return out


async def list_files(actor: Actor, *, limit: int = 50, cursor: str | None = None) -> tuple[list[KnowledgeFileOut], str | None]:
    actor.require("read")
    async with db.session() as session:
        query = select(KnowledgeFile).where(KnowledgeFile.organization_id == actor.organization_id)
        rows, next_cursor = await newest_first(session, query, KnowledgeFile.id, limit=limit, cursor=cursor)
    return [KnowledgeFileOut.of(r) for r in rows], next_cursor


async def _scoped(session: Any, organization_id: str, file_id: str) -> KnowledgeFile:
    row = (await session.exec(select(KnowledgeFile).where(
        KnowledgeFile.id == file_id, KnowledgeFile.organization_id == organization_id))).first()
    if row is None:
        raise NotFound("not_found")
    return row


async def get_file(actor: Actor, file_id: str) -> KnowledgeFileOut:
    actor.require("read")
    async with db.session() as session:
        return KnowledgeFileOut.of(await _scoped(session, actor.organization_id, file_id))


async def delete_file(actor: Actor, file_id: str) -> None:
    """The row first (the file is gone for every reader at once), then its chunks and stored copy.
    A job still ingesting it notices and drops what it wrote; start-up sweeps any chunk left over."""
    actor.require("manage_knowledge")
    async with db.session() as session:
        row = await _scoped(session, actor.organization_id, file_id)
        key = row.storage_key
        await session.delete(row)
        await session.commit()
    await store.delete_file(actor.organization_id, file_id)
    await storage.get_storage().delete(key)
    await bus.publish(KnowledgeFileChanged(organization_id=actor.organization_id, file_id=file_id, file=None))


async def reindex_all(actor: Actor) -> int:
    """Index every ready file of the organization again from its stored copy (the dashboard's
    "re-index all"; start-up does the same by itself when the embedder changed). How many files
    were queued; search finds less until the workers are done."""
    actor.require("manage_knowledge")
    return await ingestion.reindex_organization(actor.organization_id)
