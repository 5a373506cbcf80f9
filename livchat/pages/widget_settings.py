"""Dashboard → Widget: the customization form, a live preview beside it (a static rendering of the
launcher and the chat panel with the values being edited, not the real iframe), and the
copy-ready embed snippet with the CSP lines a host page needs.

The logo goes to /api/inbox/widget/logo (cookie-checked), never through Reflex's /_upload.
"""

from __future__ import annotations

import reflex as rx

from livchat.components.errors import error_box
from livchat.components.forms import label, labelled
from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.i18n import LANGUAGES
from livchat.state.feeds import OrgFeed
from livchat.state.widget_settings import POSITIONS, WidgetSettingsState

SECTION = Section("widget", "message-square")
S = WidgetSettingsState

# Installed once per document: sends the chosen logo file to the cookie-checked route, then asks
# the state to show what is stored (the hidden reload button).
LOGO_SCRIPT = """(function () {
  if (window.livchatWidgetLogo) return;
  window.livchatWidgetLogo = true;
  document.addEventListener('change', async function (e) {
    var input = e.target;
    if (!input || input.id !== 'widget-logo-file' || !input.files || !input.files[0]) return;
    var status = document.getElementById('widget-logo-status');
    var body = new FormData();
    body.append('file', input.files[0]);
    status.textContent = input.dataset.busy || '';
    try {
      var res = await fetch('/api/inbox/widget/logo', {method: 'POST', body: body, credentials: 'same-origin'});
      if (res.ok) { status.textContent = ''; var b = document.getElementById('widget-reload'); if (b) b.click(); }
      else {
        var p = await res.json().catch(function () { return {}; });
        status.textContent = p.detail || p.title || String(res.status);
      }
    } catch (err) { status.textContent = String(err); }
    input.value = '';
  });
})();"""


def _color_field(key: str, element_id: str, value: rx.Var, on_change: rx.EventHandler) -> rx.Component:
    return rx.vstack(
        label(key, element_id),
        rx.hstack(
            rx.el.input(type="color", id=element_id, value=value, on_change=on_change, disabled=~S.can_manage,
                        width="48px", height="32px", padding="0", border="none", background="transparent",
                        cursor="pointer"),
            rx.code(value, size="2"),
            align="center",
        ),
        spacing="1",
    )


def _form() -> rx.Component:
    read_only = ~S.can_manage
    return rx.el.section(
        rx.heading(t("widget_page.form.heading"), as_="h2", size="4"),
        rx.cond(read_only, rx.callout(t("widget_page.read_only"), icon="info", id="widget-read-only", size="1")),
        labelled("widget_page.greeting", rx.text_area(
            id="widget-greeting", value=S.greeting, on_change=S.set_greeting, placeholder=S.default_greeting,
            rows="2", read_only=read_only, width="100%"), "widget-greeting", width="100%"),
        labelled("widget_page.suggestions", rx.text_area(
            id="widget-suggestions", value=S.suggestions, on_change=S.set_suggestions, rows="3",
            read_only=read_only, width="100%"), "widget-suggestions", width="100%"),
        rx.hstack(
            _color_field("widget_page.primary_color", "widget-primary-color", S.primary_color, S.set_primary_color),
            _color_field("widget_page.accent_color", "widget-accent-color", S.accent_color, S.set_accent_color),
            spacing="6", wrap="wrap",
        ),
        rx.hstack(
            rx.vstack(
                label("widget_page.position", "widget-position"),
                rx.select.root(
                    rx.select.trigger(id="widget-position", aria_label=t("widget_page.position")),
                    rx.select.content(*[rx.select.item(t(f"widget_page.position.{p}"), value=p,
                                                       id=f"widget-position-{p}") for p in POSITIONS]),
                    value=S.position, on_change=S.set_position, disabled=read_only,
                ),
                spacing="1",
            ),
            rx.vstack(
                label("widget_page.locale", "widget-locale"),
                rx.select.root(
                    rx.select.trigger(id="widget-locale", aria_label=t("widget_page.locale")),
                    rx.select.content(*[rx.select.item(name, value=code, id=f"widget-locale-{code}")
                                        for code, name in LANGUAGES.items()]),
                    value=S.locale, on_change=S.set_locale, disabled=read_only,
                ),
                spacing="1",
            ),
            spacing="6", wrap="wrap",
        ),
        labelled("widget_page.allowed_origins", rx.text_area(
            id="widget-allowed-origins", value=S.allowed_origins, on_change=S.set_allowed_origins, rows="3",
            placeholder="https://shop.example", read_only=read_only, width="100%"),
            "widget-allowed-origins", width="100%"),
        rx.cond(S.allowed_origins.strip() == "",
                rx.callout(t("widget_page.any_site_warning"), icon="triangle-alert", color_scheme="amber",
                           id="widget-any-site", size="1")),
        rx.vstack(
            label("widget_page.logo", "widget-logo-file"),
            rx.hstack(
                rx.cond(S.logo_url != "", rx.image(src=S.logo_url, alt="", height="32px", id="widget-logo-current")),
                rx.el.input(type="file", id="widget-logo-file", accept="image/png,image/jpeg,image/webp",
                            disabled=read_only, custom_attrs={"data-busy": t("widget_page.logo_uploading")},
                            font_size="14px"),
                rx.cond(S.can_manage & (S.logo_url != ""),
                        rx.button(t("widget_page.logo_remove"), on_click=S.remove_logo, size="1", variant="soft",
                                  color_scheme="red", id="widget-logo-remove")),
                align="center", wrap="wrap",
            ),
            rx.text("", id="widget-logo-status", size="1", color_scheme="red", role="status"),
            rx.el.button("reload", on_click=S.reload, id="widget-reload", display="none", tab_index=-1),
            spacing="1",
        ),
        error_box(S.error, element_id="widget-error"),
        rx.cond(S.can_manage, rx.hstack(
            rx.button(t("widget_page.save"), on_click=S.save, id="widget-save"),
            rx.cond(S.saved, rx.text(t("widget_page.saved"), color_scheme="green", size="2", id="widget-saved",
                                     role="status")),
            align="center",
        )),
        display="flex", flex_direction="column", gap="16px", flex="1", min_width="0",
        aria_label=t("widget_page.form.heading"),
    )


