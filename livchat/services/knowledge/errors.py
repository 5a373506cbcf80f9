"""Errors of the knowledge base. Each carries a stable API `code` (API.md) and a precise `reason`
(`knowledge.reasons.<reason>` in the catalogues, with its `params`): the detail is the English
text, `message(language)` the reader's. A refused upload or URL stores nothing."""

from __future__ import annotations

from livchat.i18n import translate
from livchat.services.errors import ServiceError


class KnowledgeError(ServiceError):
    def __init__(self, reason: str, **params: object) -> None:
        self.reason, self.params = reason, params
        super().__init__(translate(f"knowledge.reasons.{reason}", "en", **params))

    def message(self, language: str) -> str:
        return translate(f"knowledge.reasons.{self.reason}", language, **self.params)


class FileTooLarge(KnowledgeError):
    """reasons: too_large (limit_mb), too_much_text (limit)."""

    code = "file_too_large"
    status = 413


class UnsupportedFileType(KnowledgeError):
    """reasons: unsupported_type, legacy_office."""

    code = "unsupported_file_type"
    status = 415


class UnreadableFile(KnowledgeError):
    """reasons: empty, corrupt, encrypted, no_text (a scanned PDF)."""

    code = "unreadable_file"
    status = 422


class UnsafeKnowledgeUrl(KnowledgeError):
    code = "unsafe_url"
    status = 422


class UrlUnreachable(KnowledgeError):
    """reasons: url_unreachable, url_status (status), url_timeout."""

    code = "url_unreachable"
    status = 422


class IngestionFailed(KnowledgeError):
    """A file's background job gave up; its row is `failed` with this reason (never raised to a caller).
    reasons: embedding_failed, interrupted, file_missing, internal."""

    code = "ingestion_failed"
    status = 500
