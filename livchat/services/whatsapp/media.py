"""Media of WhatsApp messages: what each type accepts and how big, media given as base64 (decoded
and checked here) or by URL (downloaded here, through the SSRF guard), and where the bytes of
inbound media are stored.

An outgoing send's media ends up as a `data:` URL for WuzAPI:

    media = parse_media(kind, media_url=..., media_base64=..., mime_type=...)  # 4xx, no I/O
    if media.to_fetch:
        media = await fetch_media(kind, media)                                # the download
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from livchat.core import ssrf
from livchat.core.settings import get_settings
from livchat.models.enums import MessageType
from livchat.services import storage
from livchat.services.errors import (
    InvalidInput,
    MalformedEvent,
    MediaTooLarge,
    MediaUnreachable,
    PayloadTooLarge,
    UnsupportedMediaType,
)

MB = 1024 * 1024
MAX_MEDIA_REDIRECTS = 5
# What WhatsApp accepts per type (base mime type → allowed), and how big.
MEDIA_RULES: dict[str, tuple[frozenset[str] | None, int]] = {
    MessageType.IMAGE: (frozenset({"image/jpeg", "image/png", "image/webp"}), 5 * MB),
    MessageType.AUDIO: (frozenset({"audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr",
                                   "audio/opus"}), 16 * MB),
    MessageType.VIDEO: (frozenset({"video/mp4", "video/3gpp"}), 16 * MB),
    MessageType.DOCUMENT: (None, 100 * MB),  # any well-formed mime type
}
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
# Parameters after the type, as in `audio/ogg; codecs=opus` (kept: WuzAPI gets the full type).
_MIME_PARAMS = re.compile(r'^(?:\s*;\s*[a-z0-9_.+-]+=("?)[a-z0-9_.+-]+\1)*\s*$')
_DATA_URL = re.compile(r"^data:([^;,]+)((?:;[^;,]+)*);base64,(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Media:
    """Media for WuzAPI: `value` is a `data:` URL once ready (`source_url` while still to fetch).
    `mime` is the full declared type (`audio/ogg; codecs=opus`), None until known."""

    value: str
    mime: str | None
    size: int | None
    source_url: str | None = None

    @property
    def to_fetch(self) -> bool:
        return bool(self.source_url) and not self.value


def parse_media(kind: str, *, media_url: str | None, media_base64: str | None, mime_type: str | None) -> Media:
    """A send's media checked without I/O: base64 decoded under the type's size cap, a URL kept
    to fetch. Exactly one of `media_url` and `media_base64`."""
    allowed, max_size = MEDIA_RULES[kind]
    if bool(media_url) == bool(media_base64):
        raise InvalidInput("media_required")
    declared = _full_mime(mime_type, allowed) if mime_type else None
    if media_url:
        if not re.match(r"^https?://[^\s/]+", media_url) or len(media_url) > 2000:
            raise InvalidInput("invalid_media_url")
        return Media("", declared, None, source_url=media_url)
    raw = media_base64 or ""
    match = _DATA_URL.match(raw.strip())
    if match:
        declared = declared or _full_mime(match.group(1) + match.group(2).replace(";", "; "), allowed)
        raw = match.group(3)
    if not declared:
        raise InvalidInput("mime_type_required")
    compact = re.sub(r"\s+", "", raw)
    # Reject before decoding: base64 is 4/3 of the bytes.
    if len(compact) * 3 // 4 > max_size + 3:
        raise PayloadTooLarge("media_too_large")
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("invalid_base64") from None
    if not data:
        raise InvalidInput("media_required")
    if len(data) > max_size:
        raise PayloadTooLarge("media_too_large")
    return _data_url_media(declared, data)


def _data_url_media(mime: str, data: bytes, source_url: str | None = None) -> Media:
    return Media(f"data:{_base_mime(mime)};base64,{base64.b64encode(data).decode()}", mime, len(data), source_url)


def _base_mime(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _full_mime(value: str, allowed: frozenset[str] | None) -> str:
    """`value` checked against the type's rules; the base type lower-cased, parameters kept."""
    base, _, params = value.strip().partition(";")
    base = base.strip().lower()
    full = f"{base}; {params.strip()}" if params.strip() else base
    if (not _MIME.match(base) or (allowed is not None and base not in allowed)
            or not _MIME_PARAMS.match(";" + params if params else "") or len(full) > 100):
        raise UnsupportedMediaType("unsupported_media_type")
    return full


