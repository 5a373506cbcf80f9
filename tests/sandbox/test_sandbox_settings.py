"""The sandbox's WuzAPI-named knobs and the gateway timeout come from the Settings, so a `.env`
file sets them like any other variable (the environment still wins over it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from livchat.core.settings import reset_settings_cache
from livchat.sandbox.config import SandboxConfig
from livchat.services.whatsapp.gateway import close_gateway, get_gateway


@pytest.fixture
def env_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / ".env"
    saved = os.environ.get("LIVCHAT_ENV_FILE")
    os.environ["LIVCHAT_ENV_FILE"] = str(path)
    yield path
    os.environ["LIVCHAT_ENV_FILE"] = saved if saved is not None else ""
    reset_settings_cache()


async def test_dotenv_sets_the_sandbox_and_gateway_knobs(env_file: Path, tmp_path: Path) -> None:
    env_file.write_text("\n".join([
        f"SANDBOX_DB_PATH={tmp_path / 'elsewhere.db'}",
        "WEBHOOK_FORMAT=json",
        "WEBHOOK_RETRY_ENABLED=false",
        "WEBHOOK_RETRY_COUNT=3",
        "WEBHOOK_RETRY_DELAY_SECONDS=2.5",
        "SANDBOX_CONNECT_WAIT_SECONDS=4",
        "SANDBOX_QR_PERIOD_SECONDS=7",
        "WUZAPI_TIMEOUT_SECONDS=3",
    ]) + "\n")
    reset_settings_cache()
    config = SandboxConfig.from_settings(admin_token="t")
    assert (config.db_path, config.webhook_format, config.retry_count, config.retry_delay_s) == (
        tmp_path / "elsewhere.db", "json", 1, 2.5)
    assert (config.connect_wait_s, config.qr_period_s) == (4, 7)
    assert config.allow_private_media is True  # the environment (tests/conftest.py) wins over the file

    env_file.write_text("WEBHOOK_RETRY_COUNT=3\nWUZAPI_TIMEOUT_SECONDS=3\n")
    reset_settings_cache()
    assert SandboxConfig.from_settings(admin_token="t").retry_count == 3
    try:
        timeout = get_gateway()._timeout
        assert (timeout.sock_read, timeout.sock_connect) == (3.0, 3.0)
    finally:
        await close_gateway()
