"""Private files in any S3-compatible bucket (AWS S3, Cloudflare R2, MinIO) through boto3.

boto3 is synchronous: every call runs in a thread (asyncio.to_thread), never on the event loop.
Objects are private; a client gets one only through a presigned GET URL that lasts
S3_PRESIGN_SECONDS and forces the content type and disposition we chose (the bucket never
decides how a file is shown).
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from livchat.core.storage import ObjectTooLarge, Served, checked_key

_MISSING = {"404", "NoSuchKey", "NotFound"}


@lru_cache(maxsize=8)
def client(endpoint_url: str, region: str, access_key_id: str, secret_access_key: str) -> Any:
    """One client per configuration (creating one costs ~50 ms; a client is thread-safe)."""
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url or None, region_name=region or None,
        aws_access_key_id=access_key_id or None, aws_secret_access_key=secret_access_key or None,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=20))


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _MISSING


def content_disposition(filename: str | None, inline: bool) -> str:
    kind = "inline" if inline else "attachment"
    if not filename:
        return kind
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


class S3Storage:
    def __init__(self, s3: Any, bucket: str, prefix: str = "", presign_seconds: int = 300) -> None:
        self.s3, self.bucket, self.presign_seconds = s3, bucket, presign_seconds
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    def _key(self, key: str) -> str:
        return self.prefix + checked_key(key)

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        # A PUT is atomic in S3: readers see the old object or the new one, never half.
        await asyncio.to_thread(self.s3.put_object, Bucket=self.bucket, Key=self._key(key), Body=data,
                                ContentType=content_type)

    def _read(self, key: str, max_bytes: int | None) -> bytes:
        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(key) from None
            raise
        body = found["Body"]
        try:
            if max_bytes is not None and int(found.get("ContentLength") or 0) > max_bytes:
                raise ObjectTooLarge(key)
            data: bytes = body.read()
            return data
        finally:
            body.close()

    async def get(self, key: str, max_bytes: int | None = None) -> bytes:
        return await asyncio.to_thread(self._read, self._key(key), max_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.s3.delete_object, Bucket=self.bucket, Key=self._key(key))

    def _exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        return True

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._exists, self._key(key))

    def presigned_url(self, key: str, *, content_type: str, filename: str | None = None, inline: bool = True,
                      seconds: int | None = None) -> str:
        """A GET URL for one object (no network: signed locally), valid `seconds` from now."""
        url: str = self.s3.generate_presigned_url("get_object", ExpiresIn=seconds or self.presign_seconds, Params={
            "Bucket": self.bucket, "Key": self._key(key), "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition(filename, inline),
            "ResponseCacheControl": "private, max-age=60"})
        return url

    async def serve(self, key: str, *, content_type: str, filename: str | None = None,
                    inline: bool = True) -> Served:
        full = self._key(key)
        # A URL for a missing object would be a broken link; the route answers 404 as with local files.
        if not await asyncio.to_thread(self._exists, full):
            raise FileNotFoundError(key)
        return Served(url=self.presigned_url(key, content_type=content_type, filename=filename, inline=inline))
