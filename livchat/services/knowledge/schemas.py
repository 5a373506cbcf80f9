"""The one wire shape of the knowledge base's objects (camelCase), used by the REST API, the bus
events the dashboard follows, and the agent's search tool (API.md "Knowledge base")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from livchat.models.enums import FileStatus
from livchat.models.support import KnowledgeFile
from livchat.services.knowledge.store import Hit

MAX_SEARCH_LIMIT = 20
DEFAULT_SEARCH_LIMIT = 5


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


def _rfc3339(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


_FILE_EXAMPLE = {
    "id": "kf_01jd8z6q3w4x5y6z7a8b9c0d1e", "filename": "returns-policy.pdf", "contentType": "application/pdf",
    "sizeBytes": 48213, "sourceUrl": None, "status": "processing", "stage": "embed", "progress": 61,
    "chunkCount": 0, "error": None, "errorCode": None, "embedder": None,
    "createdAt": "2026-01-15T12:00:00Z", "updatedAt": "2026-01-15T12:00:04Z",
}


class KnowledgeFileOut(_Camel):
    model_config = ConfigDict(json_schema_extra={"examples": [_FILE_EXAMPLE]})

    id: str
    filename: str = Field(description="The uploaded file's name, or an imported page's title.")
    content_type: str = Field(description="The type read from the file's bytes (not the one declared).")
    size_bytes: int
    source_url: str | None = Field(description="The address of a page imported by URL.")
    status: Literal["processing", "ready", "failed"]
    stage: str = Field(description="queued | extract | chunk | embed | write | done")
    progress: int = Field(ge=0, le=100, description="Percent of the ingestion done.")
    chunk_count: int = Field(description="Passages indexed (when ready).")
    error: str | None = Field(description="Why it failed, in English.")
    error_code: str | None = Field(description="A stable reason (`no_text`, `embedding_failed`, …) to translate.")
    embedder: str | None = Field(description="The embedder its passages were indexed with.")
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, row: KnowledgeFile) -> KnowledgeFileOut:
        status = "processing" if row.status in (FileStatus.PENDING, FileStatus.PROCESSING) else row.status
        return cls(id=row.id, filename=row.filename, content_type=row.content_type, size_bytes=row.size_bytes,
                   source_url=row.source_url, status=status, stage=row.stage, progress=row.progress,
                   chunk_count=row.chunk_count, error=row.error, error_code=row.error_code,
                   embedder=row.embedder, created_at=_rfc3339(row.created_at) or "",
                   updated_at=_rfc3339(row.updated_at) or "")

    def wire(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)


class KnowledgeFilePage(_Camel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [_FILE_EXAMPLE], "nextCursor": None}]})

    data: list[KnowledgeFileOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class KnowledgeUrlIn(_Camel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"url": "https://example.com/help/returns"}]})

    url: str = Field(max_length=2000, examples=["https://example.com/help/returns"])


_HIT_EXAMPLE = {
    "fileId": "kf_01jd8z6q3w4x5y6z7a8b9c0d1e", "filename": "returns-policy.pdf",
    "chunkId": "kf_01jd8z6q3w4x5y6z7a8b9c0d1e:3", "heading": "Returns > Refunds",
    "text": "Refunds are paid to the original card within 7 business days of the return arriving.",
    "score": 0.98, "similarity": 0.71,
}


class SearchHitOut(_Camel):
    """One passage found. `chunkId` (`<fileId>:<index>`) is what an answer cites."""

    model_config = ConfigDict(json_schema_extra={"examples": [_HIT_EXAMPLE]})

    file_id: str
    filename: str
    chunk_id: str
    heading: str = Field(description="The headings the passage sits under, `A > B`; empty if none.")
    text: str
    score: float = Field(description="Rank fusion of the meaning and word matches, 0–1 (1: first in both).")
    similarity: float | None = Field(description="Cosine similarity of meaning to the query, when the "
                                                 "vector search could run: a measure of relevance.")

    @classmethod
    def of(cls, hit: Hit) -> SearchHitOut:
        return cls(file_id=hit.file_id, filename=hit.filename, chunk_id=hit.chunk_id, heading=hit.heading,
                   text=hit.text, score=hit.score,
                   similarity=None if hit.similarity is None else round(hit.similarity, 4))


class SearchResults(_Camel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [_HIT_EXAMPLE]}]})

    data: list[SearchHitOut]
