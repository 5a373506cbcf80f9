"""Secrets shown once (a new API key, a webhook signing secret) never enter Reflex state: state is
stored (on disk, in Redis) and resent. The event that makes the secret writes it into an element
that is always in the page, hidden until shown, and that is the only place it lives."""

from __future__ import annotations

import json

import reflex as rx


def reveal(element_id: str, secret: str) -> rx.event.EventSpec:
    """Write `secret` into the element (an empty string clears it)."""
    return reveal_all({element_id: secret})


def reveal_all(texts: dict[str, str]) -> rx.event.EventSpec:
    """Write each text into its element, in one script (e.g. a key and a command that uses it)."""
    return rx.call_script("; ".join(f"document.getElementById({json.dumps(element_id)}).textContent = {json.dumps(text)}"
                                    for element_id, text in texts.items()))


def copy_from(element_id: str) -> rx.event.EventSpec:
    return rx.call_script(f"navigator.clipboard.writeText(document.getElementById({json.dumps(element_id)}).textContent)")
