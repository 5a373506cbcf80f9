"""Logs are JSON lines, Reflex's included: its warning for a live update to a closed tab (one per
inbound event with no dashboard open) becomes one JSON line per tab."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import asyncio
from reflex.app import App, EventNamespace
from reflex.state import StateUpdate
from livchat.core.logging import configure_logging

configure_logging("INFO")
events = EventNamespace("/_event", App())  # Reflex's own websocket namespace, no socket connected

async def main():
    for token in ("closed-tab-1", "closed-tab-1", "closed-tab-1", "closed-tab-2"):
        await events.emit_update(StateUpdate(delta={}), token)

asyncio.run(main())
"""


def test_updates_to_closed_tabs_are_logged_once_per_tab_as_json() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if "closed-tab" in line]
    assert len(lines) == 2, done.stderr[-2000:]  # one per tab, not one per update
    entries = [json.loads(line) for line in lines]
    assert [e["tab"] for e in entries] == ["closed-tab-1", "closed-tab-2"]
    assert all(e["logger"] == "reflex.app" and e["level"] == "info" for e in entries)
