"""What the knowledge base tells the rest of the app (live, after commit: the dashboard's feed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livchat.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class KnowledgeFileChanged(DomainEvent):
    """A file was added, moved on in its ingestion (stage or progress, throttled to a few a second),
    became ready or failed, or was deleted (`file` is None then). `file` is its KnowledgeFileOut
    wire shape, so a page can show it without a query."""

    file_id: str
    file: dict[str, Any] | None
