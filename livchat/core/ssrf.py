"""Refuse URLs that would make our server call into private networks (SSRF).

A URL must be http(s) and every address its host resolves to must be public: no private,
loopback, link-local, multicast, reserved, unspecified, shared (CGNAT) or cloud-metadata address.
`check_webhook_url` judges a URL when it is saved. Sending goes through `safe_client()` (or
`safe_transport()`, or `safe_pool()` under both), which resolves the host itself on every new
connection, checks the answer and connects to exactly that address, so a DNS answer that
changes between check and connect (DNS rebinding) cannot reach a private address.
LIVCHAT_WEBHOOK_ALLOW_PRIVATE=1 lifts the address rule for development and tests.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from livchat.core import http_stream
from livchat.core.settings import get_settings
from livchat.core.text import has_control_characters

MAX_URL_LENGTH = 2000
# Cloud metadata services that are not already inside a refused range (the IPv4 one,
# 169.254.169.254, is link-local; these are listed so the refusal is explicit either way).
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack
    "169.254.170.2",  # AWS ECS task metadata
    "fd00:ec2::254",  # AWS IMDS over IPv6
    "100.100.100.200",  # Alibaba Cloud
    "192.0.0.192",  # Oracle Cloud
))


class UnsafeUrl(ValueError):
    """The URL is not http(s), does not resolve, or resolves to a non-public address. `reason` is
    a stable code (the detail is English, for the API): length, characters, malformed, scheme,
    credentials, unresolvable or not_public. Services turn it into their own error
    (`services.webhooks.endpoints.UnsafeUrl`)."""

    def __init__(self, detail: str, reason: str = "not_public") -> None:
        super().__init__(detail)
        self.detail = detail
        self.reason = reason


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv6 form of an IPv4 address (::ffff:127.0.0.1, 6to4) is judged as that address.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public_address(embedded)
    if address in METADATA_ADDRESSES:
        return False
    refused = (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
               or address.is_reserved or address.is_unspecified)
    # is_global also rules out the shared (100.64.0.0/10) and documentation ranges.
    return address.is_global and not refused


def parse_webhook_url(url: str) -> tuple[str, int]:
    """Host and port of a well-formed http(s) URL, or UnsafeUrl."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl("webhook URL is empty or longer than 2000 characters", "length")
    if any(c.isspace() for c in url) or has_control_characters(url):
        raise UnsafeUrl("webhook URL must not contain spaces or control characters", "characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"webhook URL is malformed: {exc}", "malformed") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("webhook URL must start with http:// or https://", "scheme")
    if not parts.hostname:
        raise UnsafeUrl("webhook URL has no host", "malformed")
    if parts.username or parts.password:
        raise UnsafeUrl("webhook URL must not carry credentials", "credentials")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"webhook host {host!r} does not resolve", "unresolvable") from exc
    # Strip an IPv6 zone ("fe80::1%eth0") before parsing.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def refuse_non_public(host: str, addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> None:
    refused = sorted({str(a) for a in addresses if not is_public_address(a)})
    if refused or not addresses:
        raise UnsafeUrl(
            f"host {host!r} resolves to a non-public address ({', '.join(refused) or 'none'}); "
            "only public addresses are allowed"
        )


async def check_public_url(url: str) -> str:
    """Return the URL, trimmed, if it is safe to post to now; otherwise raise UnsafeUrl."""
    host, port = parse_webhook_url(url)
    if not get_settings().webhook_allow_private:
        refuse_non_public(host, await resolve(host, port))
    return url.strip()


# --- sending: connect only to the address that was checked -----------------------------------

class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host, refuses a non-public answer, and connects to exactly the addresses it
    checked. httpcore still hands the hostname to TLS (SNI and certificate verification) and to
    the Host header: only the socket's destination is pinned."""

    def __init__(self, allow_private: bool | None) -> None:
        self._allow_private = allow_private

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host!r} timed out") from None
        except UnsafeUrl as exc:  # no answer: a connection failure like any other
            raise httpcore.ConnectError(exc.detail) from None
        allow = get_settings().webhook_allow_private if self._allow_private is None else self._allow_private
        if not allow:
            refuse_non_public(host, addresses)
        failure: Exception = httpcore.ConnectError(f"no address to connect to for {host!r}")
        for address in dict.fromkeys(addresses):  # getaddrinfo's order, each address once
            try:
                return await http_stream.connect(str(address), port, timeout)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed here")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~20 ms: once per process, not once per client.
    return httpx.create_ssl_context()


DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


def safe_pool(*, allow_private: bool | None = None, verify: ssl.SSLContext | bool = True,
              limits: httpx.Limits = DEFAULT_LIMITS) -> httpcore.AsyncConnectionPool:
    """The httpcore connection pool under `safe_transport()`, for a hot path that speaks httpcore
    directly (the webhook dispatcher: httpx's request and response models cost about as much CPU
    as the rest of a small POST). httpcore uses no proxy and follows no redirect."""
    context = _default_ssl_context() if verify is True else httpx.create_ssl_context(verify=verify)
    return httpcore.AsyncConnectionPool(
        ssl_context=context, max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
        network_backend=_PinnedBackend(allow_private))


class _PinnedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, pool: httpcore.AsyncConnectionPool) -> None:
        super().__init__(verify=_default_ssl_context())  # builds a pool, replaced by ours
        self._pool = pool


def safe_transport(*, allow_private: bool | None = None, verify: ssl.SSLContext | bool = True,
                   limits: httpx.Limits = DEFAULT_LIMITS) -> httpx.AsyncBaseTransport:
    """An httpx transport that refuses to connect to a non-public address (checked on every new
    connection, redirects included) and connects to the very address it checked.

    `allow_private=None` follows LIVCHAT_WEBHOOK_ALLOW_PRIVATE at connect time. A refused address
    raises `UnsafeUrl` out of the request (not an httpx error: catch it to tell the caller
    why); a host that does not resolve is an `httpx.ConnectError`. Use it with `trust_env=False`
    (or just `safe_client()`), or a proxy from the environment would carry the request instead.
    """
    return _PinnedTransport(safe_pool(allow_private=allow_private, verify=verify, limits=limits))


def safe_client(*, timeout: float, allow_private: bool | None = None, limits: httpx.Limits = DEFAULT_LIMITS,
                **options: Any) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` on `safe_transport()` that ignores proxy environment variables.
    `options` go to the client (follow_redirects, headers...); redirects are not followed by default."""
    options.setdefault("follow_redirects", False)
    return httpx.AsyncClient(transport=safe_transport(allow_private=allow_private, limits=limits),
                             timeout=timeout, trust_env=False, **options)
