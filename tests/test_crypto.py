from __future__ import annotations

import os
import stat

import pytest

from livchat.core import crypto
from livchat.core.ids import new_id, ulid
from livchat.core.settings import reset_settings_cache


def test_encrypt_round_trip_hides_the_plaintext() -> None:
    token = crypto.encrypt("wuzapi-secret-token")
    assert "wuzapi-secret-token" not in token
    assert crypto.decrypt(token) == "wuzapi-secret-token"


def test_another_master_key_cannot_decrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    token = crypto.encrypt("s3cret")
    monkeypatch.setenv("LIVCHAT_SECRET_KEY", "a-different-key")
    reset_settings_cache()
    crypto.reset_crypto_cache()
    try:
        with pytest.raises(crypto.SecretDecryptionError):
            crypto.decrypt(token)
    finally:
        monkeypatch.undo()
        reset_settings_cache()
        crypto.reset_crypto_cache()
    assert crypto.decrypt(token) == "s3cret"


def test_missing_master_key_is_generated_once_with_private_permissions(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LIVCHAT_SECRET_KEY", "")
    monkeypatch.setenv("LIVCHAT_DATA_DIR", str(tmp_path))
    reset_settings_cache()
    crypto.reset_crypto_cache()
    try:
        token = crypto.encrypt("x")
        key_file = tmp_path / "secret.key"
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        first_key = key_file.read_text()
        crypto.reset_crypto_cache()
        assert crypto.decrypt(token) == "x"  # the same file is read back
        assert key_file.read_text() == first_key
    finally:
        monkeypatch.undo()
        reset_settings_cache()
        crypto.reset_crypto_cache()


def test_token_hash_is_stable_and_not_the_token() -> None:
    assert crypto.hash_token("abc") == crypto.hash_token("abc")
    assert crypto.hash_token("abc") != crypto.hash_token("abd")
    assert "abc" not in crypto.hash_token("abc")


def test_constant_time_equals() -> None:
    assert crypto.constant_time_equals("a", "a")
    assert not crypto.constant_time_equals("a", "b")
    assert crypto.constant_time_equals(b"x", "x")


def test_ids_sort_by_creation_time() -> None:
    ids = [ulid() for _ in range(3)]
    assert len(ids[0]) == 26
    assert new_id("ins").startswith("ins_")
    assert ulid(1_700_000_000_001) > ulid(1_700_000_000_000)


def test_ids_made_in_one_millisecond_still_sort_in_the_order_they_were_made() -> None:
    ids = [new_id("dlv") for _ in range(5_000)]  # thousands share each millisecond
    assert len({i[4:14] for i in ids}) < len(ids)  # (they did: same timestamp part)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
