"""Helpers for the accounts tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
import reflex as rx

# Import the app (and so every state) now, in the main context: Reflex keeps its registry of
# states in a context variable, which an import inside one async test would set for that test only.
import livchat.livchat  # noqa: F401
from livchat.core.settings import reset_settings_cache
from livchat.services.accounts import auth
from tests.accounts.accounts_support import tab_with_cookie


@pytest.fixture
def browser_tab() -> Callable[..., rx.State]:
    return tab_with_cookie


@pytest.fixture(autouse=True)
def _fresh_throttle() -> Iterator[None]:
    auth.reset_throttle()
    yield
    auth.reset_throttle()


@pytest.fixture
def clerk_configured() -> Iterator[Callable[[dict[str, str]], None]]:
    """Set Clerk (and any other) settings for one test; everything is restored after it."""
    saved = dict(os.environ)

    def configure(values: dict[str, str]) -> None:
        os.environ.update(values)
        reset_settings_cache()

    yield configure
    os.environ.clear()
    os.environ.update(saved)
    reset_settings_cache()
