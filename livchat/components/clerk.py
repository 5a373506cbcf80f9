"""Clerk's own sign-in and sign-up components (@clerk/clerk-react), used when Clerk is configured.

After Clerk signs someone in, it sends the browser to /api/auth/clerk, which verifies Clerk's
session JWT on our server and opens our own HttpOnly session (see livchat.api.accounts). They
speak the visitor's language: Clerk's own pt-BR strings (@clerk/localizations) in Portuguese.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.utils.imports import ImportVar
from reflex_base.vars.base import VarData

from livchat.state.i18n import LangState

CLERK_REACT = "@clerk/clerk-react@5.61.11"
CLERK_LOCALIZATIONS = "@clerk/localizations@3.37.9"
AFTER_CLERK = "/api/auth/clerk"

PT_BR: rx.Var = rx.Var("ptBR", _var_data=VarData(imports={CLERK_LOCALIZATIONS: [ImportVar(tag="ptBR")]}))

# Runs on the signed-out page: Clerk's script sets window.Clerk once loaded; end Clerk's session
# too (else Clerk's sign-in would let the same person straight back in), then go to sign-in.
CLERK_SIGN_OUT = (
    "(async () => { const until = Date.now() + 10000;"
    " while (!(window.Clerk && window.Clerk.loaded) && Date.now() < until)"
    " await new Promise((done) => setTimeout(done, 100));"
    " try { if (window.Clerk) await window.Clerk.signOut(); }"
    " finally { window.location.assign('/sign-in'); } })()"
)


class ClerkProvider(rx.Component):
    library = CLERK_REACT
    tag = "ClerkProvider"
    publishable_key: rx.Var[str]
    after_sign_out_url: rx.Var[str]
    localization: rx.Var[dict]


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


def clerk_provider(publishable_key: str, *children: rx.Component) -> rx.Component:
    return ClerkProvider.create(
        *children,
        publishable_key=publishable_key,
        after_sign_out_url="/sign-in",
        localization=rx.cond(LangState.lang == "pt-BR", PT_BR, rx.Var("undefined")),
    )


def clerk_sign_in(publishable_key: str) -> rx.Component:
    return clerk_provider(
        publishable_key,
        ClerkSignIn.create(routing="hash", sign_up_url="/sign-up", force_redirect_url=AFTER_CLERK),
    )


def clerk_sign_up(publishable_key: str) -> rx.Component:
    return clerk_provider(
        publishable_key,
        ClerkSignUp.create(routing="hash", sign_in_url="/sign-in", force_redirect_url=AFTER_CLERK),
    )


def clerk_sign_out(publishable_key: str) -> rx.Component:
    """Loads Clerk only to end its session (see CLERK_SIGN_OUT)."""
    return clerk_provider(publishable_key, rx.box(on_mount=rx.call_script(CLERK_SIGN_OUT)))
