"""Public pages' top bar: whether the visitor is signed in, so it offers their account (the
dashboard) instead of "Sign in". Read from the session cookie on the server, like everything else."""

from __future__ import annotations

import reflex as rx

from livchat.state.auth import SignedOut, signed_in


class VisitorState(rx.State):
    signed_in: bool = False
    email: str = ""

    @rx.event
    async def check(self) -> None:
        try:
            _, user = await signed_in(self)
        except SignedOut:
            self.signed_in, self.email = False, ""
            return
        self.signed_in, self.email = True, user.email
