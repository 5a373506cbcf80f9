"""Search an organization's knowledge base: hybrid (meaning + words), accent-insensitive, only
ever its own table (store.py). `search` is the API's and the dashboard's (an actor with `read`);
`search_chunks` is the agent's, which answers for the organization itself."""

from __future__ import annotations

from sqlmodel import col, select

from livchat.core.db import db
from livchat.core.logging import get_logger
from livchat.models.support import KnowledgeFile
from livchat.services.actors import Actor
from livchat.services.errors import InvalidInput
from livchat.services.knowledge import store
from livchat.services.knowledge.embedders import EmbeddingUnavailable, get_embedder
from livchat.services.knowledge.schemas import (
    DEFAULT_SEARCH_LIMIT,
    MAX_SEARCH_LIMIT,
    SearchHitOut,
)

log = get_logger("knowledge")

MAX_QUERY_CHARS = 1000


async def search(actor: Actor, query: str, limit: int = DEFAULT_SEARCH_LIMIT) -> list[SearchHitOut]:
    actor.require("read")
    return await search_chunks(actor.organization_id, query, limit)


async def search_chunks(organization_id: str, query: str, limit: int = DEFAULT_SEARCH_LIMIT) -> list[SearchHitOut]:
    """The best `limit` (≤ 20) passages for `query`, best first. If the embedder is unreachable
    (OpenAI down) the search goes on with words alone rather than failing."""
    query = " ".join((query or "").split())
    if not query or len(query) > MAX_QUERY_CHARS:
        raise InvalidInput("invalid_query")
    limit = max(1, min(int(limit), MAX_SEARCH_LIMIT))
    embedder = get_embedder()
    vector = None
    try:
        vector = (await embedder.embed([query]))[0]
    except EmbeddingUnavailable as exc:
        log.warning("query embedding failed; searching by words only", extra={"error": str(exc)})
    hits = await store.search(organization_id, query, vector, embedder.id, limit)
    if not hits:
        return []
    # A file deleted a moment ago may still have chunks until its deletion finishes: never show them.
    async with db.session() as session:
        alive = set((await session.exec(select(KnowledgeFile.id).where(
            KnowledgeFile.organization_id == organization_id,
            col(KnowledgeFile.id).in_({h.file_id for h in hits})))).all())
    return [SearchHitOut.of(h) for h in hits if h.file_id in alive]
