"""Clerk's own sign-in and sign-up components (@clerk/clerk-react), used when Clerk is configured.

After Clerk signs someone in, it sends the browser to /api/auth/clerk, which verifies Clerk's
session JWT on our server and opens our own HttpOnly session (see livchat.api.accounts).
"""

from __future__ import annotations

import reflex as rx

CLERK_REACT = "@clerk/clerk-react@5.61.11"
AFTER_CLERK = "/api/auth/clerk"


class ClerkProvider(rx.Component):
    library = CLERK_REACT
    tag = "ClerkProvider"
    publishable_key: rx.Var[str]
    after_sign_out_url: rx.Var[str]


class ClerkSignIn(rx.Component):
    library = CLERK_REACT
    tag = "SignIn"
    routing: rx.Var[str]
    sign_up_url: rx.Var[str]
    force_redirect_url: rx.Var[str]


class ClerkSignUp(rx.Component):
    library = CLERK_REACT
    tag = "SignUp"
    routing: rx.Var[str]
    sign_in_url: rx.Var[str]
    force_redirect_url: rx.Var[str]


def clerk_sign_in(publishable_key: str) -> rx.Component:
    return ClerkProvider.create(
        ClerkSignIn.create(routing="hash", sign_up_url="/sign-up", force_redirect_url=AFTER_CLERK),
        publishable_key=publishable_key,
        after_sign_out_url="/sign-in",
    )


def clerk_sign_up(publishable_key: str) -> rx.Component:
    return ClerkProvider.create(
        ClerkSignUp.create(routing="hash", sign_in_url="/sign-in", force_redirect_url=AFTER_CLERK),
        publishable_key=publishable_key,
        after_sign_out_url="/sign-in",
    )
