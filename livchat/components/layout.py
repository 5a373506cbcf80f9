"""Page frames: the public header and footer, and the dashboard shell with its sidebar (on phones,
its menu). Landmarks: header, nav, main, aside, footer."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from livchat.components.i18n import document_meta, language_switcher, t, theme_toggle
from livchat.components.time import local_time
from livchat.i18n import LANGUAGES


def brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("message-circle", size=22, color=rx.color("teal", 9), aria_hidden="true"),
            rx.text(t("app.name"), weight="bold", size="5"),
            align="center",
            spacing="2",
        ),
        href="/",
        underline="none",
        color_scheme="gray",
        high_contrast=True,
    )


DOCS = "/docs"  # served by the API app (FastAPI), not a Reflex page: links reload the document


def docs_link(*children: rx.Component | rx.Var, **props) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.link(*(children or (t("nav.docs"),)), href=DOCS, reload_document=True, **props)


def _account_or_sign_in() -> rx.Component:
    """Signed in: their account (the dashboard, under their email); else "Sign in"."""
    from livchat.state.visitor import VisitorState

    return rx.cond(
        VisitorState.signed_in,
        rx.link(
            rx.hstack(rx.icon("circle-user", size=16, aria_hidden="true"),
                      rx.text(VisitorState.email, max_width="160px", overflow="hidden", text_overflow="ellipsis",
                              white_space="nowrap"),
                      align="center", spacing="1"),
            href="/dashboard", color_scheme="gray", id="nav-account",
            aria_label=t("shell.account") + ": " + VisitorState.email,  # the visible email is part of the name
        ),
        rx.link(t("nav.sign_in"), href="/sign-in", color_scheme="gray", id="nav-sign-in"),
    )


def public_navbar() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            brand(),
            rx.spacer(),
            rx.el.nav(
                rx.hstack(
                    rx.link(t("nav.features"), href="/#features", color_scheme="gray"),
                    docs_link(color_scheme="gray", id="nav-docs"),
                    rx.link(t("nav.sandbox"), href="/sandbox", color_scheme="gray"),
                    _account_or_sign_in(),
                    rx.link(rx.button(t("nav.dashboard")), href="/dashboard", id="nav-dashboard"),
                    language_switcher(),
                    theme_toggle(),
                    align="center",
                    spacing=rx.breakpoints(initial="3", sm="5"),
                    wrap="wrap",
                    justify="end",
                ),
                aria_label=t("shell.nav.main"),
            ),
            width="100%",
            padding_x=rx.breakpoints(initial="12px", sm="24px"),
            padding_y="16px",
            align="center",
            wrap="wrap",
            row_gap="12px",
        ),
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def public_footer() -> rx.Component:
    from livchat.state.visitor import VisitorState

    return rx.el.footer(
        rx.flex(
            rx.text(t("landing.footer"), size="1", color_scheme="gray"),
            rx.spacer(),
            rx.el.nav(
                rx.hstack(
                    docs_link(size="1", color_scheme="gray", id="footer-docs"),
                    rx.link(t("shell.nav.pricing"), href="/pricing", size="1", color_scheme="gray", id="footer-pricing"),
                    rx.link(t("nav.sandbox"), href="/sandbox", size="1", color_scheme="gray"),
                    rx.cond(VisitorState.signed_in,
                            rx.link(t("nav.dashboard"), href="/dashboard", size="1", color_scheme="gray"),
                            rx.link(t("nav.sign_in"), href="/sign-in", size="1", color_scheme="gray")),
                    spacing="4", wrap="wrap",
                ),
                aria_label=t("shell.nav.footer"),
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            gap="12px",
            width="100%",
        ),
        padding_x=rx.breakpoints(initial="12px", sm="24px"),
        padding_y="24px",
        border_top=f"1px solid {rx.color('gray', 4)}",
    )


def public_page(*children: rx.Component, title_key: str | None = None) -> rx.Component:
    from livchat.state.i18n import LangState
    from livchat.state.visitor import VisitorState

    return rx.flex(
        document_meta(title_key),
        public_navbar(),
        rx.el.main(*children, width="100%", flex="1"),
        public_footer(),
        on_mount=[LangState.detect_browser_language, VisitorState.check],
        direction="column",
        min_height="100vh",
    )


@dataclass(frozen=True)
class Section:
    slug: str
    icon: str

    @property
    def route(self) -> str:
        return "/dashboard" if self.slug == "overview" else f"/dashboard/{self.slug.replace('_', '-')}"

    @property
    def label_key(self) -> str:
        return f"dashboard.section.{self.slug}"


SECTION_GROUPS: list[tuple[str, list[Section]]] = [
    ("", [Section("overview", "layout-dashboard")]),
    (
        "dashboard.group.whatsapp",
        [
            Section("instances", "smartphone"),
            Section("webhooks", "webhook"),
            Section("api_keys", "key-round"),
            Section("analytics", "chart-column"),
        ],
    ),
    (
        "dashboard.group.support",
        [
            Section("inbox", "inbox"),
            Section("knowledge", "book-open"),
            Section("widget", "message-square"),
            Section("voice", "phone"),
        ],
    ),
    (
        "dashboard.group.account",
        [Section("members", "users"), Section("billing", "credit-card"), Section("settings", "settings")],
    ),
]
SECTIONS: list[Section] = [s for _, group in SECTION_GROUPS for s in group]


def _sidebar_link(section: Section) -> rx.Component:
    path = rx.State.router.url.path
    active = (path == section.route) | (path == section.route + "/")
    return rx.link(
        rx.hstack(rx.icon(section.icon, size=16, aria_hidden="true"), rx.text(t(section.label_key), size="2"),
                  align="center"),
        href=section.route,
        id=f"nav-{section.slug}",
        underline="none",
        color_scheme=rx.cond(active, "teal", "gray"),
        high_contrast=~active,
        weight=rx.cond(active, "bold", "regular"),
        padding_y="4px",
        aria_current=rx.cond(active, "page", "false"),
    )


def organization_switcher() -> rx.Component:
    from livchat.state.shell import ShellState

    return rx.select.root(
        rx.select.trigger(aria_label=t("accounts.orgs.switch"), id="organization-switcher", width="100%"),
        rx.select.content(
            rx.foreach(
                ShellState.organizations,
                lambda org: rx.select.item(org["name"], value=org["id"], class_name="organization-option"),
            ),
        ),
        value=ShellState.organization_id,
        on_change=ShellState.switch_organization,
        size="2",
    )


def user_menu() -> rx.Component:
    from livchat.state.shell import ShellState

    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("circle-user", size=16, aria_hidden="true"),
                rx.text(ShellState.user_email, size="1", trim="both", max_width="150px", overflow="hidden",
                        text_overflow="ellipsis", white_space="nowrap"),
                variant="ghost",
                color_scheme="gray",
                aria_label=t("accounts.user_menu") + ": " + ShellState.user_email,
                id="user-menu",
            )
        ),
        rx.menu.content(
            rx.menu.item(t("accounts.orgs.title"), on_click=rx.redirect("/select-organization"), id="menu-organizations"),
            rx.menu.separator(),
            rx.menu.item(t("accounts.sign_out"), on_click=ShellState.sign_out, color="red", id="sign-out"),
        ),
    )


def sidebar() -> rx.Component:
    blocks: list[rx.Component] = []
    for group_key, sections in SECTION_GROUPS:
        if group_key:
            blocks.append(rx.text(t(group_key), size="1", color_scheme="gray", weight="medium", padding_top="12px"))
        blocks.extend(_sidebar_link(s) for s in sections)
    return rx.el.aside(
        rx.vstack(
            brand(),
            organization_switcher(),
            rx.divider(),
            rx.el.nav(rx.vstack(*blocks, spacing="1"), aria_label=t("shell.nav.dashboard"), width="100%"),
            rx.spacer(),
            docs_link(rx.hstack(rx.icon("book-open-text", size=16, aria_hidden="true"), rx.text(t("nav.docs"), size="2"),
                                align="center"),
                      color_scheme="gray", high_contrast=True, underline="none", id="sidebar-docs"),
            user_menu(),
            rx.hstack(language_switcher(), theme_toggle(), align="center", spacing="3"),
            height="100%",
            spacing="1",
        ),
        id="dashboard-sidebar",
        display=rx.breakpoints(initial="none", sm="block"),  # phones get mobile_bar() instead
        width="240px",
        min_width="240px",
        height="100vh",
        position="sticky",
        top="0",
        padding="16px",
        overflow_y="auto",
        border_right=f"1px solid {rx.color('gray', 4)}",
        background=rx.color("gray", 2),
    )


def _menu_check(selected: rx.Var) -> rx.Component:
    """A tick before the chosen entry of a group (the organization, the language)."""
    return rx.box(rx.cond(selected, rx.icon("check", size=14, aria_hidden="true")), width="14px", height="14px")


def _menu_group(label: rx.Var) -> rx.Component:
    return rx.text(label, size="1", color_scheme="gray", weight="medium", padding_x="12px", padding_top="6px",
                   as_="div")


def mobile_menu() -> rx.Component:
    """Everything the sidebar offers, in one menu: the sections, the docs, the organization
    switcher, the account (sign-out), the language and the theme."""
    from livchat.state.i18n import LangState
    from livchat.state.shell import ShellState

    sections = [rx.menu.item(rx.hstack(rx.icon(s.icon, size=16, aria_hidden="true"), rx.text(t(s.label_key))),
                             on_select=rx.redirect(s.route)) for s in SECTIONS]
    organizations = rx.foreach(
        ShellState.organizations,
        lambda org: rx.menu.item(
            rx.hstack(_menu_check(org["id"] == ShellState.organization_id), rx.text(org["name"]), align="center"),
            on_select=ShellState.switch_organization(org["id"]),
            class_name="mobile-organization",
        ),
    )
    languages = [
        rx.menu.item(rx.hstack(_menu_check(LangState.lang == code), rx.text(label, lang=code), align="center"),
                     on_select=LangState.set_language(code), id=f"mobile-lang-{code}")
        for code, label in LANGUAGES.items()
    ]
    return rx.menu.root(
        rx.menu.trigger(rx.icon_button(rx.icon("menu"), variant="soft", aria_label=t("nav.menu"), id="mobile-menu")),
        rx.menu.content(
            *sections,
            rx.menu.item(rx.hstack(rx.icon("book-open-text", size=16, aria_hidden="true"), rx.text(t("nav.docs"))),
                         on_select=rx.call_script(f"window.location.assign('{DOCS}')"), id="mobile-docs"),
            rx.menu.separator(),
            _menu_group(t("shell.organization")),
            organizations,
            rx.menu.item(t("accounts.orgs.title"), on_select=rx.redirect("/select-organization"),
                         id="mobile-organizations"),
            rx.menu.separator(),
            _menu_group(t("nav.language")),
            *languages,
            rx.menu.item(rx.hstack(rx.color_mode_cond(light=rx.icon("moon", size=16, aria_hidden="true"),
                                                      dark=rx.icon("sun", size=16, aria_hidden="true")),
                                   rx.text(rx.color_mode_cond(light=t("shell.theme.dark"), dark=t("shell.theme.light")))),
                         on_select=rx.toggle_color_mode, id="mobile-theme"),
            rx.menu.separator(),
            _menu_group(ShellState.user_email),
            rx.menu.item(rx.hstack(rx.icon("log-out", size=16, aria_hidden="true"), rx.text(t("accounts.sign_out"))),
                         on_select=ShellState.sign_out, color="red", id="mobile-sign-out"),
            id="mobile-menu-content",
        ),
    )


def mobile_bar() -> rx.Component:
    """On phones, in place of the sidebar: the brand and the menu."""
    return rx.el.header(
        rx.hstack(brand(), rx.spacer(), mobile_menu(), width="100%", align="center"),
        display=rx.breakpoints(initial="block", sm="none"),
        width="100%",
        padding="12px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        background=rx.color("gray", 2),
    )


def notices_panel() -> rx.Component:
    """The organization's unread notices above every dashboard page; new ones appear live."""
    from livchat.state.feeds import OrgFeed, feed_watcher
    from livchat.state.i18n import LangState
    from livchat.state.notices import NoticesState

    def notice(item: rx.Var) -> rx.Component:
        in_pt = LangState.lang == "pt-BR"
        return rx.callout.root(
            rx.hstack(
                rx.vstack(
                    rx.text(rx.cond(in_pt, item["title_pt"], item["title_en"]), weight="bold", class_name="notice-title"),
                    rx.text(rx.cond(in_pt, item["body_pt"], item["body_en"]), size="2"),
                    rx.text(local_time(item["created"]), size="1", color_scheme="gray"),
                    spacing="1",
                ),
                rx.button(t("notifications.dismiss"), on_click=NoticesState.dismiss(item["id"]), size="1",
                          variant="soft", class_name="notice-dismiss", flex_shrink="0"),
                justify="between",
                align="start",
                width="100%",
            ),
            color="amber",
            class_name="notice",
            width="100%",
        )

    return rx.vstack(
        feed_watcher(NoticesState.refresh, OrgFeed.notices),
        rx.foreach(NoticesState.items, notice),
        id="notices",
        role="status",  # a live region: a notice that arrives is announced
        aria_label=t("notifications.heading"),
        spacing="2",
        width="100%",
        margin_bottom="16px",
    )


