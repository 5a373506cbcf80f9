"""Secrets at rest, token hashing, random tokens and constant-time comparison.

The master key is LIVCHAT_SECRET_KEY; when unset, one is generated into data/secret.key on first
use (mode 0600) so a fresh machine encrypts from its first row. Losing that file makes stored
secrets unreadable, so production sets the variable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from livchat.core.settings import get_settings


class SecretDecryptionError(Exception):
    """A stored secret was encrypted with another LIVCHAT_SECRET_KEY."""


def secret_file(path: Path, nbytes: int = 32) -> str:
    """The secret kept in `path`, generated there (mode 0600) on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    # O_EXCL: two processes starting together must agree on one value, not each write their own.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _load_or_create_master_key() -> str:
    settings = get_settings()
    return settings.secret_key or secret_file(settings.data_dir / "secret.key", nbytes=48)


def ensure_master_key() -> str:
    """Where the master key comes from, creating data/secret.key when there is none (`livchat migrate`)."""
    if get_settings().secret_key:
        return "LIVCHAT_SECRET_KEY"
    _load_or_create_master_key()
    return str(get_settings().data_dir / "secret.key")


@lru_cache
def _fernet() -> Fernet:
    # Any string works as the master key: derive the 32 bytes Fernet wants from it.
    digest = hashlib.sha256(b"livchat-fernet-v1:" + _load_or_create_master_key().encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def reset_crypto_cache() -> None:
    _fernet.cache_clear()
    _signing_key.cache_clear()


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key or tampered value
        raise SecretDecryptionError("stored secret cannot be decrypted with this LIVCHAT_SECRET_KEY") from exc


def hash_token(token: str) -> str:
    """SHA-256 of a high-entropy token (API keys, session tokens). Not for passwords."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def constant_time_equals(a: str | bytes, b: str | bytes) -> bool:
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    return hmac.compare_digest(a, b)


@lru_cache(maxsize=16)
def _signing_key(purpose: str) -> bytes:
    return hashlib.sha256(f"livchat-sign-v1:{purpose}:".encode() + _load_or_create_master_key().encode()).digest()


def sign(purpose: str, message: str) -> str:
    """URL-safe HMAC-SHA256 of `message` with a key derived from the master key for `purpose`
    (a signed link names what it grants; one purpose's signature is worthless for another)."""
    digest = hmac.new(_signing_key(purpose), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def verify_signature(purpose: str, message: str, signature: str) -> bool:
    return constant_time_equals(sign(purpose, message), signature)
