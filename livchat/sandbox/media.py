"""Media given by URL to `/chat/send/{image,audio,video,document}`: WuzAPI fetches it server-side
(`fetchURLBytes`: any 2xx, a per-kind size cap, redirects followed), so the sandbox does too — a
URL that would fail against the real gateway fails here, with WuzAPI's words, before anything is
"sent":

    failed to fetch image from url: unexpected status code 404
    failed to fetch audio: response exceeds allowed size (16777216 bytes)

The whole fetch (every hop, the whole body) has one deadline; proxies from the environment are
ignored. Private, loopback and link-local addresses are refused at every hop (`ssrf.safe_client`
pins the checked address) unless the sandbox runs with `allow_private_media`
(SANDBOX_ALLOW_PRIVATE_MEDIA=1, for media served on a laptop).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from livchat.core import ssrf
from livchat.sandbox.engine import GatewayError

MB = 1024 * 1024
# WuzAPI's fetch caps (fetchImageMaxBytes, fetchAudioMaxBytes, fetchVideoMaxBytes, fetchDocumentMaxBytes).
MAX_MEDIA_BYTES = {"image": 16 * MB, "audio": 16 * MB, "video": 100 * MB, "document": 100 * MB}
# How each handler words a failed fetch (handlers.go): audio says neither "from" nor "url".
FAILURE_PREFIX = {"image": "failed to fetch image from url", "audio": "failed to fetch audio",
                  "video": "failed to fetch video from url", "document": "failed to fetch document from url"}
MAX_REDIRECTS = 10  # Go's http.Client default


@dataclass(frozen=True)
class FetchedMedia:
    size: int
    mime_type: str


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


class _FetchFailed(Exception):
    """The `<err>` part of WuzAPI's message."""


async def fetch(url: str, kind: str, *, allow_private: bool, timeout: float) -> FetchedMedia:
    """Download the media (bounded in size and time) through the SSRF-safe transport, which checks
    every hop's address and connects to exactly the address it checked; a GatewayError(400) with
    WuzAPI's text otherwise. A client per fetch: sends by URL are rare, and a client is bound to
    the loop that made it."""
    try:
        async with asyncio.timeout(timeout), ssrf.safe_client(
                timeout=timeout, allow_private=allow_private, follow_redirects=True,
                max_redirects=MAX_REDIRECTS) as client:
            size, content_type = await _fetch(client, url, MAX_MEDIA_BYTES[kind])
    except TimeoutError:
        raise GatewayError(400, f"{FAILURE_PREFIX[kind]}: context deadline exceeded") from None
    except _FetchFailed as exc:
        raise GatewayError(400, f"{FAILURE_PREFIX[kind]}: {exc}") from None
    return FetchedMedia(size, _mime(kind, content_type))


async def _fetch(client: httpx.AsyncClient, url: str, limit: int) -> tuple[int, str]:
    try:
        async with client.stream("GET", url) as response:
            if not 200 <= response.status_code < 300:
                raise _FetchFailed(f"unexpected status code {response.status_code}")
            too_large = _FetchFailed(f"response exceeds allowed size ({limit} bytes)")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise too_large
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise too_large
            return size, response.headers.get("content-type", "")
    except ssrf.UnsafeUrl as exc:  # an address of this hop (or a redirect's) is not public
        raise _FetchFailed(f'Get "{url}": {exc.detail}') from None
    except httpx.TooManyRedirects:
        raise _FetchFailed(f'Get "{url}": stopped after {MAX_REDIRECTS} redirects') from None
    except httpx.HTTPError as exc:
        raise _FetchFailed(f'Get "{url}": {exc or type(exc).__name__}') from None


def _mime(kind: str, content_type: str) -> str:
    """The type WuzAPI records when the request gives none (handlers.go, per kind)."""
    mime = content_type.split(";", 1)[0].strip().lower()
    fallback = {"image": "image/jpeg", "video": "video/mpeg", "audio": "", "document": ""}[kind]
    if kind in {"image", "video", "audio"} and not mime.startswith(f"{kind}/"):
        return fallback
    return content_type.strip() if kind == "audio" else mime or "application/octet-stream"
