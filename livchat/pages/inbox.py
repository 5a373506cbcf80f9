"""Dashboard → Inbox: conversations on the left, the open one in the middle, its contact on the
right; on phones the list and the conversation are two screens (a back button between them).

Message text is shown as text (never HTML or Markdown). Files go to /api/inbox (cookie-checked),
never through Reflex's /_upload. Keyboard: j/k move, r focuses the reply box, e resolves (not
while typing in a field); Enter sends, Shift+Enter starts a new line.
"""

from __future__ import annotations

import reflex as rx

from livchat.components.errors import error_box
from livchat.components.forms import label
from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.components.status import status_badge
from livchat.components.time import local_time
from livchat.state.feeds import OrgFeed, feed_watcher
from livchat.state.inbox import STATUS_FILTERS, InboxState
from livchat.state.support_feeds import ConversationFeed, InboxFeed

SECTION = Section("inbox", "inbox")
PHONE = "@media screen and (max-width: 767px)"

# Installed once per document: the keyboard shortcuts, Enter to send, inserting a saved reply at
# the cursor, and sending a file to /api/inbox with the session cookie. Buttons it clicks are the
# page's own (hidden ones for j/k), so every action still goes through the state's handlers.
INBOX_SCRIPT = """(function () {
  if (window.livchatInbox) return;
  function field(el) { return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)); }
  function click(id) { var b = document.getElementById(id); if (b && !b.disabled) b.click(); }
  function reply() { return document.getElementById('inbox-reply'); }
  document.addEventListener('keydown', function (e) {
    if (!document.getElementById('inbox-root')) return;
    var t = e.target;
    if (t && t.id === 'inbox-reply' && e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (t.value.trim() && t.form) t.form.requestSubmit();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || field(t)) return;
    if (e.key === 'j') click('inbox-next');
    else if (e.key === 'k') click('inbox-previous');
    else if (e.key === 'e') click('inbox-resolve');
    else if (e.key === 'r' && reply()) { e.preventDefault(); reply().focus(); }
  });
  document.addEventListener('change', async function (e) {
    var input = e.target;
    if (!input || input.id !== 'inbox-file' || !input.files || !input.files[0]) return;
    var status = document.getElementById('inbox-upload-status');
    var body = new FormData();
    body.append('file', input.files[0]);
    var r = reply();
    if (r && r.value.trim()) body.append('text', r.value);
    status.textContent = input.dataset.busy || '';
    try {
      var res = await fetch('/api/inbox/conversations/' + encodeURIComponent(input.dataset.conversation) +
                            '/attachments', {method: 'POST', body: body, credentials: 'same-origin'});
      if (res.ok) { status.textContent = ''; if (r) r.value = ''; }
      else {
        var p = await res.json().catch(function () { return {}; });
        status.textContent = p.detail || p.title || String(res.status);
      }
    } catch (err) { status.textContent = String(err); }
    input.value = '';
  });
  window.livchatInbox = {
    insert: function (text) {
      var r = reply(); if (!r) return;
      var s = r.selectionStart == null ? r.value.length : r.selectionStart;
      var end = r.selectionEnd == null ? r.value.length : r.selectionEnd;
      r.setRangeText(text, s, end, 'end'); r.focus();
    }
  };
})();"""


# --- the list ---------------------------------------------------------------------------------------


def _filters() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            label("inbox.filter.label", "inbox-status-filter"),
            rx.select.root(
                rx.select.trigger(id="inbox-status-filter", aria_label=t("inbox.filter.label")),
                rx.select.content(*[rx.select.item(t(f"inbox.filter.{s}"), value=s, id=f"inbox-filter-{s}")
                                    for s in STATUS_FILTERS]),
                value=InboxState.status_filter, on_change=InboxState.set_status_filter, size="2",
            ),
            align="center", spacing="2",
        ),
        rx.form(
            rx.hstack(
                rx.input(name="query", id="inbox-search", placeholder=t("inbox.search.placeholder"),
                         aria_label=t("inbox.search.label"), type="search", flex="1"),
                rx.button(t("inbox.search.submit"), type="submit", variant="soft", id="inbox-search-submit"),
                width="100%", spacing="2",
            ),
            on_submit=InboxState.search, role="search", width="100%",
        ),
        spacing="2", width="100%",
    )


