"""Private storage of the knowledge base's original files (kept so the index can be rebuilt with
another embedder). Local disk under the data directory, outside anything served; an S3-compatible
bucket later, behind the same three calls. Keys are `<organization id>/<file id>`, made by us."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from livchat.core.settings import get_settings
from livchat.services.knowledge import threads

_KEY = re.compile(r"^[A-Za-z0-9_-]{1,80}/[A-Za-z0-9_-]{1,80}$")


def storage_key(organization_id: str, file_id: str) -> str:
    key = f"{organization_id}/{file_id}"
    if not _KEY.match(key):
        raise ValueError(f"bad storage key {key!r}")
    return key


class FileStorage(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes:
        """The bytes, or FileNotFoundError."""

    async def delete(self, key: str) -> None:
        """Remove it; a missing key is not an error."""


class LocalDiskStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"bad storage key {key!r}")
        return self.root / key

    async def put(self, key: str, data: bytes) -> None:
        await threads.run_in(threads.EXTRACT, self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Written aside and renamed: a reader never sees half a file, a crash leaves only a temp file.
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes:
        return await threads.run_in(threads.EXTRACT, self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await threads.run_in(threads.EXTRACT, self._path(key).unlink, missing_ok=True)


def get_storage() -> FileStorage:
    return LocalDiskStorage(get_settings().data_dir / "knowledge" / "files")
