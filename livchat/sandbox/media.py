"""Media given by URL to `/chat/send/{image,audio,video,document}`: WuzAPI fetches it server-side
with a size cap and an SSRF guard (contract §5), so the sandbox does too — a URL that would fail
against the real gateway fails here, before anything is "sent".

Private, loopback and link-local addresses are refused, as WuzAPI refuses them, unless the sandbox
runs with `allow_private_media` (SANDBOX_ALLOW_PRIVATE_MEDIA=1, for media served on a laptop).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from livchat.sandbox.engine import GatewayError
from livchat.services import ssrf

MB = 1024 * 1024
# WhatsApp's own ceilings: 16 MB for image, audio and video, 100 MB for documents.
MAX_MEDIA_BYTES = {"image": 16 * MB, "audio": 16 * MB, "video": 16 * MB, "document": 100 * MB}
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class FetchedMedia:
    size: int
    mime_type: str


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


async def fetch(url: str, kind: str, *, allow_private: bool, timeout: float) -> FetchedMedia:
    """Download the media (bounded), checking every hop's address; a GatewayError(400) otherwise.
    A client per fetch: sends by URL are rare, and a client is bound to the loop that made it."""
    async with httpx.AsyncClient(timeout=timeout) as client:
        return await _fetch(client, url, MAX_MEDIA_BYTES[kind], allow_private)


async def _fetch(client: httpx.AsyncClient, url: str, limit: int, allow_private: bool) -> FetchedMedia:
    for _ in range(MAX_REDIRECTS + 1):
        await _check_address(url, allow_private)
        try:
            async with client.stream("GET", url, follow_redirects=False) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise GatewayError(400, f"failed to fetch media from URL: HTTP {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise GatewayError(400, f"media from URL exceeds {limit // MB} MB")
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise GatewayError(400, f"media from URL exceeds {limit // MB} MB")
                if size == 0:
                    raise GatewayError(400, "failed to fetch media from URL: empty body")
                mime = response.headers.get("content-type", "").split(";", 1)[0].strip()
                return FetchedMedia(size, mime or "application/octet-stream")
        except httpx.HTTPError as exc:
            raise GatewayError(400, f"failed to fetch media from URL: {type(exc).__name__}") from None
    raise GatewayError(400, "failed to fetch media from URL: too many redirects")


async def _check_address(url: str, allow_private: bool) -> None:
    try:
        host, port = ssrf.parse_webhook_url(url)
        if allow_private:
            return
        addresses = await ssrf.resolve(host, port)
    except ssrf.UnsafeWebhookUrl:
        raise GatewayError(400, "failed to fetch media from URL: invalid or unresolvable URL") from None
    if not addresses or not all(ssrf.is_public_address(a) for a in addresses):
        raise GatewayError(400, "failed to fetch media from URL: address not allowed")