def _channel(channel: rx.Var) -> rx.Component:
    return rx.badge(rx.match(channel, ("whatsapp", t("inbox.channel.whatsapp")), t("inbox.channel.widget")),
                    color_scheme=rx.match(channel, ("whatsapp", "green"), "blue"), variant="surface",
                    class_name="inbox-channel")


def _conversation_item(row: rx.Var) -> rx.Component:
    selected = InboxState.selected == row["id"]
    unread = row["unread"] != "0"
    return rx.el.li(
        rx.el.button(
            rx.vstack(
                rx.hstack(
                    rx.text(row["name"], weight=rx.cond(unread, "bold", "medium"), size="2", trim="both",
                            class_name="inbox-contact-name", overflow="hidden", text_overflow="ellipsis",
                            white_space="nowrap", flex="1"),
                    rx.cond(unread, rx.badge(row["unread"], color_scheme="red", variant="solid", radius="full",
                                             class_name="inbox-unread",
                                             aria_label=row["unread"] + " " + t("inbox.list.unread"))),
                    width="100%", align="center",
                ),
                rx.text(row["preview"], size="1", color_scheme="gray", class_name="inbox-preview",
                        overflow="hidden", text_overflow="ellipsis", white_space="nowrap", width="100%"),
                rx.hstack(_channel(row["channel"]), status_badge(row["status"], "support.status", size="1"),
                          rx.spacer(), rx.text(local_time(row["last_at"]), size="1", color_scheme="gray"),
                          width="100%", align="center", spacing="1", wrap="wrap"),
                spacing="1", width="100%", align="start",
            ),
            on_click=InboxState.open(row["id"]),
            aria_current=rx.cond(selected, "true", "false"),
            class_name="inbox-item",
            custom_attrs={"data-conversation": row["id"], "data-status": row["status"]},
            width="100%", text_align="left", padding="10px", border_radius="8px", cursor="pointer",
            border=rx.cond(selected, f"1px solid {rx.color('teal', 8)}", "1px solid transparent"),
            background=rx.cond(selected, rx.color("teal", 3), "transparent"),
            color="inherit",
        ),
        list_style="none",
    )


def _list_pane() -> rx.Component:
    return rx.el.section(
        rx.heading(t("inbox.list.heading"), as_="h2", size="4"),
        _filters(),
        rx.cond(
            InboxState.conversations.length() > 0,
            rx.el.ul(rx.foreach(InboxState.conversations, _conversation_item), id="inbox-list",
                     padding="0", margin="0", display="flex", flex_direction="column", gap="4px"),
            rx.text(t("inbox.list.empty"), color_scheme="gray", size="2", id="inbox-empty"),
        ),
        rx.text(t("inbox.shortcuts"), size="1", color_scheme="gray"),
        # j / k: hidden buttons the keyboard script clicks
        rx.el.button("j", on_click=InboxState.select_next, id="inbox-next", display="none", tab_index=-1),
        rx.el.button("k", on_click=InboxState.select_previous, id="inbox-previous", display="none", tab_index=-1),
        class_name=rx.cond(InboxState.selected != "", "inbox-pane inbox-phone-hidden", "inbox-pane"),
        aria_label=t("inbox.list.heading"),
        display="flex", flex_direction="column", gap="12px",
        width=rx.breakpoints(initial="100%", md="320px"), min_width=rx.breakpoints(initial="0", md="280px"),
        flex_shrink="0",
    )


# --- the conversation -------------------------------------------------------------------------------


def _attachment(a: rx.Var) -> rx.Component:
    return rx.cond(
        a.is_image,
        rx.link(rx.image(src=a.url, alt=a.filename, max_width="240px", max_height="200px", border_radius="6px"),
                href=a.url, is_external=True, class_name="inbox-attachment"),
        rx.link(rx.hstack(rx.icon("paperclip", size=14, aria_hidden="true"), rx.text(a.filename, size="2")),
                href=a.url, is_external=True, class_name="inbox-attachment"),
    )


def _sources(m: rx.Var) -> rx.Component:
    return rx.cond(
        m.sources.length() > 0,
        rx.el.details(
            rx.el.summary(t("inbox.sources"), font_size="12px", cursor="pointer"),
            rx.foreach(m.sources, lambda s: rx.box(
                rx.text(s.filename, weight="medium", size="1"),
                rx.cond(s.heading != "", rx.text(s.heading, size="1", color_scheme="gray")),
                rx.text(s.text, size="1", white_space="pre-wrap"),  # the passage, as text
                class_name="inbox-source", padding_top="4px",
            )),
            class_name="inbox-sources",
        ),
    )


