"""The landing page's test panel: one screen per state, each with its own id (tests find them by
it) and its own words in both languages. Message text is rendered as text (React escapes it):
nothing a contact writes becomes markup."""

from __future__ import annotations

import reflex as rx
from reflex_base.vars.base import VarData

from livchat.components.i18n import t
from livchat.core.settings import get_settings
from livchat.state.i18n import LangState
from livchat.state.test_panel import KEEP_ROUTE, PanelFeed, PanelState

MONO = "var(--code-font-family, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace)"
# Headers and bodies: wrapped anywhere (signatures are long), never wider than the card.
WRAPPED_CODE = {"font_family": MONO, "font_size": "12px", "line_height": "1.5", "white_space": "pre-wrap",
                "word_break": "break-all", "background": rx.color("gray", 3), "color": rx.color("gray", 12),
                "padding": "8px 10px", "border_radius": "6px", "margin": "4px 0 0", "max_width": "100%"}
STEPS = {"padding_left": "1.4em", "margin": "0", "list_style": "decimal", "line_height": "1.7"}

# `(iso, lang, seconds) => "Thu 21:00 GMT-3"` (or "21:00:05"): an instant in the viewer's own zone
# and language, formatted in the browser.
_CLOCK_JS = (
    "((iso, lang, seconds) => { if (!iso) return ''; const d = new Date(iso); if (isNaN(d.getTime())) return iso;"
    " const o = seconds ? {hour: '2-digit', minute: '2-digit', second: '2-digit'}"
    " : {weekday: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short'};"
    " try { return new Intl.DateTimeFormat(lang, o).format(d); } catch (e) { return d.toISOString(); } })"
)


def local_clock(iso: rx.Var, *, seconds: bool = False) -> rx.Var:
    """`iso` (UTC, RFC 3339) as the viewer's local time: weekday, time and zone, or the time to
    the second (a feed's rhythm)."""
    lang = LangState.lang
    return rx.Var(f"{_CLOCK_JS}({iso}, {lang}, {'true' if seconds else 'false'})", _var_type=str,
                  _var_data=VarData.merge(iso._get_all_var_data(), lang._get_all_var_data()))


def _label(key: str, html_for: str) -> rx.Component:
    """A real <label for=…>: the field's accessible name (a placeholder is not one)."""
    return rx.el.label(rx.text(t(key), size="2", weight="medium", as_="span"), html_for=html_for)


def _screen(element_id: str, icon: str, title_key: str, *body: rx.Component, color: str = "gray") -> rx.Component:
    """A state of its own: an icon, a title (h3) and what to do about it."""
    return rx.vstack(
        rx.icon(icon, size=32, color=rx.color(color, 11), aria_hidden="true"),
        rx.heading(t(title_key), as_="h3", size="4", text_align="center"),
        *body,
        id=element_id,
        role="status",
        align="center",
        text_align="center",
        spacing="3",
        padding_y="24px",
        width="100%",
    )


def _body_text(*children: rx.Component | rx.Var) -> rx.Component:
    return rx.text(*children, size="2", color_scheme="gray", max_width="460px", as_="p")


# --- problems ---------------------------------------------------------------------------------

def _rate_limited() -> rx.Component:
    return _screen(
        "panel-rate-limited", "timer", "test_panel.rate_limited.title",
        _body_text(t("test_panel.rate_limited.body"), " ",
                   rx.text(PanelState.retry_text, weight="bold", as_="span", id="panel-retry-after",
                           white_space="nowrap"), "."),
        rx.button(t("test_panel.try_again"), on_click=PanelState.dismiss, id="panel-try-again"),
        color="amber",
    )


def _gateway() -> rx.Component:
    return _screen(
        "panel-gateway", "cloud-off", "test_panel.gateway.title",
        _body_text(t("test_panel.gateway.body")),
        rx.button(t("test_panel.try_again"), on_click=PanelState.dismiss, id="panel-try-again"),
        color="red",
    )


def _session_expired() -> rx.Component:
    return _screen(
        "panel-session-expired", "hourglass", "test_panel.session_expired.title",
        _body_text(t("test_panel.session_expired.body")),
        rx.button(t("test_panel.session_expired.action"), on_click=PanelState.dismiss, id="panel-new-session"),
    )


def _code_expired() -> rx.Component:
    return _screen(
        "panel-code-expired", "qr-code", "test_panel.code_expired.title",
        _body_text(t("test_panel.code_expired.body")),
        rx.button(t("test_panel.code_expired.action"), on_click=PanelState.new_code, id="panel-new-code",
                  loading=PanelState.busy),
    )


