"""Voice tests: VAPI_API_URL points at the local fake Vapi (tests/fakes/vapi_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.environment import environment
from tests.fakes import vapi_server
from tests.fakes.vapi_server import _fake_vapi_session, fake_vapi  # noqa: F401  (fixtures)


@pytest.fixture
def vapi_on(fake_vapi: vapi_server.FakeVapi) -> Iterator[vapi_server.FakeVapi]:  # noqa: F811
    with environment({"VAPI_API_URL": fake_vapi.base_url, "VAPI_TIMEOUT_SECONDS": "2"}):
        yield fake_vapi
