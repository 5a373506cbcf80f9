"""App workers start side by side and open the sandbox's one SQLite file at the same moment: none
of them may fail on it (switching a file to WAL needs it to itself; SQLite does not wait for that).
Each opener here has its own connection, as each worker process does, released by one barrier."""

from __future__ import annotations

import threading
from pathlib import Path

from livchat.sandbox.store import SandboxStore

OPENERS = 8


def _open_together(path: Path) -> tuple[list[SandboxStore], list[str]]:
    start = threading.Barrier(OPENERS)
    stores: list[SandboxStore] = []
    failures: list[str] = []

    def open_store() -> None:
        start.wait(timeout=30)
        try:
            stores.append(SandboxStore(path))
        except Exception as exc:  # collected and asserted by the test
            failures.append(repr(exc))

    threads = [threading.Thread(target=open_store) for _ in range(OPENERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return stores, failures


def test_workers_opening_a_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    for round_ in range(10):
        stores, failures = _open_together(tmp_path / f"sandbox-{round_}.db")
        assert failures == [], failures
        assert len(stores) == OPENERS
        assert {s._db.execute("PRAGMA journal_mode").fetchone()[0] for s in stores} == {"wal"}
        for store in stores:
            store.close()