# --- linking ----------------------------------------------------------------------------------

def _steps(*keys: str) -> rx.Component:
    return rx.el.ol(*[rx.el.li(rx.text(t(key), size="2")) for key in keys], class_name="panel-steps", style=STEPS)


def _sandbox_hint() -> rx.Component:
    if not get_settings().sandbox_enabled:  # decided when the page compiles, like the sandbox itself
        return rx.fragment()
    return rx.text(t("test_panel.sandbox_hint"), " ",
                   rx.link(t("test_panel.sandbox_link"), href="/sandbox", target="_blank", id="panel-sandbox-link"),
                   size="1", color_scheme="gray", as_="p")


def _waiting() -> rx.Component:
    return rx.hstack(rx.spinner(size="1"), rx.text(t("test_panel.waiting"), size="2"),
                     align="center", spacing="2", aria_live="polite")


def _choose() -> rx.Component:
    return rx.vstack(
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger(t("test_panel.tab.qr"), value="qr", id="panel-tab-qr"),
                rx.tabs.trigger(t("test_panel.tab.code"), value="code", id="panel-tab-code"),
            ),
            rx.tabs.content(
                rx.vstack(
                    _steps("test_panel.qr.step1", "test_panel.qr.step2", "test_panel.qr.step3"),
                    rx.button(rx.icon("qr-code", aria_hidden="true"), t("test_panel.qr.show"),
                              on_click=PanelState.show_qr, loading=PanelState.busy, size="3", id="panel-show-qr"),
                    spacing="3", padding_top="16px",
                ),
                value="qr",
            ),
            rx.tabs.content(
                rx.form(
                    rx.vstack(
                        _steps("test_panel.code.step1", "test_panel.code.step2", "test_panel.code.step3"),
                        _label("test_panel.code.phone", "panel-phone"),
                        rx.input(id="panel-phone", value=PanelState.phone, on_change=PanelState.set_phone,
                                 placeholder="+55 11 91234-5678", type="tel", auto_complete="tel", size="3",
                                 width="100%", max_width="320px", required=True),
                        rx.button(t("test_panel.code.get"), type="submit", loading=PanelState.busy, size="3",
                                  id="panel-get-code"),
                        spacing="2", padding_top="16px",
                    ),
                    on_submit=PanelState.pair,
                ),
                value="code",
            ),
            value=PanelState.tab,
            on_change=PanelState.set_tab,
            width="100%",
        ),
        _error(),
        _sandbox_hint(),
        spacing="3",
        width="100%",
    )


def _qr() -> rx.Component:
    return rx.flex(
        rx.box(
            rx.cond(PanelFeed.qr_code != "",
                    rx.image(src=PanelFeed.qr_code, alt=t("test_panel.qr.alt"), id="panel-qr", width="232px",
                             height="232px", style={"image_rendering": "pixelated"}),
                    rx.center(rx.spinner(size="3"), width="232px", height="232px")),
            background="white", padding="12px", border_radius="12px", border=f"1px solid {rx.color('gray', 6)}",
        ),
        rx.vstack(
            _steps("test_panel.qr.step1", "test_panel.qr.step2", "test_panel.qr.step3"),
            rx.text(t("test_panel.qr.rotates"), size="1", color_scheme="gray"),
            _waiting(),
            rx.button(t("test_panel.qr.use_code"), on_click=PanelState.use_pairing, variant="soft", size="2",
                      id="panel-use-code"),
            _sandbox_hint(),
            spacing="3",
        ),
        id="panel-qr-screen",
        direction=rx.breakpoints(initial="column", sm="row"),
        align="center",
        gap="24px",
        width="100%",
    )


def _pairing() -> rx.Component:
    return rx.vstack(
        rx.text(t("test_panel.code.your_code"), size="2", color_scheme="gray"),
        rx.hstack(
            rx.text(PanelState.pairing_code, id="panel-pairing-code", font_family=MONO, size="8", weight="bold",
                    letter_spacing="0.08em"),
            rx.icon_button(rx.icon("copy", aria_hidden="true"),
                           on_click=[rx.set_clipboard(PanelState.pairing_code), PanelState.copied("code")],
                           variant="soft", aria_label=t("test_panel.code.copy"), id="panel-copy-code"),
            align="center", spacing="3", wrap="wrap",
        ),
        rx.cond(PanelState.copied_what == "code", rx.text(t("test_panel.copied"), size="1", color_scheme="green",
                                                          role="status")),
        _steps("test_panel.code.enter1", "test_panel.code.enter2", "test_panel.code.enter3"),
        _waiting(),
        rx.button(t("test_panel.code.again"), on_click=PanelState.use_pairing, variant="soft", size="2",
                  id="panel-pair-again"),
        _sandbox_hint(),
        id="panel-pairing-screen",
        spacing="3",
        width="100%",
    )