def _sender_label(m: rx.Var) -> rx.Var:
    return rx.match(m.sender, ("ai", t("support.sender.ai")), ("system", t("support.sender.system")),
                    ("operator", rx.cond(m.author != "", m.author, t("support.sender.operator"))),
                    InboxState.contact["name"])


def _message(m: rx.Var) -> rx.Component:
    mine = (m.sender == "operator") | (m.sender == "ai")
    return rx.cond(
        m.sender == "system",
        rx.text(m.text, size="1", color_scheme="gray", text_align="center", white_space="pre-wrap",
                class_name="inbox-message sender-system", width="100%", padding_y="4px"),
        rx.box(
            rx.vstack(
                rx.hstack(rx.text(_sender_label(m), size="1", weight="bold"),
                          rx.text(local_time(m.created), size="1", color_scheme="gray"), spacing="2", wrap="wrap"),
                rx.text(m.text, size="2", white_space="pre-wrap", class_name="inbox-text",
                        overflow_wrap="anywhere"),
                rx.foreach(m.attachments, _attachment),
                _sources(m),
                spacing="1", align="start",
            ),
            class_name="inbox-message sender-" + m.sender,
            align_self=rx.cond(mine, "flex-end", "flex-start"),
            max_width="85%", padding="8px 12px", border_radius="10px",
            background=rx.match(m.sender, ("operator", rx.color("teal", 3)), ("ai", rx.color("violet", 3)),
                                rx.color("gray", 3)),
            border=rx.match(m.sender, ("ai", f"1px dashed {rx.color('violet', 8)}"), "1px solid transparent"),
        ),
    )


def _actions() -> rx.Component:
    status = InboxState.conversation["status"]
    return rx.hstack(
        rx.cond(status != "escalated", rx.cond(status != "resolved", rx.button(
            t("inbox.action.escalate"), on_click=InboxState.escalate, size="1", variant="soft", color_scheme="red",
            id="inbox-escalate"))),
        rx.cond(status != "resolved",
                rx.button(t("inbox.action.resolve"), on_click=InboxState.resolve, size="1", id="inbox-resolve"),
                rx.button(t("inbox.action.reopen"), on_click=InboxState.reopen, size="1", id="inbox-reopen",
                          variant="soft")),
        rx.cond(InboxState.conversation["mine"] == "",
                rx.button(t("inbox.action.assign_me"), on_click=InboxState.assign_to_me, size="1", variant="outline",
                          id="inbox-assign-me")),
        spacing="2", wrap="wrap",
    )


def _saved_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(rx.button(rx.icon("bookmark", size=14, aria_hidden="true"), t("inbox.saved.menu"),
                                  type="button", size="1", variant="soft", id="inbox-saved-menu")),
        rx.menu.content(
            rx.cond(InboxState.saved.length() == 0, rx.menu.item(t("inbox.saved.none"), disabled=True)),
            rx.foreach(InboxState.saved, lambda r: rx.menu.item(
                rx.text("/" + r["shortcut"], weight="bold"), rx.text(r["text"], size="1", trim="both",
                                                                    max_width="260px", overflow="hidden",
                                                                    text_overflow="ellipsis", white_space="nowrap"),
                on_select=InboxState.insert_saved_reply(r["id"]), class_name="inbox-saved-item")),
        ),
    )


