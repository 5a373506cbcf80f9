"""The sandbox's own SQLite file (not part of the app's models or migrations).

Everything a restart must keep lives here: users and their keys, webhooks, the linked state and
the QR seed (so a session waiting for a QR still waits, with the same codes), messages, the
webhook deliveries not yet taken by their receiver (replayed at start: an event the sandbox
answered 200 for is never lost to a kill -9) and those that failed every attempt.
One connection behind a lock: the sandbox may be driven from more than one thread (tests, the
Reflex page and the HTTP app) and each statement is short.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    token TEXT NOT NULL UNIQUE,
    webhook TEXT NOT NULL DEFAULT '',
    events TEXT NOT NULL DEFAULT '',
    expiration INTEGER NOT NULL DEFAULT 0,
    osname TEXT NOT NULL DEFAULT '',
    history INTEGER NOT NULL DEFAULT 0,
    hmac_key TEXT NOT NULL DEFAULT '',
    connected INTEGER NOT NULL DEFAULT 0,
    jid TEXT NOT NULL DEFAULT '',
    lid TEXT NOT NULL DEFAULT '',
    qr_seed TEXT NOT NULL DEFAULT '',
    qr_started_at REAL NOT NULL DEFAULT 0,
    pairing_code TEXT NOT NULL DEFAULT '',
    pairing_phone TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL DEFAULT 0,
    socket_up_at REAL NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    chat TEXT NOT NULL,
    kind TEXT NOT NULL,
    content TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'sent',
    UNIQUE (user_id, id)
);
CREATE INDEX IF NOT EXISTS messages_by_id ON messages (id);
CREATE INDEX IF NOT EXISTS messages_by_user ON messages (user_id, direction, seq);
CREATE TABLE IF NOT EXISTS webhook_errors (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    url TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    failed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_errors_by_user ON webhook_errors (user_id, seq);
CREATE TABLE IF NOT EXISTS webhook_backlog (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    url TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body BLOB NOT NULL,
    headers TEXT NOT NULL
);
"""
# Columns added after the first release: ALTERed into an older file on open.
ADDED_USER_COLUMNS = {"socket_up_at": "REAL NOT NULL DEFAULT 0", "deleted": "INTEGER NOT NULL DEFAULT 0"}


@dataclass
class User:
    id: str
    name: str
    token: str
    webhook: str = ""
    events: str = ""
    expiration: int = 0
    osname: str = ""
    history: int = 0
    hmac_key: str = ""  # encrypted
    connected: int = 0  # a live client exists (connect called, not disconnected or logged out)
    jid: str = ""  # paired device; "" when unlinked
    lid: str = ""
    qr_seed: str = ""
    qr_started_at: float = 0.0
    pairing_code: str = ""
    pairing_phone: str = ""
    created_at: float = 0.0
    # When the client's websocket is (or comes) up; -1 while it is down with the client kept
    # (the phone side dropped it: WuzAPI answers "not connected" until it reconnects).
    socket_up_at: float = 0.0
    # Plain DELETE /admin/users/{id}: the row is gone for the admin API, the live session stays
    # (its token still works) until the process restarts.
    deleted: int = 0


@dataclass
class WebhookError:
    """A delivery that failed every attempt: WuzAPI's `webhook_errors` queue, kept here."""

    seq: int
    user_id: str
    url: str
    event_type: str
    body: str
    attempts: int
    last_error: str
    failed_at: float


@dataclass
class Message:
    seq: int
    id: str
    user_id: str
    direction: str  # "out": sent through the API; "in": from a contact
    chat: str
    kind: str
    content: dict[str, Any]
    timestamp: int
    status: str


_USER_COLUMNS = [f.name for f in fields(User)]


class SandboxStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        # Several app workers open the same file at once: each waits its turn for a write (timeout).
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._use_wal()
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        present = {row["name"] for row in self._db.execute("PRAGMA table_info(users)")}
        for name, declaration in ADDED_USER_COLUMNS.items():
            if name not in present:
                self._db.execute(f"ALTER TABLE users ADD COLUMN {name} {declaration}")
        # A restart ends the live sessions of deleted users: only then do their rows go.
        self._db.execute("DELETE FROM messages WHERE user_id IN (SELECT id FROM users WHERE deleted = 1)")
        self._db.execute("DELETE FROM users WHERE deleted = 1")

    def _use_wal(self) -> None:
        """WAL is a property of the file: the first process sets it. Switching needs the file to
        itself and SQLite does not wait for that, so a process starting beside another one retries
        (bounded) until the mode is WAL, whoever set it."""
        for _ in range(100):
            try:
                if self._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                    return
                self._db.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                time.sleep(0.05)  # another process is switching it or holding the file
        raise sqlite3.OperationalError(f"could not put {self.path} in WAL mode: it stayed locked")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        with self._lock:
            return self._db.execute(sql, params).rowcount

    # -- users --

    def insert_user(self, user: User) -> None:
        placeholders = ",".join("?" for _ in _USER_COLUMNS)
        self._run(f"INSERT INTO users ({','.join(_USER_COLUMNS)}) VALUES ({placeholders})",
                  tuple(getattr(user, c) for c in _USER_COLUMNS))

    def users(self, *, include_deleted: bool = True) -> list[User]:
        where = "" if include_deleted else "WHERE deleted = 0 "
        return [User(**dict(row)) for row in self._all(f"SELECT * FROM users {where}ORDER BY created_at, id")]

    def user_by(self, column: str, value: str) -> User | None:
        assert column in {"id", "token"}
        rows = self._all(f"SELECT * FROM users WHERE {column} = ?", (value,))
        return User(**dict(rows[0])) if rows else None

    def update_user(self, user_id: str, **values: Any) -> None:
        assert set(values) <= set(_USER_COLUMNS) - {"id"}
        assignments = ", ".join(f"{name} = ?" for name in values)
        self._run(f"UPDATE users SET {assignments} WHERE id = ?", (*values.values(), user_id))

    def delete_user(self, user_id: str) -> bool:
        with self._lock:
            self._db.execute("DELETE FROM messages WHERE user_id = ?", (user_id,))
            self._db.execute("DELETE FROM webhook_errors WHERE user_id = ?", (user_id,))
            self._db.execute("DELETE FROM webhook_backlog WHERE user_id = ?", (user_id,))
            return self._db.execute("DELETE FROM users WHERE id = ?", (user_id,)).rowcount > 0

    # -- messages --

    def add_message(self, *, id: str, user_id: str, direction: str, chat: str, kind: str,
                    content: dict[str, Any], timestamp: int) -> None:
        self._run(
            "INSERT OR REPLACE INTO messages (id, user_id, direction, chat, kind, content, timestamp) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (id, user_id, direction, chat, kind, json.dumps(content), timestamp),
        )

    def messages(self, user_id: str, direction: str, limit: int = 50) -> list[Message]:
        rows = self._all("SELECT * FROM messages WHERE user_id = ? AND direction = ? ORDER BY seq DESC LIMIT ?",
                         (user_id, direction, limit))
        return [_message(row) for row in rows]

    def message(self, message_id: str, direction: str) -> Message | None:
        rows = self._all("SELECT * FROM messages WHERE id = ? AND direction = ? ORDER BY seq DESC LIMIT 1",
                         (message_id, direction))
        return _message(rows[0]) if rows else None

    def set_message_status(self, seq: int, status: str) -> None:
        self._run("UPDATE messages SET status = ? WHERE seq = ?", (status, seq))

    # -- webhook errors --

    def add_webhook_error(self, *, user_id: str, url: str, event_type: str, body: str, attempts: int,
                          last_error: str, failed_at: float) -> None:
        self._run("INSERT INTO webhook_errors (user_id, url, event_type, body, attempts, last_error, failed_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)", (user_id, url, event_type, body, attempts, last_error, failed_at))

    def webhook_errors(self, user_id: str | None = None, limit: int = 50) -> list[WebhookError]:
        where, params = ("WHERE user_id = ? ", (user_id,)) if user_id else ("", ())
        rows = self._all(f"SELECT * FROM webhook_errors {where}ORDER BY seq DESC LIMIT ?", (*params, limit))
        return [WebhookError(**dict(row)) for row in rows]

    # -- webhook backlog: deliveries queued and not yet taken or given up --

    def add_pending_webhook(self, *, user_id: str, url: str, event_type: str, body: bytes,
                            headers: dict[str, str]) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO webhook_backlog (user_id, url, event_type, body, headers) VALUES (?, ?, ?, ?, ?)",
                (user_id, url, event_type, body, json.dumps(headers)))
            return int(cursor.lastrowid or 0)

    def remove_pending_webhook(self, seq: int) -> None:
        self._run("DELETE FROM webhook_backlog WHERE seq = ?", (seq,))

    def pending_webhooks(self) -> list[PendingWebhook]:
        rows = self._all("SELECT * FROM webhook_backlog ORDER BY seq")
        return [PendingWebhook(seq=row["seq"], user_id=row["user_id"], url=row["url"], event_type=row["event_type"],
                               body=bytes(row["body"]), headers=json.loads(row["headers"])) for row in rows]


@dataclass(frozen=True)
class PendingWebhook:
    seq: int
    user_id: str
    url: str
    event_type: str
    body: bytes
    headers: dict[str, str]


def _message(row: sqlite3.Row) -> Message:
    values = dict(row)
    values["content"] = json.loads(values["content"])
    return Message(**values)
