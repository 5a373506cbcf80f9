"""The browser tests' Chromium: one browser per kind, launched again after it was killed, and
every close bounded.

Playwright's close calls take no timeout, and Chromium can stop answering one: in CI a
`context.close()` once waited until pytest-timeout ended the run 900 s later. A close that has
not returned after CLOSE_S kills that browser's processes (only that browser's), which ends the
call; the test gets a warning and the next test a new browser."""

from __future__ import annotations

import os
import signal
import threading
import uuid
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Playwright
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
CLOSE_S = 30
# Chromium keeps switches it does not know in its command line: this one names the browser
# process, so a stuck browser can be told from the others.
MARK = "--livchat-test-browser="

_marks: dict[int, tuple[Browser, str]] = {}  # id(browser) → (browser, its mark); keeps ids unique


class Chromiums:
    """Chromium per kind of command line, launched when first asked for, and again when the
    one before was killed."""

    def __init__(self, playwright: Playwright, args: dict[str, Sequence[str]]) -> None:
        self._playwright, self._args = playwright, args
        self._browsers: dict[str, Browser] = {}

    def get(self, kind: str) -> Browser:
        browser = self._browsers.get(kind)
        if browser is None or not browser.is_connected():
            mark = f"{MARK}{kind}-{uuid.uuid4().hex[:12]}"
            browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=[*self._args[kind], mark],
                                                       headless=True, timeout=60_000)
            _marks[id(browser)] = (browser, mark)
            self._browsers[kind] = browser
        return browser

    def close(self) -> None:
        for browser in self._browsers.values():
            if browser.is_connected():
                _bounded(browser.close, browser, "browser.close()")


def close_context(context: BrowserContext) -> None:
    """context.close(), bounded by CLOSE_S (see the module's docstring)."""
    if context.browser is None:
        context.close()
    else:
        _bounded(context.close, context.browser, "context.close()")


def _bounded(close: Callable[[], None], browser: Browser, what: str) -> None:
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        _kill_browser(_marks[id(browser)][1])

    timer = threading.Timer(CLOSE_S, kill)
    timer.daemon = True
    timer.start()
    try:
        close()
    except PlaywrightError:
        if browser.is_connected() and not killed.is_set():
            raise
        # The browser is gone (killed just now, or earlier): nothing left to close.
    finally:
        timer.cancel()
    if killed.is_set():
        warnings.warn(f"{what} had not returned after {CLOSE_S}s: that Chromium was killed", stacklevel=2)


def _kill_browser(mark: str) -> None:
    """SIGKILL the Chromium process whose command line holds `mark`, and every process under it."""
    children: dict[int, list[int]] = {}
    marked: list[int] = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if mark.encode() in (entry / "cmdline").read_bytes().split(b"\0"):
                marked.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        children.setdefault(parent, []).append(int(entry.name))
    todo = list(marked)
    while todo:
        pid = todo.pop()
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # ended meanwhile
        todo.extend(children.get(pid, []))