def _saved_manager() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(t("inbox.saved.manage"), type="button", size="1", variant="ghost",
                                    id="inbox-saved-manage")),
        rx.dialog.content(
            rx.dialog.title(t("inbox.saved.manage")),
            rx.vstack(
                rx.foreach(InboxState.saved, lambda r: rx.hstack(
                    rx.text("/" + r["shortcut"], weight="bold", size="2"),
                    rx.text(r["text"], size="2", flex="1", white_space="pre-wrap"),
                    rx.button(t("inbox.saved.delete"), size="1", color_scheme="red", variant="soft",
                              on_click=InboxState.delete_saved_reply(r["id"]),
                              aria_label=t("inbox.saved.delete") + " /" + r["shortcut"]),
                    width="100%", align="start", class_name="saved-reply-row")),
                rx.form(
                    rx.vstack(
                        label("inbox.saved.shortcut", "saved-shortcut"),
                        rx.input(name="shortcut", id="saved-shortcut", required=True, max_length=40),
                        label("inbox.saved.text", "saved-text"),
                        rx.text_area(name="text", id="saved-text", required=True, rows="3"),
                        rx.button(t("inbox.saved.add"), type="submit", id="saved-add"),
                        spacing="2", width="100%",
                    ),
                    on_submit=InboxState.create_saved_reply, reset_on_submit=True, width="100%",
                ),
                error_box(InboxState.error, element_id="inbox-saved-error"),
                rx.dialog.close(rx.button(t("inbox.saved.close"), variant="soft", color_scheme="gray", type="button")),
                spacing="3", width="100%",
            ),
            max_width="520px",
        ),
    )


def _reply_box() -> rx.Component:
    """The reply form holds only the text (the saved-replies dialog has a form of its own, and
    React bubbles a portal's submit through its parents); the toolbar's Send names the form."""
    return rx.vstack(
        rx.form(
            label("inbox.reply.label", "inbox-reply"),
            rx.text_area(name="text", id="inbox-reply", placeholder=t("inbox.reply.placeholder"), rows="3",
                         width="100%", on_change=InboxState.typing),
            on_submit=InboxState.send, reset_on_submit=True, width="100%", id="inbox-reply-form",
        ),
        rx.hstack(
            _saved_menu(), _saved_manager(),
            rx.el.label(rx.icon("paperclip", size=14, aria_hidden="true"), t("inbox.reply.attach"),
                        html_for="inbox-file", id="inbox-attach", cursor="pointer", display="inline-flex",
                        align_items="center", gap="4px", font_size="12px", font_weight="500",
                        padding="4px 8px", border_radius="6px", background=rx.color("teal", 3),
                        color=rx.color("teal", 12)),
            rx.el.input(type="file", id="inbox-file", accept="image/png,image/jpeg,image/gif,image/webp,.pdf",
                        custom_attrs={"data-conversation": InboxState.selected,
                                      "data-busy": t("inbox.reply.uploading")},
                        position="absolute", width="1px", height="1px", opacity="0", overflow="hidden"),
            rx.spacer(),
            rx.button(t("inbox.reply.send"), type="submit", id="inbox-send", custom_attrs={"form": "inbox-reply-form"}),
            width="100%", align="center", spacing="2", wrap="wrap",
        ),
        rx.text("", id="inbox-upload-status", size="1", color_scheme="red", role="status"),
        spacing="2", width="100%",
    )


def _contact_row(key: str, value: rx.Var, element_id: str) -> rx.Component:
    return rx.cond(value != "", rx.box(
        rx.text(t(key), size="1", color_scheme="gray", as_="div"),
        rx.text(value, size="2", id=element_id, overflow_wrap="anywhere", as_="div"),
    ))


def _contact_panel() -> rx.Component:
    c = InboxState.contact
    return rx.el.section(
        rx.heading(t("inbox.contact.heading"), as_="h2", size="3"),
        rx.vstack(
            _contact_row("inbox.contact.name", c["name"], "contact-name"),
            _contact_row("inbox.contact.email", c["email"], "contact-email"),
            _contact_row("inbox.contact.phone", c["phone"], "contact-phone"),
            _contact_row("inbox.contact.browser", c["browser"], "contact-browser"),
            _contact_row("inbox.contact.language", c["language"], "contact-language"),
            _contact_row("inbox.contact.time_zone", c["time_zone"], "contact-time-zone"),
            _contact_row("inbox.contact.local_time", c["local_time"], "contact-local-time"),
            _contact_row("inbox.contact.referrer", c["referrer"], "contact-referrer"),
            rx.heading(t("inbox.contact.past"), as_="h3", size="2", padding_top="8px"),
            rx.cond(InboxState.past.length() == 0, rx.text(t("inbox.contact.no_past"), size="1", color_scheme="gray")),
            rx.foreach(InboxState.past, lambda p: rx.button(
                rx.vstack(rx.hstack(status_badge(p["status"], "support.status", size="1"),
                                    rx.text(local_time(p["last_at"]), size="1")),
                          rx.text(p["preview"], size="1", trim="both"), spacing="1", align="start"),
                on_click=InboxState.open(p["id"]), variant="ghost", color_scheme="gray", height="auto",
                class_name="inbox-past", width="100%", justify="start", text_align="left")),
            spacing="2", width="100%", align="start",
        ),
        aria_label=t("inbox.contact.heading"), id="inbox-contact",
        width=rx.breakpoints(initial="100%", lg="260px"), flex_shrink="0", padding="12px",
        border_radius="8px", background=rx.color("gray", 2),
    )


