"""Embedders behind one interface: the deterministic hashed one, the real offline USE model (one
test), and OpenAI's API through the SDK against the fake server (base64 on the wire)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from livchat.services.knowledge import embedders
from livchat.services.knowledge.embedders import (
    EmbeddingUnavailable,
    HashedEmbedder,
    OpenAIEmbedder,
    UseEmbedder,
    get_embedder,
)
from tests.fakes.openai_server import FakeOpenAI, hashed_vector
from tests.knowledge.conftest import Environment


async def test_hashed_embedder_is_deterministic_across_processes_and_ignores_accents() -> None:
    embedder = HashedEmbedder()
    texts = ["Política de devolução", "politica de devolucao", "shipping takes three days"]
    vectors = np.asarray(await embedder.embed(texts))
    assert vectors.shape == (3, 384) and embedder.dimension == 384
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[1])  # folded before hashing
    assert float(vectors[0] @ vectors[2]) < 0.3
    again = subprocess.run([sys.executable, "-c", (
        "import asyncio, json; from livchat.services.knowledge.embedders import HashedEmbedder; "
        "print(json.dumps(asyncio.run(HashedEmbedder().embed(['Política de devolução']))[0]))")],
        capture_output=True, text=True, check=True)
    assert np.allclose(np.asarray(json.loads(again.stdout)), vectors[0])  # same in another process (no hash seed)


async def test_the_offline_use_model_embeds_multilingual_meaning() -> None:
    """The real model, offline, from its PyPI package (about 1 s to load)."""
    embedder = UseEmbedder()
    await embedder.warm()
    vectors = np.asarray(await embedder.embed([
        "Como faço para devolver um produto?", "Quero trocar ou devolver o que comprei",
        "Qual o horário de funcionamento da loja?", "How do I return an item?"]))
    assert vectors.shape == (4, 512) and embedder.id.startswith("use-m3@")
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]  # a paraphrase beats another topic
    assert vectors[3] @ vectors[0] > vectors[3] @ vectors[2]  # across languages too


async def test_openai_embedder_batches_through_the_sdk_in_base64(fake_openai: FakeOpenAI, env: Environment) -> None:
    env.set(**fake_openai.environment(), OPENAI_EMBEDDING_MODEL="text-embedding-3-small")
    embedder = OpenAIEmbedder("text-embedding-3-small")
    embedder.batch_size = 3
    texts = [f"passage {n} about devolução" for n in range(7)] + [""]
    vectors = await embedder.embed(texts)
    assert len(vectors) == 8 and embedder.dimension == 1536  # a known model's size, not asked
    requests = fake_openai.embeddings.requests
    assert [len(r["input"]) for r in requests] == [3, 3, 2]  # batched
    assert {r["encoding_format"] for r in requests} == {"base64"} and requests[0]["model"] == "text-embedding-3-small"
    assert requests[-1]["input"][-1] == " "  # the API refuses an empty string
    assert vectors[4] == pytest.approx(hashed_vector("passage 4 about devolução", 64), abs=1e-6)
    assert fake_openai.requests[0]["headers"]["authorization"] == "Bearer sk-test-fake"


async def test_a_compatible_servers_model_has_its_size_measured(fake_openai: FakeOpenAI, env: Environment) -> None:
    env.set(**fake_openai.environment())
    fake_openai.embeddings.dimension = 48
    embedder = OpenAIEmbedder("local-embedder")
    await embedder.warm()
    assert embedder.dimension == 48 and embedder.id == "openai:local-embedder"


async def test_an_api_failure_is_embedding_unavailable(fake_openai: FakeOpenAI, env: Environment) -> None:
    env.set(**fake_openai.environment())
    fake_openai.fail_next("/v1/embeddings", status=401, message="Incorrect API key", type="invalid_request_error")
    with pytest.raises(EmbeddingUnavailable, match="Incorrect API key"):
        await OpenAIEmbedder("text-embedding-3-small").embed(["x"])


def test_the_setting_chooses_the_embedder(env: Environment) -> None:
    env.set(LIVCHAT_EMBEDDER="auto", OPENAI_API_KEY="")
    assert isinstance(get_embedder(), UseEmbedder)
    env.set(OPENAI_API_KEY="sk-x", OPENAI_EMBEDDING_MODEL="text-embedding-3-large")
    chosen = get_embedder()
    assert isinstance(chosen, OpenAIEmbedder) and chosen.id == "openai:text-embedding-3-large"
    assert chosen.dimension == 3072
    env.set(LIVCHAT_EMBEDDER="hashed")
    assert isinstance(get_embedder(), HashedEmbedder)
    env.set(LIVCHAT_EMBEDDER="use")
    assert get_embedder() is get_embedder() and embedders.configured_choice() == "use"
