"""One web page imported by URL: through the SSRF guard (every address it resolves to, redirects
included, must be public), bounded in size and time."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import httpx

from livchat.core.ssrf import UnsafeUrl, check_public_url, safe_client
from livchat.services.knowledge.errors import (
    FileTooLarge,
    UnsafeKnowledgeUrl,
    UrlUnreachable,
)

MAX_REDIRECTS = 5
USER_AGENT = "LivChat knowledge importer (+https://livchat.ai)"
ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.5"


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    data: bytes
    content_type: str | None
    charset: str | None

    @property
    def name(self) -> str:
        """A file name for the page when it has no title: its last path segment, or its host."""
        parts = urlsplit(self.url)
        last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
        return last or parts.hostname or "page"


async def fetch_page(url: str, *, max_bytes: int, seconds: float) -> Fetched:
    try:
        url = await check_public_url(url)
    except UnsafeUrl:
        raise UnsafeKnowledgeUrl("unsafe_url") from None
    try:
        async with asyncio.timeout(seconds):
            async with safe_client(timeout=seconds, follow_redirects=True, max_redirects=MAX_REDIRECTS,
                                   headers={"User-Agent": USER_AGENT, "Accept": ACCEPT}) as client:
                async with client.stream("GET", url) as response:
                    if response.status_code >= 400:
                        raise UrlUnreachable("url_status", status=response.status_code)
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise _too_large(max_bytes)
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > max_bytes:
                            raise _too_large(max_bytes)
                    content_type = response.headers.get("content-type")
                    return Fetched(str(response.url), bytes(body), content_type, _charset(content_type))
    except TimeoutError:
        raise UrlUnreachable("url_timeout") from None
    except UnsafeUrl:  # a redirect to, or a DNS answer with, a private address
        raise UnsafeKnowledgeUrl("unsafe_url") from None
    except httpx.HTTPError:
        raise UrlUnreachable("url_unreachable") from None


def _too_large(max_bytes: int) -> FileTooLarge:
    return FileTooLarge("too_large", limit_mb=f"{max_bytes / 1024 / 1024:g}")


def _charset(content_type: str | None) -> str | None:
    match = re.search(r"charset=\"?([\w.:-]+)", content_type or "", re.I)
    return match.group(1) if match else None