# --- linked -----------------------------------------------------------------------------------

def _error() -> rx.Component:
    keys = sorted(k for k in _catalogue() if k.startswith("test_panel.errors."))
    return rx.cond(
        PanelState.error != "",
        rx.text(rx.match(PanelState.error, *[(key, t(key)) for key in keys], t("test_panel.errors.unexpected")),
                color_scheme="red", size="2", role="alert", id="panel-error"),
    )


def _catalogue() -> dict[str, str]:
    from livchat.i18n import EN

    return EN


def _daily_limit() -> rx.Component:
    return _screen(
        "panel-daily-limit", "calendar-clock", "test_panel.daily.title",
        _body_text(t("test_panel.daily.body_before"), " ", rx.text(PanelState.daily, as_="span"), " ",
                   t("test_panel.daily.body_after"), " ",
                   rx.el.time(local_clock(PanelState.resets_at), date_time=PanelState.resets_at, id="panel-resets-at",
                              font_weight="bold"), "."),
        _body_text(t("test_panel.daily.sign_up")),
        color="amber",
    )


def _send_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(t("test_panel.send.title"), as_="h3", size="3"),
            _label("test_panel.send.to", "panel-to"),
            rx.input(id="panel-to", value=PanelState.to, on_change=PanelState.set_to, placeholder="+55 11 91234-5678",
                     type="tel", auto_complete="off", size="3", width="100%", required=True),
            _label("test_panel.send.message", "panel-message"),
            rx.text_area(id="panel-message", value=PanelState.message, on_change=PanelState.set_message,
                         placeholder=t("test_panel.send.placeholder"), size="3", width="100%", rows="3",
                         max_length=4096, required=True),
            rx.hstack(
                rx.button(rx.icon("send", aria_hidden="true"), t("test_panel.send.submit"), type="submit",
                          loading=PanelState.busy, size="3", id="panel-send"),
                rx.text(rx.text(PanelState.remaining, as_="span", weight="bold"), " ",
                        t("test_panel.send.remaining_of"), " ", rx.text(PanelState.daily, as_="span"), " ",
                        t("test_panel.send.remaining_today"), size="2", color_scheme="gray", id="panel-remaining"),
                align="center", spacing="3", wrap="wrap",
            ),
            rx.cond(PanelState.sent, rx.text(t("test_panel.send.sent"), size="2", color_scheme="green", role="status",
                                             id="panel-sent")),
            _error(),
            spacing="2",
            width="100%",
        ),
        on_submit=PanelState.send,
        width="100%",
    )


def _delivery(item: rx.Var) -> rx.Component:
    """One event as the developer's endpoint would receive it: headers and raw body (exact bytes)."""
    inbound = item["direction"] == "inbound"
    return rx.box(
        rx.hstack(
            rx.badge(item["type"], variant="soft", color_scheme=rx.cond(inbound, "teal", "gray"), font_family=MONO),
            rx.text(rx.el.time(local_clock(item["time"], seconds=True), date_time=item["time"]), size="1",
                    color_scheme="gray"),
            justify="between", align="center", wrap="wrap", width="100%",
        ),
        rx.cond(
            item["text"] != "",
            rx.text(rx.cond(inbound, t("test_panel.feed.from"), t("test_panel.feed.to")), " +", item["phone"], ": ",
                    rx.text(item["text"], as_="span", weight="medium", class_name="panel-text"),
                    size="2", as_="p", overflow_wrap="anywhere"),
        ),
        rx.el.pre(item["headers"], class_name="panel-headers", style=WRAPPED_CODE),
        rx.el.details(rx.el.summary(rx.text(t("test_panel.feed.body"), size="2", as_="span"), cursor="pointer"),
                      rx.el.pre(item["body"], class_name="panel-body", style=WRAPPED_CODE), margin_top="6px"),
        class_name="panel-event",
        custom_attrs={"data-type": item["type"]},
        key=item["id"],  # a new delivery on top must not inherit the open body of the one it pushed down
        padding="12px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        width="100%",
    )


