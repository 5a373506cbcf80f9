"""Dashboard → Knowledge base: the organization's files and imported pages with their live ingestion
progress, upload (through /api/knowledge/files, see api/knowledge_uploads.py), import by URL,
delete, re-index all, and a search box to try queries.

Members see everything; changing takes `manage_knowledge` (admins, owners), which the services
check (the controls are only hidden here). Handlers that touch LanceDB or the network (search,
import, delete, re-index) are background tasks: the tab's lock is held only in `async with self`.
Errors are kept as a catalogue key (`error`) and its text in both languages, since some carry
parameters (a size limit) that `t()` cannot fill in the browser.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import reflex as rx

from livchat.core.settings import get_settings
from livchat.i18n import EN, translate
from livchat.services.errors import ServiceError
from livchat.services.knowledge import files, search
from livchat.services.knowledge.errors import KnowledgeError
from livchat.services.knowledge.extract import CONTENT_TYPES, MAX_TEXT_CHARS
from livchat.services.knowledge.schemas import KnowledgeFileOut, SearchHitOut
from livchat.state.auth import authorized, current_context
from livchat.state.times import when

T = TypeVar("T")

MANAGE = "manage_knowledge"
PAGE_SIZE = 50
SEARCH_LIMIT = 5
UNEXPECTED = "dashboard_whatsapp.errors.unexpected"
KIND_LABELS = {"pdf": "PDF", "docx": "DOCX", "html": "HTML", "markdown": "Markdown", "text": "TXT"}
_KIND_OF_TYPE = {content_type: KIND_LABELS[kind] for kind, content_type in CONTENT_TYPES.items()}
ERROR_DOMAINS = ("knowledge", "agent", "accounts", "dashboard_whatsapp", "whatsapp")


def reason_params(reason: str) -> dict[str, str]:
    """The parameters of a reason's text, from the settings (a file row keeps only the reason)."""
    if reason == "too_large":
        return {"limit_mb": f"{get_settings().knowledge_max_file_mb:g}"}
    if reason == "too_much_text":
        return {"limit": f"{MAX_TEXT_CHARS:,}"}
    return {}


def texts(key: str, params: dict[str, Any] | None = None) -> tuple[str, str]:
    """(English, Portuguese) of a catalogue key with its parameters."""
    params = params or {}
    try:
        return translate(key, "en", **params), translate(key, "pt-BR", **params)
    except (KeyError, IndexError):  # a parameter the text needs is missing: the text without it
        return EN.get(key, key), translate(key, "pt-BR")


def code_key(*codes: str) -> str:
    for code in codes:
        for domain in ERROR_DOMAINS:
            if f"{domain}.errors.{code}" in EN:
                return f"{domain}.errors.{code}"
    return UNEXPECTED


def error_of(exc: ServiceError) -> tuple[str, dict[str, Any]]:
    """The catalogue key (and its parameters) that says why a service refused, most precise first."""
    if isinstance(exc, KnowledgeError) and f"knowledge.reasons.{exc.reason}" in EN:
        return f"knowledge.reasons.{exc.reason}", dict(exc.params)
    return code_key(exc.detail, exc.code), {}


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def file_row(out: KnowledgeFileOut) -> dict[str, str]:
    error_en = error_pt = out.error or ""
    if out.error_code and f"knowledge.reasons.{out.error_code}" in EN:
        error_en, error_pt = texts(f"knowledge.reasons.{out.error_code}", reason_params(out.error_code))
    return {"id": out.id, "name": out.filename, "kind": _KIND_OF_TYPE.get(out.content_type, out.content_type),
            "size": human_size(out.size_bytes), "status": out.status, "stage": out.stage,
            "progress": str(out.progress), "chunks": str(out.chunk_count), "added": when(out.created_at),
            "source_url": out.source_url or "", "error_en": error_en, "error_pt": error_pt}


def hit_row(hit: SearchHitOut) -> dict[str, str]:
    return {"file": hit.filename, "heading": hit.heading, "text": hit.text[:600], "chunk": hit.chunk_id,
            "score": f"{hit.score:.3f}", "similarity": "" if hit.similarity is None else f"{hit.similarity:.3f}"}


class ErrorsMixin(rx.State, mixin=True):
    """An error (catalogue key, texts in both languages) and a notice (catalogue key)."""

    error: str = ""
    error_en: str = ""
    error_pt: str = ""
    notice: str = ""

    def _clear(self) -> None:
        self.error, self.error_en, self.error_pt, self.notice = "", "", "", ""

    def _show(self, key: str, params: dict[str, Any] | None = None) -> None:
        self.notice = ""
        self.error = key
        self.error_en, self.error_pt = texts(key, params)

    def _fail(self, exc: ServiceError) -> None:
        self._show(*error_of(exc))


