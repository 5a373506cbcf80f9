"""Agent fixtures: the tests' hashed embedder and a LanceDB directory of the test's own, the fake
OpenAI server, and the desk's responder swapped for the agent under test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.agent_support import Environment
from tests.fakes.openai_server import _fake_openai_session, fake_openai  # noqa: F401


@pytest.fixture(autouse=True)
def env(tmp_path: Path) -> Iterator[Environment]:
    environment = Environment()
    environment.set(LIVCHAT_EMBEDDER="hashed", LIVCHAT_LANCEDB_URI=str(tmp_path / "lancedb"), LIVCHAT_AGENT="auto",
                    LIVCHAT_SUPPORT_RESPONDER="auto")
    yield environment
    environment.restore()