def _feed() -> rx.Component:
    return rx.vstack(
        rx.heading(t("test_panel.feed.title"), as_="h3", size="3"),
        rx.text(t("test_panel.feed.intro"), size="2", color_scheme="gray", as_="p"),
        rx.hstack(
            rx.text(t("test_panel.feed.secret"), size="1", weight="medium"),
            rx.code(PanelState.secret, id="panel-secret", size="1", overflow_wrap="anywhere"),
            rx.icon_button(rx.icon("copy", size=14, aria_hidden="true"),
                           on_click=[rx.set_clipboard(PanelState.secret), PanelState.copied("secret")],
                           size="1", variant="ghost", aria_label=t("test_panel.feed.copy_secret"),
                           id="panel-copy-secret"),
            align="center", spacing="2", wrap="wrap",
        ),
        rx.cond(PanelState.copied_what == "secret", rx.text(t("test_panel.copied"), size="1", color_scheme="green",
                                                            role="status")),
        rx.cond(
            PanelFeed.events.length() > 0,
            rx.vstack(rx.foreach(PanelFeed.events, _delivery), spacing="2", width="100%"),
            rx.text(t("test_panel.feed.empty"), size="2", color_scheme="gray", as_="p", id="panel-feed-empty"),
        ),
        id="panel-feed",
        aria_live="polite",
        spacing="2",
        width="100%",
        min_width="0",
    )


def _linked() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.box(width="10px", height="10px", border_radius="50%", background=rx.color("green", 9),
                   aria_hidden="true"),
            rx.text(t("test_panel.linked"), weight="bold", size="2"),
            rx.text("+", PanelFeed.number, id="panel-number", size="2", font_family=MONO),
            rx.cond(PanelFeed.name != "", rx.text(PanelFeed.name, size="2", color_scheme="gray", id="panel-name")),
            align="center", spacing="2", wrap="wrap",
            id="panel-linked",
        ),
        rx.grid(
            rx.cond(PanelState.used_up, _daily_limit(), _send_form()),
            _feed(),
            columns=rx.breakpoints(initial="1", md="2"),
            gap="24px",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _keep() -> rx.Component:
    """Signing up (or in) keeps the connection: /test-panel/keep moves it into the account."""
    signed_out = rx.hstack(
        rx.link(rx.button(t("test_panel.keep.sign_up"), size="2"), href=f"/sign-up?next={KEEP_ROUTE}",
                id="panel-sign-up"),
        rx.link(rx.button(t("test_panel.keep.sign_in"), size="2", variant="soft"), href=f"/sign-in?next={KEEP_ROUTE}",
                id="panel-sign-in"),
        spacing="2", wrap="wrap",
    )
    signed = rx.link(rx.button(t("test_panel.keep.add"), size="2"), href=KEEP_ROUTE, id="panel-keep")
    return rx.flex(
        rx.text(t("test_panel.keep.body"), size="2", color_scheme="gray", as_="p", flex="1", min_width="220px"),
        rx.cond(PanelState.signed_in, signed, signed_out),
        align="center", gap="12px", wrap="wrap", width="100%",
        padding_top="12px", border_top=f"1px solid {rx.color('gray', 4)}",
    )


def _body() -> rx.Component:
    return rx.cond(
        ~PanelState.ready,
        rx.center(rx.spinner(size="3"), rx.text(t("test_panel.preparing"), size="2", margin_left="8px"),
                  padding_y="40px", id="panel-loading"),
        rx.cond(
            PanelState.problem == "rate_limited", _rate_limited(),
            rx.cond(
                PanelState.problem == "gateway_unavailable", _gateway(),
                rx.cond(
                    PanelState.problem == "session_expired", _session_expired(),
                    rx.cond(
                        PanelFeed.status == "connected", _linked(),
                        rx.cond(
                            PanelState.code_expired, _code_expired(),
                            rx.cond(PanelState.showing == "qr", _qr(),
                                    rx.cond(PanelState.showing == "pairing", _pairing(), _choose())),
                        ),
                    ),
                ),
            ),
        ),
    )


def test_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(t("test_panel.title"), as_="h2", size="6", id="test-panel-title"),
                rx.badge(t("test_panel.no_account"), color_scheme="teal", size="2", radius="full"),
                justify="between", align="center", wrap="wrap", width="100%",
            ),
            rx.text(t("test_panel.intro"), size="2", color_scheme="gray", as_="p"),
            _body(),
            rx.cond(PanelState.ready & (PanelState.problem == ""), _keep()),
            spacing="4",
            width="100%",
        ),
        id="test-panel",
        as_="section",
        aria_labelledby="test-panel-title",
        size="4",
        width="100%",
    )


test_panel.__test__ = False  # a component, not a pytest test
