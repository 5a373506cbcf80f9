"""Sandbox test helpers: a sandbox factory with a fast configuration, an injectable clock, and a
webhook receiver served over a real socket that records exactly what it was sent."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from livchat.sandbox.config import SandboxConfig
from livchat.sandbox.engine import Sandbox
from livchat.sandbox.testing import serve_in_thread

ADMIN_TOKEN = "sandbox-admin-token-for-tests"


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def fast_config(db_path: Path, **overrides: object) -> SandboxConfig:
    values: dict[str, object] = {"db_path": db_path, "admin_token": ADMIN_TOKEN, "connect_wait_s": 0.05,
                                 "retry_delay_s": 0.01, "webhook_timeout_s": 5.0,
                                 "allow_private_media": True}
    values.update(overrides)
    return SandboxConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def make_sandbox(tmp_path: Path) -> Callable[..., Sandbox]:
    def factory(**overrides: object) -> Sandbox:
        return Sandbox(fast_config(tmp_path / "sandbox.db", **overrides))

    return factory


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]


@dataclass
class WebhookReceiver:
    url: str = ""
    fail_first: int = 0  # answer 500 to this many requests before accepting
    requests: list[Received] = field(default_factory=list)
    attempts: int = 0
    attempt_times: list[float] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self._cond:
            self.attempts += 1
            self.attempt_times.append(time.monotonic())
            if self.attempts <= self.fail_first:
                return Response("try later", status_code=500)
            self.requests.append(Received(body, {k.lower(): v for k, v in request.headers.items()}))
            self._cond.notify_all()
        return Response("ok")

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until `count` deliveries were accepted (bounded); return them."""
        return self.wait_until(lambda got: len(got) >= count, timeout)

    def wait_until(self, done: Callable[[list[Received]], bool], timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not done(self.requests):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"webhook deliveries never matched; got {len(self.requests)}")
                self._cond.wait(remaining)
            return list(self.requests)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    app = Starlette(routes=[Route("/hook", hook.endpoint, methods=["POST"])])
    with serve_in_thread(app) as base:
        hook.url = base + "/hook"
        yield hook
