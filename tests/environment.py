"""Settings from the environment for one test: set, then put back exactly as they were."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from livchat.core.settings import reset_settings_cache


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """`values` in os.environ (and the settings re-read) for the block; the earlier values after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    reset_settings_cache()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings_cache()