# Downloads held in memory at once per process (each up to its type's cap, 100 MB for documents);
# a download waiting for a slot spends its own deadline.
MAX_CONCURRENT_DOWNLOADS = 4
_download_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _download_slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slots = _download_slots.get(loop)
    if slots is None:
        slots = _download_slots[loop] = asyncio.Semaphore(MAX_CONCURRENT_DOWNLOADS)
    return slots


async def fetch_media(kind: str, media: Media) -> Media:
    """Download media given by URL — through the SSRF guard (every hop's address checked and
    pinned), within one total deadline, under the type's size cap — into a `data:` URL."""
    allowed, max_size = MEDIA_RULES[kind]
    url = media.source_url or ""
    seconds = get_settings().media_fetch_seconds
    try:
        async with asyncio.timeout(seconds), _download_slot(), ssrf.safe_client(
                timeout=seconds, follow_redirects=True, max_redirects=MAX_MEDIA_REDIRECTS) as client, \
                client.stream("GET", url) as response:
            if response.status_code != 200:
                raise MediaUnreachable(f"the media URL answered HTTP {response.status_code}")
            served = response.headers.get("content-type", "")
            mime = media.mime or (_full_mime(served, allowed) if served else None)
            if mime is None:
                raise InvalidInput("mime_type_required")
            declared_size = response.headers.get("content-length", "")
            if declared_size.isdigit() and int(declared_size) > max_size:
                raise MediaTooLarge(f"the media at the URL is over {max_size // MB} MB")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > max_size:
                    raise MediaTooLarge(f"the media at the URL is over {max_size // MB} MB")
    except TimeoutError:
        raise MediaUnreachable(f"fetching the media URL took longer than {seconds:g} s") from None
    except ssrf.UnsafeUrl as exc:
        raise MediaUnreachable(f"the media URL is not allowed: {exc.detail}") from None
    except httpx.TooManyRedirects:
        raise MediaUnreachable(f"the media URL redirects more than {MAX_MEDIA_REDIRECTS} times") from None
    except httpx.HTTPError as exc:
        raise MediaUnreachable(f"the media URL could not be fetched ({type(exc).__name__})") from None
    if not data:
        raise MediaUnreachable("the media URL answered an empty body")
    return _data_url_media(mime, bytes(data), url)


# --- inbound media (WuzAPI events) ---------------------------------------------------------

def decode_inbound(value: Any) -> bytes:
    """The bytes of an inbound event's `base64` field; MalformedEvent when it is not base64."""
    if not isinstance(value, str):
        raise MalformedEvent("media base64 is not a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedEvent("media base64 is corrupt") from None


def media_key(organization_id: str | None, message_id: str) -> str:
    return f"{organization_id or 'anonymous'}/{message_id}"


def media_path(organization_id: str | None, message_id: str) -> Path:
    """Where an inbound message's bytes live with LIVCHAT_STORAGE=local: private, under data_dir."""
    return get_settings().data_dir / storage.MEDIA / media_key(organization_id, message_id)


async def store_media(organization_id: str | None, message_id: str, data: bytes,
                      content_type: str | None = None) -> None:
    """Keep a message's bytes in the private storage (atomically; 0600 on local disk)."""
    await storage.storage_for(storage.MEDIA).put(media_key(organization_id, message_id), data,
                                                 content_type or "application/octet-stream")


async def read_media(organization_id: str | None, message_id: str, max_bytes: int) -> bytes:
    """A message's stored bytes; nothing when there are none or they are over max_bytes."""
    try:
        return await storage.storage_for(storage.MEDIA).get(media_key(organization_id, message_id), max_bytes)
    except (OSError, ValueError):  # missing, unreadable, too large or a bad key: no file to show
        return b""
