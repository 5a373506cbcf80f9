"""Clerk: session JWTs verified on our server (networkless with CLERK_JWT_KEY) and svix-signed webhooks.

Clerk's SDK checks the signature (RS256 only), `exp`/`nbf`/`iat` when present and `azp`; it skips
`iss`, so we check the issuer against the Frontend API host encoded in the publishable key, and we
require what a session token always has: `exp`, `iat`, `sub`, an `azp` from our list, and a session
that is not `pending` (signed in, but a step such as choosing an organization is still due).
Machine tokens, API keys and OAuth tokens are refused before the SDK sees them: it would verify
those over the network against Clerk's API.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clerk_backend_api.security.types import TokenVerificationError, VerifyTokenOptions
from clerk_backend_api.security.verifytoken import verify_token_async

WEBHOOK_TOLERANCE_S = 5 * 60
NOT_SESSION_TOKEN_PREFIXES = ("mt_", "m2m_", "ak_", "oat_")
REQUIRED_CLAIMS = ("exp", "iat", "sub")


class ClerkTokenError(Exception):
    """The session token is not one we accept; `reason` is a short machine code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WebhookVerificationError(Exception):
    pass


def issuer_from_publishable_key(publishable_key: str) -> str:
    """`pk_test_<base64("clerk.example.com$")>` -> `https://clerk.example.com`."""
    try:
        encoded = publishable_key.split("_", 2)[2]
        host = base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode().rstrip("$")
    except (IndexError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("CLERK_PUBLISHABLE_KEY is not a Clerk publishable key") from exc
    return f"https://{host}"


@dataclass(frozen=True)
class ClerkSession:
    user_id: str  # Clerk's `sub`
    session_id: str | None
    organization_id: str | None  # Clerk's active `org_id`, if any
    organization_role: str | None
    claims: dict[str, Any]


async def verify_session_token(
    token: str,
    *,
    jwt_key: str,
    publishable_key: str,
    secret_key: str | None = None,
    authorized_parties: list[str],
) -> ClerkSession:
    if not token or token.startswith(NOT_SESSION_TOKEN_PREFIXES):
        raise ClerkTokenError("token-not-a-session")
    if not authorized_parties:  # None would make the SDK skip the `azp` check
        raise ClerkTokenError("token-invalid-authorized-parties")
    options = VerifyTokenOptions(
        jwt_key=jwt_key or None,
        secret_key=None if jwt_key else secret_key,
        authorized_parties=authorized_parties,
    )
    try:
        claims = await verify_token_async(token, options)
    except TokenVerificationError as exc:
        raise ClerkTokenError(exc.reason.value[0]) from exc
    except Exception as exc:  # malformed JWTs surface as PyJWT errors
        raise ClerkTokenError("token-invalid") from exc
    if claims.get("iss") != issuer_from_publishable_key(publishable_key):
        raise ClerkTokenError("token-invalid-issuer")
    if any(not claims.get(claim) for claim in REQUIRED_CLAIMS):
        raise ClerkTokenError("token-missing-claims")
    if claims.get("sts") == "pending":
        raise ClerkTokenError("session-pending")
    org = claims["o"] if isinstance(claims.get("o"), dict) else {}
    return ClerkSession(
        user_id=claims["sub"],
        session_id=claims.get("sid"),
        organization_id=claims.get("org_id") or org.get("id"),
        organization_role=claims.get("org_role") or org.get("rol"),
        claims=claims,
    )


# --- webhooks (svix) --------------------------------------------------------------------------


def _secret_bytes(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"))
    except binascii.Error as exc:
        raise WebhookVerificationError("CLERK_WEBHOOK_SECRET is not a whsec_ secret") from exc


def sign_webhook(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `svix-signature` value for a payload (what Clerk sends; tests sign with it)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> None:
    """Raise WebhookVerificationError unless one `v1` signature matches and the timestamp is fresh."""
    msg_id = headers.get("svix-id") or ""
    timestamp = headers.get("svix-timestamp") or ""
    signatures = headers.get("svix-signature") or ""
    if not (msg_id and timestamp and signatures):
        raise WebhookVerificationError("missing svix headers")
    try:
        sent_at = int(timestamp)
    except ValueError as exc:
        raise WebhookVerificationError("bad svix-timestamp") from exc
    if abs((now if now is not None else time.time()) - sent_at) > WEBHOOK_TOLERANCE_S:
        raise WebhookVerificationError("timestamp outside the tolerance")
    expected = sign_webhook(secret, msg_id, sent_at, body).encode()
    for candidate in signatures.split():
        if hmac.compare_digest(candidate.encode(), expected):
            return
    raise WebhookVerificationError("no matching signature")


def parse_event(body: bytes) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise WebhookVerificationError("body is not JSON") from exc
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict) or not event.get("type"):
        raise WebhookVerificationError("not a Clerk event")
    return event
