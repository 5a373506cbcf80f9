"""The process-wide WuzAPI client and the mapping of its errors to service errors.

Where WuzAPI is comes from `livchat.sandbox.config.gateway_endpoint()`: the real one when
WUZAPI_URL is set, else the in-process sandbox. One pooled client per (endpoint, event loop):
a client's connections belong to the loop that opened them. WUZAPI_TIMEOUT_SECONDS (default 15)
bounds each call; a send that times out is reported, never retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from livchat.core.settings import get_settings
from livchat.integrations import wuzapi
from livchat.integrations.wuzapi import WuzapiClient
from livchat.sandbox.config import gateway_endpoint
from livchat.services import errors

_clients: dict[tuple[str, str, int, float], WuzapiClient] = {}


def get_gateway() -> WuzapiClient:
    base_url, admin_token = gateway_endpoint()
    seconds = get_settings().wuzapi_timeout_seconds
    key = (base_url, admin_token, id(asyncio.get_running_loop()), seconds)
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = WuzapiClient(base_url, admin_token, timeout=seconds,
                                              connect_timeout=min(5.0, seconds))
    return client


async def close_gateway() -> None:
    """Close the clients of the running loop (shutdown, or tests that change the endpoint)."""
    loop_id = id(asyncio.get_running_loop())
    for key in [k for k in _clients if k[2] == loop_id]:
        await _clients.pop(key).aclose()


def service_error(exc: wuzapi.WuzapiError) -> errors.ServiceError:
    """The service error (with a stable code) for one of WuzAPI's typed exceptions."""
    if isinstance(exc, wuzapi.NoSession | wuzapi.NotConnected):
        return errors.InstanceNotConnected("instance_not_connected")
    if isinstance(exc, wuzapi.AlreadyConnected | wuzapi.AlreadyLoggedIn | wuzapi.AlreadyPaired):
        return errors.InstanceAlreadyConnected("already_connected")
    if isinstance(exc, wuzapi.BadPhone):
        return errors.InvalidInput("invalid_phone")
    if isinstance(exc, wuzapi.SendRejected):  # the caller's message is at fault, not the gateway
        if exc.message.lower().startswith("failed to fetch"):
            return errors.MediaUnreachable(exc.message)
        return errors.MessageRejected(f"WhatsApp refused the message: {exc.message}")
    if isinstance(exc, wuzapi.OutcomeUnknown):  # written, no answer: may have been sent
        return errors.GatewayTimeout("gateway_timeout")
    # not sent (unreachable), unauthorized, unknown user, other 4xx outside a send, 5xx
    return errors.GatewayUnavailable(f"WhatsApp gateway error: {exc.message}")


@contextmanager
def gateway_errors() -> Iterator[None]:
    try:
        yield
    except wuzapi.WuzapiError as exc:
        raise service_error(exc) from exc
