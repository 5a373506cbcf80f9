"""The storage of one kind of private file, chosen by LIVCHAT_STORAGE (core/storage.py explains the
interface). Each area is a folder under data_dir (local) or a key prefix in the bucket (s3), so the
local layout is the one these files always had: data_dir/media, attachments, knowledge/files,
widget-logos."""

from __future__ import annotations

from livchat.core.settings import get_settings
from livchat.core.storage import LocalStorage, Storage

MEDIA = "media"  # WhatsApp messages' bytes
ATTACHMENTS = "attachments"  # files of support conversations
KNOWLEDGE = "knowledge/files"  # the knowledge base's original files
LOGOS = "widget-logos"


def storage_for(area: str) -> Storage:
    settings = get_settings()
    if settings.storage == "s3":
        from livchat.integrations import s3  # boto3 is imported only when it is used

        if not settings.s3_bucket:
            raise RuntimeError("LIVCHAT_STORAGE=s3 needs S3_BUCKET")
        client = s3.client(settings.s3_endpoint_url, settings.s3_region, settings.s3_access_key_id,
                           settings.s3_secret_access_key)
        return s3.S3Storage(client, settings.s3_bucket, prefix=area, presign_seconds=settings.s3_presign_seconds)
    return LocalStorage(settings.data_dir / area)
