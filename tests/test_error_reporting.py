"""Errors reach Sentry through the real SDK, posted to a local server speaking Sentry's envelope
protocol (what sentry.io would receive)."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator

import pytest
import sentry_sdk
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from livchat.core.error_reporting import init_error_reporting
from livchat.core.settings import reset_settings_cache
from livchat.sandbox.testing import serve_in_thread


class FakeSentry:
    def __init__(self) -> None:
        self.envelopes: list[list[dict]] = []
        self.arrived = threading.Event()

    async def envelope(self, request: Request) -> JSONResponse:
        raw = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        items = []
        for line in raw.splitlines():
            try:
                items.append(json.loads(line))
            except ValueError:
                continue  # attachment payloads
        self.envelopes.append(items)
        self.arrived.set()
        return JSONResponse({"id": "0" * 32})


@pytest.fixture
def fake_sentry(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeSentry, str]]:
    fake = FakeSentry()
    app = Starlette(routes=[Route("/api/{project}/envelope/", fake.envelope, methods=["POST"])])
    with serve_in_thread(app) as base:
        host = base.removeprefix("http://")
        yield fake, f"http://publickey@{host}/42"
    sentry_sdk.init(dsn=None)  # leave the process without a client for the other tests
    reset_settings_cache()


def test_an_exception_is_reported_with_our_release(fake_sentry, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    fake, dsn = fake_sentry
    monkeypatch.setenv("SENTRY_DSN", dsn)
    reset_settings_cache()
    assert init_error_reporting() is True
    try:
        raise RuntimeError("boom for sentry")
    except RuntimeError as exc:
        sentry_sdk.capture_exception(exc)
    sentry_sdk.flush(timeout=10)
    assert fake.arrived.wait(10)
    events = [item for envelope in fake.envelopes for item in envelope if "exception" in item]
    assert events, fake.envelopes
    exception = events[0]["exception"]["values"][0]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "boom for sentry")
    assert events[0]["release"].startswith("livchat@")
    frames = exception["stacktrace"]["frames"]
    assert frames and all("vars" not in frame for frame in frames)  # locals may hold secrets


def test_without_a_dsn_nothing_is_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTRY_DSN", "")
    reset_settings_cache()
    before = sentry_sdk.get_client()
    assert init_error_reporting() is False
    assert sentry_sdk.get_client() is before
