"""`/widget?organizationId=…[&locale=…]`: the visitor's chat, in the loader's iframe on a customer's
site or in a tab of its own (the loader's fallback). Small on purpose: plain elements, no
markdown (message text is shown as text, never as HTML), the organization's colours."""

from __future__ import annotations

import json

import reflex as rx

from livchat.api.embed import versioned_path
from livchat.i18n import CATALOGUES, EN
from livchat.services.support.attachments import MAX_ATTACHMENT_BYTES
from livchat.state.feeds import feed_watcher
from livchat.state.support_feeds import ConversationFeed
from livchat.state.widget import WidgetState as S

ROUTE = "/widget"
ACCEPT = "image/png,image/jpeg,image/gif,image/webp,application/pdf"

# The file upload goes to the widget client API with the visitor's token (never Reflex's public
# /_upload); the visibility the loader reports decides between "mark read" and the launcher's
# badge; the conversation stays scrolled to its newest message. Runs from the app's <head>
# (bridge_head_script), in the static HTML: a script added by the page itself would go through
# Helmet, which re-inserts it on every head change.
PAGE_JS = """(function () {
  if (window.livchatUpload) return;
  window.livchatUpload = async function (token) {
    var input = document.getElementById('widget-file');
    var file = input && input.files && input.files[0];
    if (!file) return {status: 0, code: ''};
    try {
      if (file.size > @MAX_BYTES@) return {status: 413, code: 'attachment_too_large'};
      var body = new FormData(); body.append('file', file);
      var r = await fetch('/api/widget/attachments', {method: 'POST', headers: {'X-Contact-Token': token}, body: body});
      var code = '';
      if (!r.ok) { try { code = (await r.json()).code || ''; } catch (e) {} }
      return {status: r.status, code: code};
    } catch (e) { return {status: 0, code: ''}; } finally { input.value = ''; }
  };
  var watch = function () {
    if (!window.LivChatWidget) return setTimeout(watch, 50);
    LivChatWidget.onVisibility(function (visible) {
      window.livchatHidden = !visible;
      var seen = document.getElementById('widget-seen');
      if (visible && seen) seen.click();
    });
  };
  watch();
  // The voice call: @vapi-ai/web loaded on first use; the call id as soon as Vapi created the call
  // (POST /call/web), and again once it ended (or failed after it was created).
  var voice = {vapi: null, callId: '', done: null, finish: null};
  var loadSdk = function () {
    return new Promise(function (ok, ko) {
      if (window.LivChatVapi) return ok();
      var s = document.createElement('script');
      s.src = '@VAPI_SRC@'; s.onload = ok; s.onerror = ko; document.head.appendChild(s);
    });
  };
  window.livchatVoiceStart = async function (publicKey, assistantId, apiUrl) {
    var vapi;
    try {
      await loadSdk();
      if (voice.vapi) { try { voice.vapi.stop(); } catch (e) {} }
      vapi = new window.LivChatVapi(publicKey, apiUrl);
    } catch (e) { console.error('voice call', e); return ''; }
    var gotId;
    var idKnown = new Promise(function (r) { gotId = r; });
    voice.vapi = vapi; voice.callId = '';
    voice.done = new Promise(function (r) { voice.finish = r; });
    var end = function () { if (voice.vapi === vapi) { voice.finish(voice.callId); } gotId(voice.callId); };
    vapi.on('call-start-progress', function (e) {
      var id = e && e.stage === 'web-call-creation' && e.status === 'completed' && e.metadata && e.metadata.callId;
      if (id && id !== 'unknown') { voice.callId = id; gotId(id); }
    });
    vapi.on('call-end', end);
    vapi.on('error', end);
    vapi.start(assistantId).then(function (call) {
      if (call && call.id) { voice.callId = voice.callId || call.id; gotId(voice.callId); } else { end(); }
    }, end);
    return idKnown;
  };
  window.livchatVoiceEnded = function () { return voice.done || Promise.resolve(''); };
  window.livchatVoiceStop = function () { if (voice.vapi) { try { voice.vapi.stop(); } catch (e) {} } };
  new MutationObserver(function () {
    var log = document.getElementById('widget-log');
    if (log && log.dataset.count !== log.dataset.seen) { log.dataset.seen = log.dataset.count; log.scrollTop = log.scrollHeight; }
  }).observe(document.documentElement, {subtree: true, childList: true, attributes: true, attributeFilter: ['data-count']});
})();""".replace("@MAX_BYTES@", str(MAX_ATTACHMENT_BYTES))


