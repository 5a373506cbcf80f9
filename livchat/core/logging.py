"""Structured (one JSON object per line) logs, each carrying the request id when there is one."""

from __future__ import annotations

import json
import logging
import sys
from collections import OrderedDict
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        # Fields passed with `extra={...}` become top-level keys.
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ClosedTabDeltas(logging.Filter):
    """Reflex warns, in plain text, on every live update addressed to a tab that has gone (a feed
    still linked to a closed dashboard): one line per inbound event. Keep one JSON line per tab."""

    PREFIX = "Attempting to send delta to disconnected client"

    def __init__(self, remember: int = 10_000) -> None:
        super().__init__()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(self.PREFIX):
            return True
        token = message.removeprefix(self.PREFIX).strip().strip("'\"")
        if token in self._seen:
            return False
        self._seen[token] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        record.msg, record.args = "live updates for a closed tab dropped", ()
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.__dict__["tab"] = token
        return True


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for our loggers and for Reflex's app logger (whose closed-tab warning
    is kept once per tab)."""
    root = logging.getLogger("livchat")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False
    reflex_app = logging.getLogger("reflex.app")
    reflex_app.addHandler(handler)
    reflex_app.addFilter(ClosedTabDeltas())
    reflex_app.propagate = False


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"livchat.{name}")
