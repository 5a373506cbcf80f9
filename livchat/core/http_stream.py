"""httpcore's network stream on a plain asyncio transport (what `ssrf.safe_transport` connects with).

httpcore's default stream (anyio's) wraps every read and write in a cancel scope and rebuilds a
dict of socket attributes each time the pool checks an idle connection: profiled on webhook
posts to a local receiver, that was about a fifth of the client's CPU per request.
"""

from __future__ import annotations

import asyncio
import select
import ssl
from typing import Any

import httpcore

READ_HIGH_WATER = 256 * 1024  # buffered unread bytes past which the socket stops being read


class _Protocol(asyncio.Protocol):
    """Buffers what arrives; lets one reader wait for more and one writer wait for room."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.closed = False  # end of stream or connection lost
        self.error: Exception | None = None
        self._data: asyncio.Future[None] | None = None
        self._room: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # asyncio hands over the Transport it made, typed Base

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > READ_HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake_reader()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed, self.error = True, exc
        self._wake_reader()
        self.resume_writing()

    def pause_writing(self) -> None:
        self._room = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._room is not None and not self._room.done():
            self._room.set_result(None)
        self._room = None

    def _wake_reader(self) -> None:
        if self._data is not None and not self._data.done():
            self._data.set_result(None)

    async def wait_for_data(self) -> None:
        self._data = asyncio.get_running_loop().create_future()
        await self._data

    async def wait_for_room(self) -> None:
        if self._room is not None:
            await self._room


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport, self._protocol = transport, protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        try:
            async with asyncio.timeout(timeout):
                while not protocol.buffer and not protocol.closed:
                    await protocol.wait_for_data()
        except TimeoutError:
            raise httpcore.ReadTimeout("read timed out") from None
        if not protocol.buffer and protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error) or type(protocol.error).__name__)
        data = bytes(protocol.buffer[:max_bytes])
        del protocol.buffer[:max_bytes]
        if len(protocol.buffer) <= READ_HIGH_WATER // 2 and not protocol.closed:
            self._transport.resume_reading()
        return data  # b"" once the peer has closed: the end of the stream

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._protocol.closed:
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        try:
            async with asyncio.timeout(timeout):
                await self._protocol.wait_for_room()
        except TimeoutError:
            raise httpcore.WriteTimeout("write timed out") from None
        if self._protocol.closed and self._protocol.error is not None:
            raise httpcore.WriteError(str(self._protocol.error))

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> AsyncioStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(self._transport, self._protocol, ssl_context,
                                                 server_hostname=server_hostname)
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from None
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        assert transport is not None
        self._protocol.transport = transport  # flow control goes through TLS now
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # asked of idle connections: closed by the peer, or stray bytes
            return self._protocol.closed or bool(self._protocol.buffer) or _readable(self._transport)
        names = {"ssl_object": "ssl_object", "client_addr": "sockname", "server_addr": "peername",
                 "socket": "socket"}
        return self._transport.get_extra_info(names[info]) if info in names else None


def _readable(transport: asyncio.Transport) -> bool:
    """What the event loop has not read yet: a close (or bytes) that just arrived."""
    sock = transport.get_extra_info("socket")
    if sock is None or sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    return bool(poller.poll(0))


async def connect(address: str, port: int, timeout: float | None = None) -> AsyncioStream:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            transport, protocol = await loop.create_connection(_Protocol, address, port)
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"connecting to {address} port {port} timed out") from None
    except OSError as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    return AsyncioStream(transport, protocol)