def page_js() -> str:
    return PAGE_JS.replace("@VAPI_SRC@", versioned_path("/vapi-web.js"))


def bridge_head_script() -> str:
    """For the app's <head> (static HTML): on /widget only, load the bridge before the app, so it
    says `ready` (or `blocked`) even where storage throws and the app itself cannot start."""
    return ("if (/^\\/widget\\/?$/.test(location.pathname)) { var s = document.createElement('script'); "
            f"s.src = {json.dumps(versioned_path('/widget-bridge.js'))}; s.async = false; document.head.appendChild(s); "
            f"{page_js()} }}")


def wt(key: str) -> rx.Var:
    """A string in the widget's language (the page's `?locale=`, else the visitor's browser)."""
    if key not in EN:
        raise KeyError(f"missing i18n key: {key}")
    return rx.cond(S.lang == "pt-BR", CATALOGUES["pt-BR"][key], EN[key])


def _meta() -> rx.Component:
    return rx.el.span(id="document-meta", display="none", custom_attrs={"data-lang": S.lang})


def _header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.cond(S.logo_url != "", rx.image(src=S.logo_url, alt="", height="28px", width="auto",
                                               border_radius="4px")),
            rx.heading(rx.cond(S.name != "", S.name, wt("widget.page.title")), as_="h1", size="3",
                       id="widget-title", color=S.on_color, trim="both"),
            rx.spacer(),
            rx.cond(S.embedded, rx.el.button(
                rx.icon("x", size=18), aria_label=wt("widget.page.close"), id="widget-close",
                on_click=rx.call_script("window.LivChatWidget && LivChatWidget.close()"),
                class_name="lc-widget-icon", color=S.on_color)),
            align="center", spacing="2", width="100%",
        ),
        background=S.color, color=S.on_color, padding="12px 14px", flex_shrink="0",
    )


def _bubble(*children: rx.Component | rx.Var, mine: rx.Var | bool = False, **props) -> rx.Component:
    return rx.box(*children, padding="8px 12px", border_radius="12px", max_width="85%",
                  background=rx.cond(mine, S.color, "var(--gray-3)"), color=rx.cond(mine, S.on_color, "var(--gray-12)"),
                  align_self=rx.cond(mine, "flex-end", "flex-start"), **props)


def _message(message: rx.Var) -> rx.Component:
    mine = message["sender"] == "contact"
    system = message["sender"] == "system"
    return rx.cond(
        system,
        rx.text(message["text"], size="1", color_scheme="gray", align="center", white_space="pre-wrap",
                class_name="lc-widget-message", custom_attrs={"data-sender": "system"}),
        _bubble(
            rx.text(message["author"], size="1", weight="bold", as_="div"),
            rx.text(message["text"], size="2", white_space="pre-wrap", overflow_wrap="anywhere", as_="div"),
            rx.cond(message["file_url"] != "", rx.cond(
                message["file_image"] == "1",
                rx.link(rx.image(src=message["file_url"], alt=message["file_name"], max_width="200px",
                                 max_height="200px", border_radius="6px"),
                        href=message["file_url"], is_external=True),
                rx.link(message["file_name"], href=message["file_url"], is_external=True, color="inherit",
                        underline="always", size="2"),
            )),
            rx.cond(message["sources"] != "", rx.text(wt("widget.page.sources"), " ", message["sources"], size="1",
                                                      as_="div", class_name="lc-widget-sources", margin_top="4px")),
            mine=mine, class_name="lc-widget-message", custom_attrs={"data-sender": message["sender"]},
        ),
    )


