"""Event arguments a tampered page sends are checked against the handler's annotations."""

from __future__ import annotations

from typing import Any

import pytest

from livchat.state.inputs import MAX_TEXT, browser_input, refused


async def handler(self: Any, instance_id: str, form_data: dict) -> str:
    return instance_id


@pytest.mark.parametrize(("args", "is_refused"), [
    (("inst_1", {"name": "Shop", "agree": True, "tags": ["a", "b"]}), False),
    ((["inst_1"], {}), True),  # a list where an id is expected
    (({"id": 1}, {}), True),
    ((None, {}), True),
    (("inst\x00", {}), True),  # PostgreSQL's text cannot hold it
    (("x" * (MAX_TEXT + 1), {}), True),
    (("inst_1", ["not", "a", "form"]), True),
    (("inst_1", {"name": {"nested": "object"}}), True),
    (("inst_1", {"name": "a\x00b"}), True),
    (("inst_1",), True),  # an argument missing
    (("inst_1", {}, "extra"), True),
])
def test_arguments_must_fit_the_annotations(args: tuple[Any, ...], is_refused: bool) -> None:
    assert refused(handler, args, {}) is is_refused


async def test_a_refused_event_never_reaches_the_handler() -> None:
    calls: list[str] = []

    class Tab:
        @browser_input
        def set_value(self, value: str) -> None:
            calls.append(value)

    Tab().set_value(["tampered"])  # type: ignore[arg-type]
    Tab().set_value("fine")
    assert calls == ["fine"]
    checked = browser_input(handler)
    assert await checked(None, "inst_1", {}) == "inst_1" and await checked(None, 5, {}) is None
