"""Private storage of the knowledge base's original files (kept so the index can be rebuilt with
another embedder): the app's one file storage (services/storage.py: under data_dir, or a private
S3-compatible bucket). Keys are `<organization id>/<file id>`, made by us."""

from __future__ import annotations

import re

from livchat.core.storage import Storage
from livchat.services import storage

_KEY = re.compile(r"^[A-Za-z0-9_-]{1,80}/[A-Za-z0-9_-]{1,80}$")


def storage_key(organization_id: str, file_id: str) -> str:
    key = f"{organization_id}/{file_id}"
    if not _KEY.match(key):
        raise ValueError(f"bad storage key {key!r}")
    return key


def get_storage() -> Storage:
    return storage.storage_for(storage.KNOWLEDGE)