def _error(text: rx.Var, element_id: str) -> rx.Component:
    return rx.cond(text != "", rx.text(text, id=element_id, role="alert", color_scheme="red", size="2"))


def _field(key: str, name: str, input_type: str, error: rx.Var, autocomplete: str) -> rx.Component:
    field_id = f"widget-{name}"
    return rx.vstack(
        rx.el.label(wt(key), html_for=field_id, font_size="14px", font_weight="500"),
        rx.input(id=field_id, name=name, type=input_type, auto_complete=autocomplete, required=True, width="100%",
                 aria_invalid=rx.cond(error != "", "true", "false"), max_length=200),
        _error(error, f"{field_id}-error"),
        spacing="1", width="100%",
    )


def _contact_form() -> rx.Component:
    return rx.vstack(
        _bubble(rx.text(S.greeting, size="2", white_space="pre-wrap"), id="widget-greeting"),
        rx.cond(S.form_note != "", rx.text(S.form_note, size="2", id="widget-form-note")),
        rx.form(
            rx.vstack(
                rx.text(wt("widget.page.form_intro"), size="2"),
                _field("widget.page.name", "name", "text", S.name_error, "name"),
                _field("widget.page.email", "email", "email", S.email_error, "email"),
                _error(S.form_error, "widget-form-error"),
                rx.button(wt("widget.page.start"), type="submit", id="widget-start", width="100%",
                          background=S.color, color=S.on_color),
                spacing="3", width="100%",
            ),
            on_submit=S.start, reset_on_submit=False, width="100%", custom_attrs={"noValidate": True},
        ),
        spacing="4", padding="16px", width="100%", overflow_y="auto",
    )


def _voice() -> rx.Component:
    """The "Call us" button (when the organization offers voice), and how the call is going."""
    phase = S.voice_phase
    return rx.cond(S.voice_assistant_id != "", rx.hstack(
        rx.cond(
            (phase == "connecting") | (phase == "in_call"),
            rx.button(rx.icon("phone-off", size=16), wt("widget.page.voice_hang_up"), on_click=S.voice_hang_up,
                      color_scheme="red", size="2", id="widget-voice-hang-up"),
            rx.button(rx.icon("phone", size=16), wt("widget.page.voice_call"), on_click=S.voice_call, size="2",
                      variant="outline", id="widget-voice-call", disabled=phase == "recording"),
        ),
        rx.match(phase,
                 ("connecting", rx.text(wt("widget.page.voice_connecting"), size="1", role="status",
                                        id="widget-voice-status")),
                 ("in_call", rx.text(wt("widget.page.voice_in_call"), size="1", role="status",
                                     id="widget-voice-status")),
                 ("recording", rx.text(wt("widget.page.voice_recording"), size="1", role="status",
                                       id="widget-voice-status")),
                 ("failed", rx.text(wt("widget.page.voice_failed"), size="1", role="alert", color_scheme="red",
                                    id="widget-voice-status")),
                 rx.fragment()),
        align="center", spacing="2", padding="8px 16px 0", flex_shrink="0", wrap="wrap",
    ))


