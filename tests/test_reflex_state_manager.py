"""Reflex's own per-tab state (rxconfig.py): in memory by default (our data lives in the database),
in Redis when REDIS_URL is set — shared by every worker, so a tab's state written by one process is
read by another (the real Redis at 127.0.0.1:6379, as `make test` provides)."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import reflex as rx

from livchat.core.settings import reset_settings_cache

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/0"


def _config(env: dict[str, str]) -> rx.Config:
    saved = dict(os.environ)
    try:
        os.environ.pop("REDIS_URL", None)
        os.environ.update(env)
        reset_settings_cache()
        return runpy.run_path(str(ROOT / "rxconfig.py"))["config"]
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_settings_cache()


def test_memory_by_default_redis_with_redis_url() -> None:
    embedded = _config({})
    assert embedded.state_manager_mode == rx.constants.StateManagerMode.MEMORY and not embedded.redis_url
    scaled = _config({"REDIS_URL": REDIS_URL})
    assert scaled.redis_url == REDIS_URL
    assert "state_manager_mode" not in scaled._non_default_attributes  # Reflex then picks Redis itself


# Two state managers made as two workers make theirs, from rxconfig.py: what one writes, the other reads.
_TWO_WORKERS = """
import asyncio, sys, uuid
import reflex as rx
from reflex.istate.manager import StateManager

class Probe(rx.State):
    n: int = 0

async def main():
    first, second = StateManager.create(), StateManager.create()
    token = rx.BaseStateToken(ident=str(uuid.uuid4()), cls=Probe)
    async with first.modify_state(token) as root:
        (await root.get_state(Probe)).n = 7
    root = await second.get_state(token)
    print(type(first).__name__, (await root.get_state(Probe)).n)
    await first.close(); await second.close()

asyncio.run(main())
"""


def _two_workers(env: dict[str, str]) -> str:
    run_env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | env
    done = subprocess.run([sys.executable, "-c", _TWO_WORKERS], cwd=ROOT, env=run_env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_with_redis_url_every_worker_sees_the_same_tab_state() -> None:
    assert _two_workers({"REDIS_URL": REDIS_URL}) == "StateManagerRedis 7"


def test_without_it_each_process_keeps_its_own_tabs_in_memory() -> None:
    assert _two_workers({}) == "StateManagerMemory 0"
