"""What a browser sends an event handler is checked against the handler's annotations.

Reflex passes event arguments through as the browser sent them: a tampered page can send a list
where an id is expected, a 10 MB string, a NUL byte (which PostgreSQL's text refuses). Handlers
annotate their parameters `str` (ids, values) or `dict` (form data); `browser_input` drops an
event whose arguments do not fit, before the handler runs, so nothing is half-changed.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

from livchat.core.logging import get_logger

log = get_logger("state.inputs")

MAX_TEXT = 100_000  # characters in one value; a message text is at most 65,536
MAX_FORM_FIELDS = 50


def _text_ok(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT and "\x00" not in value


def _form_value_ok(value: object) -> bool:
    if isinstance(value, list):  # a multi-value field
        return len(value) <= MAX_FORM_FIELDS and all(_text_ok(v) for v in value)
    return value is None or isinstance(value, bool | int | float) or _text_ok(value)


def _fits(kind: object, value: object) -> bool:
    kind = typing.get_origin(kind) or kind  # dict[str, Any] is checked like dict
    if kind is str:
        return _text_ok(value)
    if kind is dict:
        return (isinstance(value, dict) and len(value) <= MAX_FORM_FIELDS
                and all(_text_ok(k) and _form_value_ok(v) for k, v in value.items()))
    return True  # other annotations are the handler's own business


@functools.cache
def _expected(handler: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(handler, eval_str=True)


def refused(handler: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """True (and logged) when `args`/`kwargs` (without self) do not fit `handler`'s `str` and
    `dict` annotations: the caller then drops the event."""
    signature = _expected(handler)
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:  # too many or missing arguments
        fit = False
    else:
        fit = all(_fits(signature.parameters[name].annotation, value)
                  for name, value in list(bound.arguments.items())[1:])
    if not fit:
        log.warning("event dropped: its arguments do not fit", extra={"handler": handler.__qualname__})
    return not fit


def browser_input(handler: Callable[..., Any]) -> Callable[..., Any]:
    """For handlers without `authorized` (which checks too): drop an event whose arguments do
    not fit the handler's annotations."""
    if inspect.isasyncgenfunction(handler):  # a handler that yields updates as it goes
        @functools.wraps(handler)
        async def checked_steps(self: Any, *args: Any, **kwargs: Any) -> Any:
            if refused(handler, args, kwargs):
                return
            async for update in handler(self, *args, **kwargs):
                yield update

        return checked_steps
    if inspect.iscoroutinefunction(handler):
        @functools.wraps(handler)
        async def checked_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            return None if refused(handler, args, kwargs) else await handler(self, *args, **kwargs)

        return checked_async

    @functools.wraps(handler)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        return None if refused(handler, args, kwargs) else handler(self, *args, **kwargs)

    return checked
