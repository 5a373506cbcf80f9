"""What a transport failure means for a send, over real sockets: never reached WuzAPI (`NotSent`:
refused connection, pool or connect timeout) or written without an answer (`OutcomeUnknown`:
read timeout, connection dropped after the request). And the client always connects with
`Immediate: true`, so WuzAPI's 10 s wait never applies."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest

from livchat.integrations import wuzapi
from livchat.integrations.wuzapi import WuzapiClient
from livchat.sandbox.app import standalone_app
from livchat.sandbox.testing import serve_in_thread
from livchat.services import errors
from livchat.services.whatsapp.gateway import service_error
from tests.polling import eventually


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RawServer:
    """Accepts HTTP requests and, per `mode`, never answers ("hang") or reads the request and closes
    the connection without a reply ("drop"). Counts the requests it fully read."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests = 0
        self.release = asyncio.Event()
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        await reader.readexactly(length)
        self.requests += 1
        if self.mode == "hang":
            await self.release.wait()
        writer.close()


@pytest.fixture
async def raw_server(request: pytest.FixtureRequest) -> AsyncIterator[RawServer]:
    server = RawServer(request.param)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    yield server
    server.release.set()
    listener.close()
    await listener.wait_closed()


async def test_connection_refused_is_not_sent() -> None:
    async with WuzapiClient(f"http://127.0.0.1:{closed_port()}", "admin") as client:
        with pytest.raises(wuzapi.NotSent) as raised:
            await client.send_text("tok", "5511912345678", "hi")
    assert "was not sent" in raised.value.message
    assert isinstance(service_error(raised.value), errors.GatewayUnavailable)


@pytest.mark.parametrize("raw_server", ["hang"], indirect=True)
async def test_read_timeout_is_outcome_unknown_and_a_full_pool_is_not_sent(raw_server: RawServer) -> None:
    async with WuzapiClient(raw_server.url, "admin", timeout=0.3, pool_timeout=0.2, max_connections=1) as client:
        hanging = asyncio.create_task(client.send_text("tok", "5511912345678", "first"))
        # The first request is on the only connection.
        await eventually(lambda: raw_server.requests > 0, timeout=5, every=0.01, what="the first request")
        with pytest.raises(wuzapi.NotSent):  # no connection free within the pool timeout
            await client.send_text("tok", "5511912345678", "second")
        with pytest.raises(wuzapi.GatewayTimeout) as raised:
            await hanging
    assert raw_server.requests == 1  # the second one never reached the server
    assert isinstance(raised.value, wuzapi.OutcomeUnknown) and "outcome is unknown" in raised.value.message
    mapped = service_error(raised.value)
    assert isinstance(mapped, errors.GatewayTimeout) and mapped.status == 504


@pytest.mark.parametrize("raw_server", ["drop"], indirect=True)
async def test_dropped_after_the_request_is_outcome_unknown(raw_server: RawServer) -> None:
    async with WuzapiClient(raw_server.url, "admin") as client:
        with pytest.raises(wuzapi.ConnectionLost) as raised:
            await client.send_text("tok", "5511912345678", "hi")
    assert raw_server.requests == 1
    assert isinstance(raised.value, wuzapi.OutcomeUnknown) and not isinstance(raised.value, wuzapi.NotSent)
    assert isinstance(service_error(raised.value), errors.GatewayTimeout)


async def test_connect_always_sends_immediate(make_sandbox) -> None:  # type: ignore[no-untyped-def]
    """The sandbox waits 5 s on a connect without Immediate; the client's timeout is 1 s."""
    sandbox = make_sandbox(connect_wait_s=5.0)
    sandbox.create_user({"name": "shop", "token": "tok"})
    with serve_in_thread(standalone_app(sandbox)) as base:
        async with WuzapiClient(base, sandbox.config.admin_token, timeout=1.0) as client:
            started = time.monotonic()
            data = await client.connect("tok", ["Message"])
            assert data["details"] == "Connected!" and time.monotonic() - started < 1.0
            assert (await client.status("tok")).connected