def _conversation_pane() -> rx.Component:
    conv = InboxState.conversation
    return rx.el.section(
        rx.cond(
            InboxState.selected == "",
            rx.center(rx.text(t("inbox.none_selected"), color_scheme="gray"), min_height="200px"),
            rx.vstack(
                feed_watcher(InboxState.refresh_conversation, ConversationFeed.version),
                rx.hstack(
                    rx.icon_button(rx.icon("arrow-left"), on_click=InboxState.back, variant="soft",
                                   aria_label=t("inbox.back"), id="inbox-back",
                                   display=rx.breakpoints(initial="inline-flex", md="none")),
                    rx.heading(conv["name"], as_="h2", size="4", id="inbox-conversation-title", flex="1",
                               overflow_wrap="anywhere"),
                    _channel(conv["channel"]),
                    status_badge(conv["status"], "support.status", id="inbox-conversation-status"),
                    width="100%", align="center", wrap="wrap",
                ),
                rx.hstack(
                    _actions(), rx.spacer(),
                    rx.text(rx.cond(conv["assignee"] != "", t("inbox.assigned_to") + ": " + conv["assignee"],
                                    t("inbox.unassigned")), size="1", color_scheme="gray", id="inbox-assignee"),
                    width="100%", align="center", wrap="wrap",
                ),
                error_box(InboxState.error, element_id="inbox-error"),
                rx.flex(
                    rx.vstack(
                        rx.cond(InboxState.older_cursor != "",
                                rx.button(t("inbox.load_older"), on_click=InboxState.load_older, variant="ghost",
                                          size="1", id="inbox-load-older", align_self="center")),
                        rx.foreach(InboxState.messages, _message),
                        rx.cond(ConversationFeed.ai_draft != "", rx.box(
                            rx.text(t("inbox.ai_writing"), size="1", weight="bold"),
                            rx.text(ConversationFeed.ai_draft, size="2", white_space="pre-wrap"),
                            class_name="inbox-ai-draft", align_self="flex-end", max_width="85%", padding="8px 12px",
                            border_radius="10px", border=f"1px dashed {rx.color('violet', 8)}")),
                        rx.text(rx.cond(ConversationFeed.contact_typing, t("inbox.typing.contact"), ""), size="1",
                                color_scheme="gray", id="inbox-contact-typing", role="status", min_height="1.2em"),
                        _reply_box(),
                        spacing="2", width="100%", align="stretch", id="inbox-thread",
                        role="log", aria_label=t("inbox.conversation.heading"),
                    ),
                    _contact_panel(),
                    direction=rx.breakpoints(initial="column", lg="row"), gap="16px", width="100%",
                    align="start",
                ),
                spacing="3", width="100%",
            ),
        ),
        class_name=rx.cond(InboxState.selected == "", "inbox-pane inbox-phone-hidden", "inbox-pane"),
        aria_label=t("inbox.conversation.heading"),
        flex="1", min_width="0", width="100%",
    )


def inbox_page() -> rx.Component:
    unread = InboxState.unread_messages
    return dashboard_shell(
        SECTION.label_key,
        rx.flex(
            feed_watcher(InboxState.refresh, InboxFeed.version),
            _list_pane(),
            _conversation_pane(),
            id="inbox-root",
            on_mount=rx.call_script(INBOX_SCRIPT),
            direction=rx.breakpoints(initial="column", md="row"),
            gap="20px", width="100%", align="start",
            style={PHONE: {"& .inbox-phone-hidden": {"display": "none"}}},
        ),
        title_prefix=rx.cond(unread > 0, "(" + unread.to(str) + ") ", ""),
    )


def register(app: rx.App) -> list[str]:
    app.add_page(inbox_page, route=SECTION.route, title="LivChat — Inbox",
                 on_load=[OrgFeed.link, InboxFeed.link, InboxState.load])
    return [SECTION.route]
