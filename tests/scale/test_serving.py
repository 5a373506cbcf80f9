"""What each `livchat scale` process asks of Reflex before it serves (livchat/scale.py)."""

from __future__ import annotations

import os
from unittest import mock

from reflex_base.environment import environment

from livchat.scale import prepare_serving


def test_a_process_serves_the_one_build_without_compiling() -> None:
    """Compiling at start, two processes purged and rewrote the shared `.web` under each other
    (one died on a file the other had just removed: a CI failure)."""
    with mock.patch.dict(os.environ):  # the whole environment back as it was afterwards
        for name in ("REFLEX_ENV_MODE", environment.REFLEX_SKIP_COMPILE.name):
            os.environ.pop(name, None)
        assert environment.REFLEX_SKIP_COMPILE.get() is False
        prepare_serving()
        assert environment.REFLEX_SKIP_COMPILE.get() is True
        assert environment.REFLEX_ENV_MODE.get().value == "prod"
    assert environment.REFLEX_SKIP_COMPILE.name not in os.environ
