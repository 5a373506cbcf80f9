"""`ssrf.safe_transport`: the address that is checked is the address connected to, TLS still
verifies the hostname, and proxies from the environment are not used."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from webhook_helpers import FakeDNS

from bench.webhook_receiver import Receiver
from livchat.core import http_stream
from livchat.core.ssrf import UnsafeUrl, safe_client, safe_transport


def _certificate(tmp: Path) -> tuple[Path, Path, bytes]:
    """A self-signed certificate for the name `localhost` only (not for 127.0.0.1)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp / "cert.pem").write_bytes(pem)
    (tmp / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    return tmp / "cert.pem", tmp / "key.pem", pem


@pytest.fixture
async def tls_receiver(tmp_path: Path) -> AsyncIterator[tuple[Receiver, ssl.SSLContext, list[str | None]]]:
    cert, key, pem = _certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    sni: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: sni.append(name)  # type: ignore[func-returns-value]
    receiver = await Receiver(tls=server_context).start()
    yield receiver, ssl.create_default_context(cadata=pem.decode()), sni
    await receiver.stop()


async def test_https_to_a_hostname_is_pinned_yet_sni_host_and_certificate_name_are_the_hostname(
        tls_receiver: tuple[Receiver, ssl.SSLContext, list[str | None]]) -> None:
    receiver, trust, sni = tls_receiver
    async with httpx.AsyncClient(transport=safe_transport(allow_private=True, verify=trust), trust_env=False) as client:
        # `localhost` may resolve to ::1 first: nothing listens there, the next checked address is tried.
        response = await client.post(receiver.url_at("localhost"), content=b"{}")
        assert response.status_code == 200 and response.json() == {"ok": True}
        assert sni == ["localhost"]
        assert receiver.requests[0].headers["host"] == f"localhost:{receiver.port}"
        # The certificate is checked against the name in the URL, not the address connected to.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.post(receiver.url, content=b"{}")
    assert receiver.count == 1


async def test_a_private_answer_is_refused_before_any_connection(receiver: Receiver,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from livchat.core.settings import reset_settings_cache

    monkeypatch.delenv("LIVCHAT_WEBHOOK_ALLOW_PRIVATE", raising=False)
    reset_settings_cache()
    async with safe_client(timeout=5) as client:  # allow_private=None: follows the setting
        for url in (receiver.url, receiver.url_at("localhost")):
            with pytest.raises(UnsafeUrl, match=r"non-public address \(.*127\.0\.0\.1"):
                await client.post(url, content=b"{}")
        monkeypatch.setenv("LIVCHAT_WEBHOOK_ALLOW_PRIVATE", "1")
        reset_settings_cache()
        assert (await client.post(receiver.url, content=b"{}")).status_code == 200
    reset_settings_cache()
    assert receiver.count == 1


async def test_each_connection_resolves_once_and_connects_to_that_answer(
        receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebinding name answers a public address, then 127.0.0.1: only the first answer, the one
    that was checked, is connected to (and that public address is not our receiver)."""
    dns = FakeDNS(monkeypatch, {"rebind.example": ["93.184.216.34", "127.0.0.1"]})
    async with safe_client(timeout=1, allow_private=False) as client:
        with pytest.raises(httpx.TransportError):
            await client.post(receiver.url_at("rebind.example"), content=b"{}")
        assert dns.queries == ["rebind.example"]
        # The name now answers 127.0.0.1, and that answer is checked, too.
        with pytest.raises(UnsafeUrl):
            await client.post(receiver.url_at("rebind.example"), content=b"{}")
    assert receiver.count == 0


async def test_proxies_from_the_environment_are_not_used(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = await Receiver().start()  # it would see any request sent through the "proxy"
    try:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with httpx.AsyncClient() as plain:  # the control: httpx's default honours them
            await plain.post(receiver.url, content=b"{}")
        assert proxy.count == 1 and receiver.count == 0
        async with safe_client(timeout=5, allow_private=True) as client:
            assert (await client.post(receiver.url, content=b"{}")).status_code == 200
        assert proxy.count == 1 and receiver.count == 1
    finally:
        await proxy.stop()



async def test_a_keep_alive_connection_the_server_closed_is_not_reused() -> None:
    """httpcore asks an idle connection whether it is readable before reusing it: closed by the
    server (or bytes nobody asked for) means a new connection, not a request into a dead one."""
    closed = asyncio.Event()

    async def answer_once_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")  # keep-alive, then it hangs up
        await writer.drain()
        writer.close()
        closed.set()

    server = await asyncio.start_server(answer_once_then_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with safe_client(timeout=5, allow_private=True) as client:
            for _ in range(3):  # each request finds its connection closed and opens another
                closed.clear()
                assert (await client.get(f"http://127.0.0.1:{port}/")).text == "ok"
                await closed.wait()
        stream = await http_stream.connect("127.0.0.1", port, timeout=5)
        await stream.write(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        assert await _read_all(stream) == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
        assert stream.get_extra_info("is_readable") is True
        await stream.aclose()
    finally:
        server.close()
        await server.wait_closed()


async def _read_all(stream: http_stream.AsyncioStream) -> bytes:
    data = b""
    while chunk := await stream.read(65536, timeout=5):
        data += chunk
    return data


@pytest.mark.parametrize(("url", "reason"), [
    ("", "length"), ("https://exa mple.com/h", "characters"), ("http://[::1/h", "malformed"),
    ("ftp://example.com/h", "scheme"), ("https://user:pw@example.com/h", "credentials"),
    ("https://nothing-here.invalid/h", "unresolvable"), ("http://127.0.0.1:9/h", "not_public"),
])
async def test_every_refusal_has_a_reason_the_dashboard_translates(url: str, reason: str) -> None:
    from livchat.core import ssrf
    from livchat.i18n import CATALOGUES

    with pytest.raises(ssrf.UnsafeUrl) as refused:
        await ssrf.check_public_url(url)
    assert refused.value.reason == reason
    assert all(f"dashboard_whatsapp.url_refused.{reason}" in catalogue for catalogue in CATALOGUES.values())
