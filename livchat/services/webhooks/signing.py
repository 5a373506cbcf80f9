"""Webhook secrets and signatures.

A secret is `whsec_` + base64 of 32 random bytes (Standard Webhooks). The signing key is those
32 bytes — the base64-DECODED part after `whsec_` — for both headers:

- `webhook-signature: v1,<base64(HMAC-SHA256(key, f"{webhook-id}.{webhook-timestamp}.{body}"))>`;
  each rotated-out secret still signing (24 h after its rotation) adds a `v1,...`, space-separated;
- `x-hmac-signature: <hex(HMAC-SHA256(key, body))>` with the current secret only
  (for clients written against WuzAPI).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
DISPLAY_PREFIX_LENGTH = 12  # "whsec_" + 6 characters: enough to tell two secrets apart


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def display_prefix(secret: str) -> str:
    return secret[:DISPLAY_PREFIX_LENGTH]


def key_bytes(secret: str) -> bytes:
    encoded = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(encoded)


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def hex_signature(secret: str, body: bytes) -> str:
    return hmac.new(key_bytes(secret), body, hashlib.sha256).hexdigest()


def signed_headers(secrets_in_use: list[str], webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """All headers of one delivery; `secrets_in_use[0]` is the current secret."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, webhook_id, timestamp, body) for s in secrets_in_use),
        # The current secret only: a header of one value cannot carry the overlap, so a WuzAPI-style
        # client verifies with the new secret from the moment it rotates.
        "x-hmac-signature": hex_signature(secrets_in_use[0], body),
        "content-type": "application/json",
        "user-agent": "LivChat-Webhooks/1.0",
    }