def _log() -> rx.Component:
    return rx.vstack(
        _bubble(rx.text(S.greeting, size="2", white_space="pre-wrap"), id="widget-greeting"),
        rx.cond(S.messages.length() == 0, rx.vstack(
            rx.text(wt("widget.page.suggestions"), size="1", color_scheme="gray", as_="div"),
            rx.foreach(S.suggestions, lambda question: rx.button(
                question, on_click=S.ask(question), variant="outline", size="2", class_name="lc-widget-suggestion",
                white_space="normal", height="auto", padding_y="6px", text_align="left")),
            spacing="2", align_items="start", id="widget-suggestions",
        )),
        rx.foreach(S.messages, _message),
        rx.cond(ConversationFeed.ai_draft != "", _bubble(
            rx.text(wt("widget.page.ai_writing"), size="1", weight="bold", as_="div"),
            rx.text(ConversationFeed.ai_draft, size="2", white_space="pre-wrap", as_="div"),
            id="widget-ai-draft")),
        rx.cond(ConversationFeed.operator_typing, rx.text(wt("widget.page.operator_typing"), size="1",
                                                          color_scheme="gray", id="widget-operator-typing")),
        rx.cond(S.status == "resolved", rx.text(wt("widget.page.resolved"), size="2", id="widget-resolved",
                                                 align="center", color_scheme="gray", width="100%")),
        id="widget-log", role="log", aria_label=wt("widget.page.conversation"), spacing="2", padding="16px",
        width="100%", flex="1", overflow_y="auto", custom_attrs={"data-count": S.messages.length()},
    )


def _composer() -> rx.Component:
    return rx.box(
        _error(S.chat_error, "widget-chat-error"),
        rx.cond(S.uploading, rx.text(wt("widget.page.uploading"), size="1", color_scheme="gray")),
        rx.hstack(
            # Outside the message form: a file goes to the REST route, not with the form's fields.
            rx.el.input(type="file", id="widget-file", accept=ACCEPT, on_change=S.attach, class_name="lc-sr-only"),
            rx.el.label(rx.icon("paperclip", size=18), rx.el.span(wt("widget.page.attach"), class_name="lc-sr-only"),
                        html_for="widget-file", class_name="lc-widget-icon", title=wt("widget.page.attach")),
            rx.form(
                rx.hstack(
                    rx.el.label(wt("widget.page.message_label"), html_for="widget-message", class_name="lc-sr-only"),
                    rx.input(id="widget-message", name="text", value=S.draft, on_change=S.set_draft, flex="1",
                             placeholder=wt("widget.page.message_placeholder"), auto_complete="off", max_length=5000),
                    rx.button(rx.icon("send", size=16), rx.el.span(wt("widget.page.send"), class_name="lc-sr-only"),
                              type="submit", id="widget-send", background=S.color, color=S.on_color),
                    spacing="2", align="center", width="100%",
                ),
                on_submit=S.send, reset_on_submit=False, flex="1",
            ),
            spacing="2", align="center", width="100%",
        ),
        padding="10px 12px", border_top="1px solid var(--gray-5)", flex_shrink="0",
    )


def widget_page() -> rx.Component:
    return rx.box(
        _meta(),
        rx.match(
            S.phase,
            ("missing", rx.el.main(
                rx.heading(wt("widget.page.unavailable_title"), as_="h1", size="4", id="widget-unavailable"),
                rx.text(wt("widget.page.unavailable_body"), size="2", margin_top="8px"),
                padding="24px")),
            ("form", rx.fragment(_header(), rx.el.main(_contact_form(), class_name="lc-widget-main"))),
            ("chat", rx.fragment(
                _header(),
                rx.el.main(_voice(), _log(), _composer(), class_name="lc-widget-main"),
                feed_watcher(S.refresh, counter=ConversationFeed.version),
                rx.el.button(on_click=S.refresh, id="widget-seen", display="none", tab_index=-1, aria_hidden="true"),
            )),
            rx.fragment(_header(), rx.el.main(rx.text(wt("widget.page.loading"), size="2", padding="16px"),
                                              class_name="lc-widget-main")),
        ),
        class_name="lc-widget", height="100dvh", display="flex", flex_direction="column",
    )


def register(app: rx.App) -> list[str]:
    app.add_page(widget_page, route=ROUTE, title="Chat", on_load=S.load)
    return [ROUTE]