class KnowledgeState(ErrorsMixin, rx.State):
    files: list[dict[str, str]] = []
    files_cursor: str = ""
    can_manage: bool = False
    loaded: bool = False  # the role is known (no "read only" flash for admins before it is)
    busy: str = ""  # the action under way: import | search | reindex | delete
    query: str = ""
    results: list[dict[str, str]] = []
    searched: bool = False

    async def _call(self, busy: str, work: Callable[[Any], Awaitable[T]]) -> tuple[Any, T | None, ServiceError | None]:
        """One background action: `busy` shown while the service runs outside the tab's lock. The
        context, the result and the error; the caller shows them under the lock."""
        async with self:
            self._clear()
            self.busy = busy
        ctx = await current_context(self)
        try:
            return ctx, await work(ctx), None
        except ServiceError as exc:
            return ctx, None, exc

    async def _reload(self, ctx: Any, *, keep_pages: bool = True) -> None:
        shown = max(PAGE_SIZE, len(self.files) if keep_pages else 0)
        rows, cursor = await files.list_files(ctx.actor, limit=shown)
        self.files, self.files_cursor = [file_row(r) for r in rows], cursor or ""

    @rx.event
    @authorized
    async def load(self) -> None:
        ctx = await current_context(self)
        self._clear()
        self.busy, self.results, self.searched = "", [], False
        self.can_manage, self.loaded = ctx.can(MANAGE), True
        await self._reload(ctx, keep_pages=False)

    @rx.event
    @authorized
    async def refresh(self) -> None:
        """The knowledge feed moved (a file added, progressing, ready, failed or deleted)."""
        await self._reload(await current_context(self))

    @rx.event
    @authorized
    async def load_more(self) -> None:
        ctx = await current_context(self)
        if not self.files_cursor:
            return
        rows, cursor = await files.list_files(ctx.actor, limit=PAGE_SIZE, cursor=self.files_cursor)
        self.files = self.files + [file_row(r) for r in rows]
        self.files_cursor = cursor or ""

    @rx.event
    @authorized
    async def upload_finished(self, result: dict) -> None:
        """What POST /api/knowledge/files answered the page (`status`, `code`, `reason`): only
        says so; the file itself (if accepted) arrives through the feed and the list."""
        ctx = await current_context(self)
        status, code, reason = result.get("status"), str(result.get("code") or ""), str(result.get("reason") or "")
        if status == 202:
            self._clear()
            self.notice = "knowledge_page.notice.uploaded"
            await self._reload(ctx)
        elif code == "no_file":
            self._show("knowledge_page.errors.no_file")
        elif f"knowledge.reasons.{reason}" in EN:
            self._show(f"knowledge.reasons.{reason}", reason_params(reason))
        elif code in ("file_required", "invalid_multipart"):
            self._show("knowledge_page.errors.no_file")
        else:
            self._show(code_key(code))

    @rx.event(background=True)
    @authorized
    async def import_url(self, form_data: dict):
        """Fetches the page (through the SSRF guard), so in the background."""
        url = str(form_data.get("url") or "").strip()
        ctx, _, error = await self._call("import", lambda ctx: files.import_url(ctx.actor, url))
        async with self:
            self.busy = ""
            if error is not None:
                self._fail(error)
                return None
            self.notice = "knowledge_page.notice.imported"
            await self._reload(ctx)
        return rx.set_value("kb-url", "")

    @rx.event(background=True)
    @authorized
    async def delete(self, file_id: str) -> None:
        ctx, _, error = await self._call("delete", lambda ctx: files.delete_file(ctx.actor, file_id))
        async with self:
            self.busy = ""
            if error is not None:
                self._fail(error)
            else:
                self.notice = "knowledge_page.notice.deleted"
                self.results = [r for r in self.results if not r["chunk"].startswith(f"{file_id}:")]
            await self._reload(ctx)

    @rx.event(background=True)
    @authorized
    async def reindex(self) -> None:
        ctx, _, error = await self._call("reindex", lambda ctx: files.reindex_all(ctx.actor))
        async with self:
            self.busy = ""
            if error is not None:
                self._fail(error)
            else:
                self.notice = "knowledge_page.notice.reindexing"
            await self._reload(ctx)

    @rx.event(background=True)
    @authorized
    async def search(self, form_data: dict) -> None:
        """Embeds the query and searches LanceDB, so in the background."""
        query = str(form_data.get("query") or "")
        async with self:
            self.query = query[:1000]
        _, hits, error = await self._call("search", lambda ctx: search.search(ctx.actor, query, SEARCH_LIMIT))
        async with self:
            self.busy = ""
            if error is not None:
                self._fail(error)
                self.results, self.searched = [], False
            else:
                self.results, self.searched = [hit_row(h) for h in hits or []], True
