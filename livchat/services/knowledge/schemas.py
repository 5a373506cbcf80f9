"""The one wire shape of the knowledge base's objects (camelCase), used by the REST API, the bus
events the dashboard follows, and the agent's search tool (API.md "Knowledge base")."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from livchat.models.enums import FileStatus
from livchat.models.support import KnowledgeFile
from livchat.services.knowledge.store import Hit
from livchat.services.schemas import CamelModel, Example, Timestamp

MAX_SEARCH_LIMIT = 20
DEFAULT_SEARCH_LIMIT = 5


_FILE_EXAMPLE: Example = {
    "id": "kf_01jd8z6q3w4x5y6z7a8b9c0d1e", "filename": "returns-policy.pdf", "contentType": "application/pdf",
    "sizeBytes": 48213, "sourceUrl": None, "status": "processing", "stage": "embed", "progress": 61,
    "chunkCount": 0, "error": None, "errorCode": None, "embedder": None,
    "createdAt": "2026-01-15T12:00:00Z", "updatedAt": "2026-01-15T12:00:04Z",
}


class KnowledgeFileOut(CamelModel):
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
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, row: KnowledgeFile) -> KnowledgeFileOut:
        """The row's wire shape; a file waiting for a worker is `processing` (stage `queued`) too."""
        status = "processing" if row.status in (FileStatus.PENDING, FileStatus.PROCESSING) else row.status
        return cls.model_validate({**row.model_dump(), "status": status})


class KnowledgeFilePage(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [_FILE_EXAMPLE], "nextCursor": None}]})

    data: list[KnowledgeFileOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class KnowledgeUrlIn(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"url": "https://example.com/help/returns"}]})

    url: str = Field(max_length=2000, examples=["https://example.com/help/returns"])


_HIT_EXAMPLE: Example = {
    "fileId": "kf_01jd8z6q3w4x5y6z7a8b9c0d1e", "filename": "returns-policy.pdf",
    "chunkId": "kf_01jd8z6q3w4x5y6z7a8b9c0d1e:3", "heading": "Returns > Refunds",
    "text": "Refunds are paid to the original card within 7 business days of the return arriving.",
    "score": 0.98, "similarity": 0.71,
}


class SearchHitOut(CamelModel):
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


class SearchResults(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [_HIT_EXAMPLE]}]})

    data: list[SearchHitOut]