def dashboard_shell(title_key: str, *children: rx.Component, title_prefix: rx.Var | None = None) -> rx.Component:
    """A dashboard page. Mounting it runs the guard (signed out -> /sign-in, no organization ->
    selection); the content shows once the server has confirmed who is signed in. `title_prefix`
    goes before the tab's title (a count of what is new)."""
    from livchat.state.feeds import OrgFeed
    from livchat.state.i18n import LangState
    from livchat.state.notices import NoticesState
    from livchat.state.shell import ShellState

    return rx.flex(
        document_meta(title_key, title_prefix),
        mobile_bar(),
        sidebar(),
        rx.el.main(
            rx.heading(t(title_key), as_="h1", size="7", id="dashboard-title", margin_bottom="16px"),
            rx.cond(ShellState.ready, rx.fragment(notices_panel(), *children), rx.spinner(size="3")),
            flex="1",
            padding=rx.breakpoints(initial="12px", sm="24px"),
            min_width="0",
            width="100%",
            overflow_x="auto",  # anything wider than a phone scrolls inside the page, not the page sideways
        ),
        on_mount=[LangState.detect_browser_language, ShellState.load, OrgFeed.link, NoticesState.load],
        direction=rx.breakpoints(initial="column", sm="row"),
        spacing="0",
        align="start",
        width="100%",
    )
