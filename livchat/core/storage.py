"""One way to keep private files: WhatsApp media, conversation attachments, knowledge-base files and
widget logos. `Storage` is the interface; `LocalStorage` (the embedded default) keeps them under
data_dir, and integrations/s3.py keeps them in any S3-compatible bucket (services/storage.py
chooses by LIVCHAT_STORAGE).

Keys are ours (`<area>/<organization id>/<id>`), checked here anyway: path segments of letters,
digits, `_`, `-` and `.`, never `..` or a leading dot. A file is never public: it is served as a
path (local) or as a short-lived presigned URL (S3), and only after the route's own checks.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")
MAX_KEY_SEGMENTS = 6


class BadKey(ValueError):
    """A key that is not ours: empty, too deep, or with a segment that could leave the root."""


class ObjectTooLarge(ValueError):
    """get(..., max_bytes=n) of a stored object larger than n (nothing read beyond its size)."""


def checked_key(key: str) -> str:
    parts = key.split("/")
    if not 1 <= len(parts) <= MAX_KEY_SEGMENTS or not all(_SEGMENT.match(p) and ".." not in p for p in parts):
        raise BadKey(f"bad storage key {key!r}")
    return key


@dataclass(frozen=True)
class Served:
    """Where a client gets a stored object's bytes: a local file to stream, or a URL to redirect to."""

    path: Path | None = None
    url: str | None = None


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store the bytes under the key, replacing what was there, atomically (no reader sees half)."""

    async def get(self, key: str, max_bytes: int | None = None) -> bytes:
        """The bytes; FileNotFoundError when missing, ObjectTooLarge above max_bytes."""

    async def delete(self, key: str) -> None:
        """Remove it; a missing key is not an error."""

    async def exists(self, key: str) -> bool: ...

    async def serve(self, key: str, *, content_type: str, filename: str | None = None,
                    inline: bool = True) -> Served:
        """How to hand the object to an already authorized client; FileNotFoundError when missing."""


class LocalStorage:
    """Private files under a root directory: folders 0700, files 0600, written aside and renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        root = self.root.resolve()
        path = (root / checked_key(key)).resolve()
        if root not in path.parents:  # a symlink inside the root never leads a key outside it
            raise BadKey(f"bad storage key {key!r}")
        return path

    def _write(self, key: str, data: bytes) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # mkstemp creates the file 0600; a crash leaves only a hidden temporary beside it.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _read(self, key: str, max_bytes: int | None) -> bytes:
        with open(self.path(key), "rb") as handle:
            if max_bytes is not None and os.fstat(handle.fileno()).st_size > max_bytes:
                raise ObjectTooLarge(key)
            return handle.read()

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        await asyncio.to_thread(self._write, key, data)

    async def get(self, key: str, max_bytes: int | None = None) -> bytes:
        return await asyncio.to_thread(self._read, key, max_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).is_file)

    async def serve(self, key: str, *, content_type: str, filename: str | None = None,
                    inline: bool = True) -> Served:
        path = self.path(key)
        if not await asyncio.to_thread(path.is_file):
            raise FileNotFoundError(key)
        return Served(path=path)
