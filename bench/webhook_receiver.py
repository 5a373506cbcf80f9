"""A small webhook receiver on 127.0.0.1 speaking plain HTTP/1.1 (keep-alive), for tests and the bench.

It records every request (headers, body, arrival time), answers with a status code that can be
changed at run time, can be slowed down (`delay` before answering, `dribble`: the answer one
byte at a time, `body_dribble`: only its body), can serve TLS, and can be stopped (connection
refused) and restarted on the same port. `GET /stats` answers `{"count": n, "arrivals": {webhook-id: [epoch seconds, ...]}}`
so another process can read what arrived.

`python -m bench.webhook_receiver PORT` runs one until killed.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.time()

    def json(self) -> dict:  # type: ignore[type-arg]
        return json.loads(self.body)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    status: int = 200
    delay: float = 0.0  # seconds before answering: a slow endpoint
    dribble: float = 0.0  # seconds between the bytes of the answer: slow but never silent
    body_dribble: float = 0.0  # the same for the body only, after the status and headers went at once
    tls: ssl.SSLContext | None = None  # serve https
    response_body: bytes = b'{"ok":true}'
    keep_records: bool = True
    requests: list[Received] = field(default_factory=list)
    count: int = 0
    arrivals: dict[str, list[float]] = field(default_factory=dict)
    _server: asyncio.Server | None = None
    _changed: asyncio.Condition | None = None
    _connections: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        return self.url_at("127.0.0.1")

    def url_at(self, host: str) -> str:
        """The hook's URL under another name for 127.0.0.1 (`localhost`, a name a test resolves)."""
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}/hook"

    async def start(self) -> Receiver:
        self._changed = self._changed or asyncio.Condition()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True,
                                                  backlog=1024, ssl=self.tls)
        return self

    async def stop(self) -> None:
        """Refuse connections from now on (and drop the open ones), like a crashed endpoint."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._connections):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def wait_for(self, condition: Callable[[Receiver], bool], timeout: float = 10.0) -> None:
        """Wait (bounded) until `condition(self)` holds; it is re-checked on every request."""
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: condition(self)), timeout)

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.requests]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if method == "GET" and path == "/stats":
                    payload = json.dumps({"count": self.count, "arrivals": self.arrivals}).encode()
                    writer.write(_response(200, payload))
                    await writer.drain()
                    continue
                await self._record(Received(headers, body, time.time()))
                if self.delay:
                    await asyncio.sleep(self.delay)  # simulated slowness, not synchronisation
                answer = _response(self.status, self.response_body)
                if self.dribble or self.body_dribble:
                    head_length = 0 if self.dribble else answer.index(b"\r\n\r\n") + 4
                    writer.write(answer[:head_length])
                    for n in range(head_length, len(answer)):
                        writer.write(answer[n:n + 1])
                        await writer.drain()
                        # simulated slowness, not synchronisation
                        await asyncio.sleep(self.dribble or self.body_dribble)
                else:
                    writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ssl.SSLError):
            pass
        finally:
            self._connections.discard(writer)
            writer.close()

    async def _record(self, received: Received) -> None:
        self.count += 1
        webhook_id = received.headers.get("webhook-id", "")
        self.arrivals.setdefault(webhook_id, []).append(received.at)
        if self.keep_records:
            self.requests.append(received)
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()


def _response(status: int, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            f"connection: keep-alive\r\n\r\n").encode() + body


async def _main(port: int) -> None:
    receiver = Receiver(port=port, keep_records=False)
    await receiver.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1])))
