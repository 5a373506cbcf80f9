"""The error box: a state var holding an error's catalogue key, shown translated in a red callout.

Every form and page uses it, whatever the domain of the error (`accounts.errors.*`,
`whatsapp.errors.*`, `dashboard_whatsapp.errors.*`; see state.whatsapp_common.code_key and
state.auth.error_key). A plan limit also says where to go next: the plans.
"""

from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t
from livchat.i18n import EN
from livchat.state.whatsapp_common import WITH_DETAIL

ERROR_KEYS = sorted(k for k in EN if k.startswith(("accounts.errors.", "whatsapp.errors.", "dashboard_whatsapp.errors.",
                                                          "support.errors.", "widget.errors.",
                                                          "analytics.errors.")))
UNEXPECTED = "dashboard_whatsapp.errors.unexpected"
# Errors that an upgrade lifts: the box links to the Billing page (plans, calculator, upgrade).
UPGRADE_KEYS = ["dashboard_whatsapp.errors.plan_limit", "dashboard_whatsapp.errors.quota_exceeded"]
UPGRADE_PAGE = "/dashboard/billing"
URL_REFUSED_KEYS = [f"dashboard_whatsapp.url_refused.{reason}" for reason in
                    ("length", "characters", "malformed", "scheme", "credentials", "unresolvable", "not_public")]


def error_text(key: rx.Var) -> rx.Var:
    """The translated text of an error key (the generic message for a key we do not know)."""
    return rx.match(key, *[(k, t(k)) for k in ERROR_KEYS], t(UNEXPECTED))


def error_box(key: rx.Var, detail: rx.Var | None = None, reason: rx.Var | None = None, *,
              element_id: str = "dashboard-error") -> rx.Component:
    """Nothing while `key` is ""; else the translated error. Beneath it, for the errors whose
    technical detail helps (WITH_DETAIL), `reason` translated when given, else `detail` as is."""
    extra: list[rx.Component] = []
    if detail is not None:
        if reason is not None:
            detail = rx.match(reason, *[(k, t(k)) for k in URL_REFUSED_KEYS], detail)
        extra.append(rx.cond(rx.Var.create(list(WITH_DETAIL)).contains(key), rx.text(detail, size="1")))
    return rx.cond(
        key != "",
        rx.callout(
            rx.vstack(
                rx.text(error_text(key)),
                *extra,
                rx.cond(rx.Var.create(UPGRADE_KEYS).contains(key),
                        rx.link(t("shell.plans.see"), href=UPGRADE_PAGE, id="see-plans", weight="medium",
                                color_scheme="red", high_contrast=True, underline="always")),
                spacing="1",
            ),
            icon="triangle-alert", color_scheme="red", id=element_id, width="100%", role="alert",
        ),
    )