def _preview() -> rx.Component:
    """The widget as a visitor would see it, from the values being edited."""
    left = S.position == "bottom-left"
    greeting = rx.cond(S.greeting.strip() != "", S.greeting, S.default_greeting)
    # The widget itself is light whatever the dashboard's theme: fixed colours, so the preview
    # looks like the widget (and keeps its contrast) in the dark theme too.
    panel = rx.box(
        rx.hstack(
            rx.cond(S.logo_url != "", rx.image(src=S.logo_url, alt="", height="24px", border_radius="4px")),
            rx.text(S.organization_name, weight="bold", size="2", color=S.on_primary),
            background=S.primary_color, padding="10px 12px", align="center", id="preview-header",
            border_radius="12px 12px 0 0",
        ),
        rx.vstack(
            rx.box(rx.text(greeting, size="2", white_space="pre-wrap", id="preview-greeting", color="#1c2024"),
                   background="#f0f0f3", padding="8px 10px", border_radius="10px", max_width="90%"),
            rx.foreach(S.suggestions.split("\n"), lambda s: rx.cond(
                s.strip() != "",
                rx.box(rx.text(s, size="1"), class_name="preview-suggestion", padding="4px 10px",
                       border_radius="999px", border=f"1px solid {S.accent_color}", color=S.accent_color,
                       align_self="flex-end"))),
            padding="12px", spacing="2", min_height="160px", width="100%",
        ),
        rx.box(rx.text(t("widget_page.preview.placeholder"), size="1", color="#60646c"),
               border_top="1px solid #e0e1e6", padding="10px 12px"),
        width="100%", border_radius="12px", background="#ffffff", border="1px solid #d9d9e0",
        box_shadow="0 8px 24px rgba(0,0,0,0.12)",
    )
    launcher = rx.box(
        rx.icon("message-circle", color=S.on_primary, size=26, aria_hidden="true"),
        width="56px", height="56px", border_radius="50%", background=S.primary_color, display="flex",
        align_items="center", justify_content="center", id="preview-launcher",
        title=t("widget_page.preview.launcher"),
        align_self=rx.cond(left, "flex-start", "flex-end"),
    )
    return rx.el.section(
        rx.heading(t("widget_page.preview.heading"), as_="h2", size="4"),
        rx.vstack(panel, launcher, spacing="3", width="100%", padding="16px", border_radius="12px",
                  background=rx.color("gray", 3), id="widget-preview",
                  custom_attrs={"data-position": S.position, "data-color": S.primary_color}),
        display="flex", flex_direction="column", gap="12px",
        width=rx.breakpoints(initial="100%", md="340px"), flex_shrink="0",
        aria_label=t("widget_page.preview.heading"),
    )


def _embed() -> rx.Component:
    return rx.el.section(
        rx.heading(t("widget_page.embed.heading"), as_="h2", size="4"),
        rx.text(t("widget_page.embed.intro"), size="2"),
        rx.el.pre(rx.el.code(S.snippet), class_name="sample-code", id="widget-snippet", tab_index=0,
                  white_space="pre-wrap", overflow_wrap="anywhere"),
        rx.button(t("widget_page.embed.copy"), on_click=rx.set_clipboard(S.snippet), size="1", variant="soft",
                  id="widget-copy-snippet"),
        rx.text(t("widget_page.embed.csp"), size="2"),
        rx.el.pre(rx.el.code(S.csp), class_name="sample-code", id="widget-csp", tab_index=0, white_space="pre-wrap"),
        display="flex", flex_direction="column", gap="8px", width="100%",
    )


def widget_settings_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            rx.flex(_form(), _preview(), direction=rx.breakpoints(initial="column", md="row"), gap="24px",
                    width="100%", align="start"),
            _embed(),
            spacing="6", width="100%", on_mount=rx.call_script(LOGO_SCRIPT),
        ),
    )


def register(app: rx.App) -> list[str]:
    app.add_page(widget_settings_page, route=SECTION.route, title="LivChat — Widget",
                 on_load=[OrgFeed.link, WidgetSettingsState.load])
    return [SECTION.route]
