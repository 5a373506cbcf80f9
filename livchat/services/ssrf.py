"""Refuse webhook URLs that would make our server call into private networks (SSRF).

A URL must be http(s) and every address its host resolves to must be public: no private,
loopback, link-local, multicast, reserved, unspecified, shared (CGNAT) or cloud-metadata address.
It is checked when a URL is saved and again before every send (DNS answers can change).
LIVCHAT_WEBHOOK_ALLOW_PRIVATE=1 lifts the address rule for development and tests.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from livchat.core.settings import get_settings
from livchat.services.errors import InvalidInput

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


class UnsafeWebhookUrl(InvalidInput):
    """The URL is not http(s), does not resolve, or resolves to a non-public address."""

    code = "unsafe_webhook_url"


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
    """Host and port of a well-formed http(s) URL, or UnsafeWebhookUrl."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeWebhookUrl("webhook URL is empty or longer than 2000 characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeWebhookUrl(f"webhook URL is malformed: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeWebhookUrl("webhook URL must start with http:// or https://")
    if not parts.hostname:
        raise UnsafeWebhookUrl("webhook URL has no host")
    if parts.username or parts.password:
        raise UnsafeWebhookUrl("webhook URL must not carry credentials")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeWebhookUrl(f"webhook host {host!r} does not resolve") from exc
    # Strip an IPv6 zone ("fe80::1%eth0") before parsing.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def check_webhook_url(url: str) -> str:
    """Return the URL, trimmed, if it is safe to post to now; otherwise raise UnsafeWebhookUrl."""
    host, port = parse_webhook_url(url)
    if get_settings().webhook_allow_private:
        return url.strip()
    addresses = await resolve(host, port)
    refused = sorted({str(a) for a in addresses if not is_public_address(a)})
    if refused or not addresses:
        raise UnsafeWebhookUrl(
            f"webhook host {host!r} resolves to a non-public address ({', '.join(refused) or 'none'}); "
            "only public addresses are allowed"
        )
    return url.strip()
